/**
 * Serving the built renderer (dist/renderer) safely, for both the console and `app://`:
 * a URL path maps to a file inside the renderer folder or to nothing. Encoded dots and
 * slashes, backslashes, NUL, and anything that resolves outside the folder are refused,
 * and symbolic links may not lead out of it either.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { IpcErrors } from './errors.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

function notFound(): never {
  throw IpcErrors.create('IPC_CONSOLE_NOT_FOUND', 'No such file in the app.');
}

/**
 * Maps a URL path (`/assets/index-abc.js`) to a path under `root`, or refuses it.
 * Paths without an extension are the single-page app itself, so they map to index.html.
 */
export function resolveStaticPath(root: string, urlPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return notFound();
  }
  if (!decoded.startsWith('/') || /[\\\0]/.test(decoded)) notFound();
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.')) notFound();
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  const base = resolve(root);
  const target = resolve(base, extname(relative) === '' ? 'index.html' : relative);
  if (target !== base && !target.startsWith(base + sep)) notFound();
  return target;
}

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Reads a renderer file for a URL path; a missing renderer build is its own error. */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile> {
  const base = await realpath(resolve(root)).catch(() => {
    throw IpcErrors.create('IPC_RENDERER_MISSING', `The screens are not built (${root}).`);
  });
  const wanted = resolveStaticPath(base, urlPath);
  const real = await realpath(wanted).catch(() => notFound());
  if (!real.startsWith(base + sep)) notFound();
  const info = await stat(real);
  if (!info.isFile()) notFound();
  return { body: await readFile(real), contentType: contentTypeOf(real) };
}

/** The renderer build next to the compiled host (dist/electron/host -> dist/renderer). */
export function defaultRendererDir(hostDir: string): string {
  return join(hostDir, '..', '..', 'renderer');
}
