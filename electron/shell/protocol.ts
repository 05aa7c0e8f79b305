/**
 * The `app://lifeboat/` protocol: the renderer's files from dist/renderer, with the same
 * traversal guard and security headers as the browser console. A custom protocol rather than
 * file:// so the page has a real origin to check senders and navigation against.
 */
import type { Protocol } from 'electron';
import { asLifeboatError } from '../../shared/errors.js';
import { SECURITY_HEADERS } from '../host/security.js';
import { readStaticFile } from '../host/static.js';
import { APP_SCHEME, isAppUrl } from '../host/trust.js';

/** Must run before the app is ready. */
export function registerAppScheme(protocol: Protocol): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
  ]);
}

export function serveAppScheme(protocol: Protocol, rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (!isAppUrl(request.url) || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return new Response(null, { status: 404, headers: SECURITY_HEADERS });
    }
    try {
      const file = await readStaticFile(rendererDir, new URL(request.url).pathname);
      return new Response(new Uint8Array(file.body), {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'Content-Type': file.contentType },
      });
    } catch (error) {
      const failure = asLifeboatError(error);
      const status = failure.code === 'IPC_CONSOLE_NOT_FOUND' ? 404 : 500;
      return new Response(`${failure.code}: ${failure.message}\n${failure.hint}\n`, {
        status,
        headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
      });
    }
  });
}
