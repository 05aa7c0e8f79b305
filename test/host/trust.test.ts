import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, isAppUrl, isTrustedSender } from '../../electron/host/trust.js';
import { resolveStaticPath } from '../../electron/host/static.js';
import { isAllowedRequest, isOwnBlob } from '../../electron/shell/security.js';

describe('trusted IPC senders', () => {
  it('trusts only the top frame of app://lifeboat', () => {
    expect(isTrustedSender({ url: APP_ENTRY_URL, isMainFrame: true })).toBe(true);
    expect(isTrustedSender({ url: 'app://lifeboat/', isMainFrame: true })).toBe(true);
    expect(isTrustedSender({ url: APP_ENTRY_URL, isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ url: null, isMainFrame: true })).toBe(false);
  });

  it.each([
    'app://lifeboat.evil/index.html',
    'app://evil/lifeboat/index.html',
    'app://user@lifeboat/index.html',
    'app://lifeboat:8080/index.html',
    'file:///app/lifeboat/index.html',
    'http://lifeboat/index.html',
    'https://127.0.0.1/',
    'about:blank',
    'data:text/html,<p>x</p>',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isAppUrl(url)).toBe(false);
    expect(isTrustedSender({ url, isMainFrame: true })).toBe(false);
  });
});

describe('static path resolution', () => {
  const root = '/srv/renderer';

  it('maps app paths inside the renderer folder', () => {
    expect(resolveStaticPath(root, '/')).toBe('/srv/renderer/index.html');
    expect(resolveStaticPath(root, '/backups')).toBe('/srv/renderer/index.html');
    expect(resolveStaticPath(root, '/assets/a%20b.js')).toBe('/srv/renderer/assets/a b.js');
  });

  it.each(['/../x.js', '/a/../../x.js', '/%2e%2e/x.js', '/a%5c..%5cx.js', '/x%00.js', 'x.js'])(
    'refuses %s',
    (path) => {
      expect(() => resolveStaticPath(root, path)).toThrow(
        expect.objectContaining({ code: 'IPC_CONSOLE_NOT_FOUND' }),
      );
    },
  );
});

describe('Electron session rules (their plain-Node halves)', () => {
  it('lets only app:// and DevTools requests through', () => {
    expect(isAllowedRequest('app://lifeboat/assets/index.js')).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/inspector.html')).toBe(true);
    for (const url of [
      'https://fonts.googleapis.com/css',
      'http://127.0.0.1:8080/',
      'file:///etc/passwd',
      'app://other/index.html',
      'ws://127.0.0.1:1/',
    ]) {
      expect(isAllowedRequest(url), url).toBe(false);
    }
  });

  it('allows downloads only of blobs the app page made', () => {
    expect(isOwnBlob('blob:app://lifeboat/6f1c2d9e-0000-4000-8000-000000000000')).toBe(true);
    expect(isOwnBlob('blob:https://evil.example/6f1c')).toBe(false);
    expect(isOwnBlob('https://evil.example/report.html')).toBe(false);
    expect(isOwnBlob('app://lifeboat/index.html')).toBe(false);
  });
});
