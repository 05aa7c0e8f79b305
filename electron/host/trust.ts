/**
 * Which frames may call the app over Electron IPC: the top frame of Lifeboat's own window,
 * loaded from `app://lifeboat/`. Kept free of `electron` so it is tested as plain Node; the
 * shell passes it the frame's URL and whether it is the main frame.
 */

export const APP_SCHEME = 'app';
export const APP_HOST = 'lifeboat';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * True only for a URL on Lifeboat's own `app://lifeboat` origin. The URL parser decides, never
 * a string prefix (`app://lifeboat.evil/` and `app://lifeboat@evil/` are not ours). Custom
 * schemes have an opaque origin in the URL standard, so protocol, host, port and credentials
 * are compared one by one.
 */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

export interface SenderFrameFacts {
  /** The sending frame's URL (`event.senderFrame.url`), or null if the frame is gone. */
  readonly url: string | null;
  /** Whether the sender is the window's top frame (not an iframe). */
  readonly isMainFrame: boolean;
}

export function isTrustedSender(frame: SenderFrameFacts): boolean {
  return frame.isMainFrame && frame.url !== null && isAppUrl(frame.url);
}
