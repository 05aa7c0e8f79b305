/**
 * The loopback browser console: the same renderer and the same router as the Electron window,
 * served over HTTP to a browser on this machine only.
 *
 * Guards, in order, on every request: the Host header must name the loopback address and our
 * port (defeats DNS rebinding); an Origin header, when sent, must be our own origin (defeats
 * other pages' requests); API calls and the event stream need the per-launch token (a random
 * 256-bit value printed once in the address). Every response carries the strict security
 * headers. The server refuses to bind anywhere but 127.0.0.1.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CONSOLE_CALL_PATH,
  CONSOLE_EVENTS_PATH,
  CONSOLE_TOKEN_PARAM,
  MAX_CALL_BYTES,
  type CallOutcome,
  type HostEvent,
} from '../../shared/contract/index.js';
import { asLifeboatError, type LifeboatError } from '../../shared/errors.js';
import { IpcErrors } from './errors.js';
import type { Router } from './router.js';
import { SECURITY_HEADERS } from './security.js';
import { readStaticFile } from './static.js';

export const CONSOLE_HOST = '127.0.0.1';
const HEARTBEAT_MS = 15_000;

export interface ConsoleOptions {
  readonly router: Router;
  /** The built renderer (dist/renderer). */
  readonly rendererDir: string;
  /** Must be 127.0.0.1; anything else is refused. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
}

export interface ConsoleServer {
  /** The address to open, with the token in the fragment: `http://127.0.0.1:PORT/#token=…`. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** Refuses any bind address but the IPv4 loopback, before a socket is opened. */
export function assertLoopbackBind(host: string): void {
  if (host !== CONSOLE_HOST) {
    throw IpcErrors.create(
      'IPC_CONSOLE_BIND',
      `The console may listen on ${CONSOLE_HOST} only, not on "${host}".`,
    );
  }
}

function sameSecret(given: string, expected: Buffer): boolean {
  const candidate = Buffer.from(given, 'utf8');
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  IPC_CONSOLE_TOKEN: 401,
  IPC_CONSOLE_ORIGIN: 403,
  IPC_CONSOLE_HOST: 421,
  IPC_CONSOLE_NOT_FOUND: 404,
  IPC_CONSOLE_REQUEST: 400,
  IPC_RENDERER_MISSING: 503,
};

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': contentType });
  res.end(body);
}

function sendOutcome(res: ServerResponse, status: number, outcome: CallOutcome): void {
  res.setHeader('Cache-Control', 'no-store');
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(outcome));
}

function sendFailure(res: ServerResponse, error: unknown): void {
  const failure: LifeboatError = asLifeboatError(error);
  sendOutcome(res, STATUS_BY_CODE[failure.code] ?? 500, { ok: false, error: failure.toBody() });
}

class Guard {
  private readonly hosts: ReadonlySet<string>;
  private readonly origins: ReadonlySet<string>;

  constructor(
    port: number,
    private readonly token: Buffer,
  ) {
    this.hosts = new Set([`${CONSOLE_HOST}:${port}`, `localhost:${port}`]);
    this.origins = new Set([`http://${CONSOLE_HOST}:${port}`, `http://localhost:${port}`]);
  }

  /** Host and Origin: applied to every request, the app's files included. */
  checkSite(req: IncomingMessage): void {
    const host = req.headers.host;
    if (host === undefined || !this.hosts.has(host.toLowerCase())) {
      throw IpcErrors.create('IPC_CONSOLE_HOST', 'The request named another host.');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(origin.toLowerCase())) {
      throw IpcErrors.create('IPC_CONSOLE_ORIGIN', 'The request came from another web page.');
    }
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw IpcErrors.create('IPC_CONSOLE_ORIGIN', 'The request came from another web page.');
    }
  }

  /** The token, from `Authorization: Bearer …`, or (event stream only) from `?token=`. */
  checkToken(req: IncomingMessage, url: URL, allowQuery: boolean): void {
    const header = req.headers.authorization;
    let given: string | null = null;
    if (header !== undefined && header.startsWith('Bearer ')) given = header.slice(7);
    else if (allowQuery) given = url.searchParams.get(CONSOLE_TOKEN_PARAM);
    if (given === null || !sameSecret(given, this.token)) {
      throw IpcErrors.create(
        'IPC_CONSOLE_TOKEN',
        given === null ? 'The request carried no console token.' : 'The console token is wrong.',
      );
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_CALL_BYTES) {
    throw IpcErrors.create('IPC_CONSOLE_REQUEST', 'The request is too large.');
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += (part as Buffer).length;
    if (size > MAX_CALL_BYTES) {
      throw IpcErrors.create('IPC_CONSOLE_REQUEST', 'The request is too large.');
    }
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

async function handleCall(req: IncomingMessage, res: ServerResponse, router: Router) {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw IpcErrors.create('IPC_CONSOLE_REQUEST', 'A call must be sent as application/json.');
  }
  const text = await readBody(req);
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw IpcErrors.create('IPC_CONSOLE_REQUEST', 'The request body is not JSON.');
  }
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  const outcome = await router.call(envelope, { transport: 'console', signal: abort.signal });
  sendOutcome(res, 200, outcome);
}

function handleEvents(req: IncomingMessage, res: ServerResponse, router: Router): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  res.write(': lifeboat events\n\n');
  const unsubscribe = router.subscribe((event: HostEvent) => {
    res.write(`data: ${JSON.stringify(event)}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  req.once('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}

async function handleFile(req: IncomingMessage, res: ServerResponse, url: URL, dir: string) {
  const file = await readStaticFile(dir, url.pathname);
  res.setHeader('Cache-Control', 'no-cache');
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.contentType });
    res.end();
  } else send(res, 200, file.contentType, file.body);
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  guard: Guard,
  options: ConsoleOptions,
): Promise<void> {
  guard.checkSite(req);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === CONSOLE_CALL_PATH) {
    if (req.method !== 'POST') {
      throw IpcErrors.create('IPC_CONSOLE_REQUEST', `${CONSOLE_CALL_PATH} takes POST only.`);
    }
    guard.checkToken(req, url, false);
    return handleCall(req, res, options.router);
  }
  if (url.pathname === CONSOLE_EVENTS_PATH) {
    if (req.method !== 'GET') {
      throw IpcErrors.create('IPC_CONSOLE_REQUEST', `${CONSOLE_EVENTS_PATH} takes GET only.`);
    }
    guard.checkToken(req, url, true);
    return handleEvents(req, res, options.router);
  }
  if (url.pathname.startsWith('/api/')) {
    throw IpcErrors.create('IPC_CONSOLE_NOT_FOUND', 'No such call path.');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw IpcErrors.create('IPC_CONSOLE_REQUEST', 'The app’s files are read with GET only.');
  }
  return handleFile(req, res, url, options.rendererDir);
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolveListen((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the console; resolves once it listens. */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const host = options.host ?? CONSOLE_HOST;
  assertLoopbackBind(host);
  const token = randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token, 'utf8');
  let guard: Guard | null = null;
  const server = createServer((req, res) => {
    if (guard === null) return void res.destroy();
    route(req, res, guard, options).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendFailure(res, error);
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 0; // the event stream stays open; calls end when their job answers
  const port = await listen(server, host, options.port ?? 0);
  guard = new Guard(port, tokenBytes);
  const origin = `http://${host}:${port}`;
  return {
    url: `${origin}/#${CONSOLE_TOKEN_PARAM}=${token}`,
    origin,
    port,
    token,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
