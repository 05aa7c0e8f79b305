/**
 * The browser console's bridge: the same `LifeboatBridge` the Electron preload provides, built
 * on fetch (calls) and EventSource (events) against the loopback host that served this page.
 *
 * The per-launch token arrives in the page URL (`#token=…`, or `?token=…`). It is removed from
 * the address bar at once (so it is not bookmarked, shared in a screenshot, or sent as a
 * Referer) and kept in this tab's sessionStorage, so a reload of the same tab still works while
 * a new tab needs the printed URL again.
 */
import {
  CONSOLE_CALL_PATH,
  CONSOLE_EVENTS_PATH,
  CONSOLE_TOKEN_PARAM,
  type LifeboatBridge,
} from '../../../shared/contract/index.js';

const TOKEN_KEY = 'lifeboat.consoleToken';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,256}$/;

/** Reads the token from a URL's fragment or query; null when absent or malformed. */
export function tokenFromUrl(href: string): string | null {
  const url = new URL(href);
  const fromHash = new URLSearchParams(url.hash.replace(/^#/, '')).get(CONSOLE_TOKEN_PARAM);
  const token = fromHash ?? url.searchParams.get(CONSOLE_TOKEN_PARAM);
  return token !== null && TOKEN_SHAPE.test(token) ? token : null;
}

/** The URL with the token removed from both fragment and query, for history.replaceState. */
export function urlWithoutToken(href: string): string {
  const url = new URL(href);
  url.searchParams.delete(CONSOLE_TOKEN_PARAM);
  const hash = new URLSearchParams(url.hash.replace(/^#/, ''));
  hash.delete(CONSOLE_TOKEN_PARAM);
  url.hash = hash.toString();
  return url.toString();
}

/** Takes the token out of the address bar (or from this tab's storage after a reload). */
export function claimConsoleToken(): string | null {
  const fromUrl = tokenFromUrl(window.location.href);
  if (fromUrl !== null) {
    window.history.replaceState(null, '', urlWithoutToken(window.location.href));
    window.sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  const stored = window.sessionStorage.getItem(TOKEN_KEY);
  return stored !== null && TOKEN_SHAPE.test(stored) ? stored : null;
}

/**
 * Builds the bridge. Calls always resolve to the host's outcome envelope, even on an HTTP
 * error status, because the host answers typed errors (401, 403, 400) with the same envelope.
 */
export function createConsoleBridge(
  token: string,
  origin = window.location.origin,
): LifeboatBridge {
  const listeners = new Set<(event: unknown) => void>();
  let source: EventSource | null = null;

  function openStream() {
    const url = new URL(CONSOLE_EVENTS_PATH, origin);
    url.searchParams.set(CONSOLE_TOKEN_PARAM, token);
    source = new EventSource(url);
    source.onmessage = (message: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      for (const listener of listeners) listener(data);
    };
    // EventSource reconnects by itself; after a reconnect the data may be stale, so say so
    // with the same "changed" event the host would send, and every screen refetches.
    source.onopen = () => {
      for (const listener of listeners) listener(EVERYTHING_CHANGED);
    };
  }

  return {
    transport: 'console',
    async call(method, params) {
      const response = await fetch(new URL(CONSOLE_CALL_PATH, origin), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ method, params }),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
      return (await response.json()) as unknown;
    },
    onEvent(listener) {
      listeners.add(listener);
      if (source === null) openStream();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source !== null) {
          source.close();
          source = null;
        }
      };
    },
  };
}

const EVERYTHING_CHANGED = {
  type: 'changed',
  topics: ['health', 'backups', 'settings', 'jobs', 'audit', 'vault', 'recoveries'],
} as const;
