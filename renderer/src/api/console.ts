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
  CONSOLE_EVENTS_PATH,
  CONSOLE_TOKEN_PARAM,
  type LifeboatBridge,
} from '../../../shared/contract/index.js';
import { consoleCall, TOKEN_SHAPE, tokenFromUrl, urlWithoutToken } from './consoleTransport.js';

const TOKEN_KEY = 'lifeboat.consoleToken';

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
 * A refused token means this tab outlived its console (Lifeboat was restarted with a new one):
 * forget it, so a reload asks for the new address instead of failing call after call.
 */
function isTokenRefusal(outcome: unknown): boolean {
  const error = (outcome as { ok?: unknown; error?: { code?: unknown } } | null)?.error;
  return (outcome as { ok?: unknown } | null)?.ok === false && error?.code === 'IPC_CONSOLE_TOKEN';
}

/** Builds the bridge: calls over fetch, events over one shared EventSource. */
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
      const outcome = await consoleCall(origin, token, method, params);
      if (isTokenRefusal(outcome)) window.sessionStorage.removeItem(TOKEN_KEY);
      return outcome;
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
