/**
 * The browser console's wire format, free of DOM-only APIs (fetch and URL exist in browsers
 * and in Node alike), so it is tested against the real console host on loopback.
 */
import { CONSOLE_CALL_PATH, CONSOLE_TOKEN_PARAM } from '../../../shared/contract/index.js';

/** The shape of a per-launch token: base64url, long enough to be unguessable. */
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,256}$/;

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

/**
 * One call: POST the envelope with the bearer token. Resolves to the host's outcome envelope,
 * also on an HTTP error status, because the host answers typed errors (401, 403, 400) with the
 * same envelope; the client decodes it.
 */
export async function consoleCall(
  origin: string,
  token: string,
  method: string,
  params: unknown,
): Promise<unknown> {
  const response = await fetch(new URL(CONSOLE_CALL_PATH, origin), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ method, params }),
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  });
  return (await response.json()) as unknown;
}
