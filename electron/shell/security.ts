/**
 * The Electron security checklist, applied once for the whole app: every web contents may
 * navigate only within app://lifeboat, may open no window, attach no webview, and gets no
 * permission; the session refuses every request that would leave the machine (the app is
 * offline by design, so nothing may reach out even if a page tried).
 */
import type { App, Session, WebContents } from 'electron';
import { isAppUrl } from '../host/trust.js';

function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** URLs the session lets through: our own protocol and DevTools' internals, nothing else. */
export function isAllowedRequest(url: string): boolean {
  return isAppUrl(url) || url.startsWith('devtools://');
}

/** A blob: URL the app's own page created (`blob:app://lifeboat/<uuid>`). */
export function isOwnBlob(url: string): boolean {
  return url.startsWith('blob:') && isAppUrl(url.slice('blob:'.length));
}

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(details.url) });
  });
  // The window saves files it made itself (the recovery report, the key sheet) through blob:
  // URLs of its own origin; Electron then asks where to save. Any other download is refused.
  session.on('will-download', (event, item) => {
    if (!isOwnBlob(item.getURL())) event.preventDefault();
  });
}

export function hardenApp(app: App): void {
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
}
