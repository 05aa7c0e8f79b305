/**
 * HTTPS to a rack with its certificate pinned by SHA-256 fingerprint (docs/rack-api.md §1).
 *
 * Racks present self-signed certificates, so no certificate authority can vouch for them. The
 * agent below completes the TLS handshake itself and compares the leaf certificate's fingerprint
 * with the confirmed one *before* handing the socket to HTTP, so on a mismatch not a single byte
 * of a request (and so no password or token) is sent.
 */
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import tls from 'node:tls';
import { CommonErrors, LifeboatError } from '../../shared/errors.js';
import { RackErrors } from './errors.js';

/** Normalises an operator-typed fingerprint (any case, with or without colons) to `AB:CD:…`. */
export function normalizeFingerprint(input: string): string {
  const hex = input
    .replace(/^sha256[:/ ]?/i, '')
    .replace(/[\s:]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw CommonErrors.create(
      'INVALID_INPUT',
      'A rack fingerprint is 64 hexadecimal digits (SHA-256), optionally separated by colons.',
    );
  }
  return hex.match(/../g)!.join(':');
}

/** Checks a rack URL: https, a host, an optional port, nothing else. */
export function parseRackUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw CommonErrors.create('INVALID_INPUT', `"${url}" is not a URL.`, {
      hint: 'Give the rack address as https://HOST:PORT.',
    });
  }
  const problem =
    parsed.protocol !== 'https:'
      ? 'must use https'
      : parsed.username !== '' || parsed.password !== ''
        ? 'must not contain credentials'
        : parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== ''
          ? 'must not have a path'
          : undefined;
  if (problem !== undefined) {
    throw CommonErrors.create('INVALID_INPUT', `The rack address ${problem}.`, {
      hint: 'Give the rack address as https://HOST:PORT.',
    });
  }
  return parsed;
}

function connectOptions(url: URL): tls.ConnectionOptions {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const isIp = /^[\d.]+$/.test(host) || host.includes(':');
  return {
    host,
    port: url.port === '' ? 443 : Number(url.port),
    ...(isIp ? {} : { servername: host }),
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  };
}

/** Maps a socket-level failure to a typed error. */
export function transportError(error: unknown, url: URL): Error {
  if (error instanceof LifeboatError) return error;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    if (error.code.startsWith('ERR_SSL') || error.code.includes('TLS')) {
      return RackErrors.create('RACK_TLS_FAILED', `TLS with ${url.host} failed (${error.code}).`, {
        cause: error,
      });
    }
    return RackErrors.create(
      'RACK_UNREACHABLE',
      `The rack at ${url.host} cannot be reached (${error.code}).`,
      { cause: error, details: { errno: error.code } },
    );
  }
  return RackErrors.create(
    'RACK_UNREACHABLE',
    `The connection to the rack at ${url.host} failed.`,
    {
      cause: error,
    },
  );
}

/**
 * Connects once, without sending anything, and returns the server certificate's SHA-256
 * fingerprint, for the operator to confirm on first contact.
 */
export async function probeFingerprint(
  url: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string> {
  const parsed = parseRackUrl(url);
  return await new Promise<string>((resolve, reject) => {
    const socket = tls.connect(connectOptions(parsed));
    const fail = (error: unknown) => {
      socket.destroy();
      reject(transportError(error, parsed));
    };
    const onAbort = () => fail(CommonErrors.create('CANCELLED', 'The probe was cancelled.'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(options.timeoutMs ?? 15_000, () =>
      fail(
        RackErrors.create(
          'RACK_TIMEOUT',
          `The rack at ${parsed.host} did not answer the TLS handshake.`,
        ),
      ),
    );
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      options.signal?.removeEventListener('abort', onAbort);
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      if (typeof fingerprint !== 'string' || fingerprint === '') {
        reject(
          RackErrors.create(
            'RACK_TLS_FAILED',
            `The rack at ${parsed.host} presented no certificate.`,
          ),
        );
      } else resolve(normalizeFingerprint(fingerprint));
    });
  });
}

/** An HTTPS agent that only ever talks to a server presenting the pinned certificate. */
export class PinnedAgent extends https.Agent {
  readonly #pin: string;
  readonly #url: URL;

  constructor(url: URL, fingerprint: string) {
    super({ keepAlive: true, maxSockets: 16, maxCachedSessions: 0, rejectUnauthorized: false });
    this.#url = url;
    this.#pin = normalizeFingerprint(fingerprint);
  }

  override createConnection(
    _options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): undefined {
    const socket = tls.connect(connectOptions(this.#url));
    const onError = (error: Error) => callback?.(transportError(error, this.#url), socket);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      const seen = socket.getPeerCertificate().fingerprint256;
      if (seen === undefined || normalizeFingerprint(seen) !== this.#pin) {
        socket.destroy();
        callback?.(
          RackErrors.create(
            'RACK_FINGERPRINT_CHANGED',
            `The rack at ${this.#url.host} presented certificate ${seen ?? '(none)'}, not the confirmed ${this.#pin}.`,
            { details: { expected: this.#pin, presented: seen ?? null } },
          ),
          socket,
        );
        return;
      }
      callback?.(null, socket);
    });
    return undefined;
  }
}

export interface SendOptions {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | Readable;
  readonly signal?: AbortSignal;
  /** Socket inactivity limit: a hanging rack becomes RACK_TIMEOUT. */
  readonly timeoutMs: number;
}

/** Sends one request and resolves with the response head (the body is the caller's to read). */
export function send(agent: PinnedAgent, url: URL, options: SendOptions): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    if (options.signal?.aborted === true) {
      reject(CommonErrors.create('CANCELLED', 'The request was cancelled.'));
      return;
    }
    const headers: Record<string, string> = { ...options.headers };
    if (Buffer.isBuffer(options.body)) headers['content-length'] = String(options.body.length);
    const request = https.request(
      new URL(options.path, url),
      { method: options.method, agent, headers, timeout: options.timeoutMs },
      (response) => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(response);
      },
    );
    const onAbort = () =>
      request.destroy(CommonErrors.create('CANCELLED', 'The request was cancelled.'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('timeout', () =>
      request.destroy(
        RackErrors.create(
          'RACK_TIMEOUT',
          `The rack did not answer ${options.method} ${options.path} in time.`,
        ),
      ),
    );
    request.once('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(transportError(error, url));
    });
    if (options.body === undefined) request.end();
    else if (Buffer.isBuffer(options.body)) request.end(options.body);
    else {
      const body = options.body;
      body.once('error', (error) => request.destroy(error));
      // A request that ends before its body was all sent (refused, dropped, cancelled) releases
      // the body, so a file behind it is closed now rather than at garbage collection.
      request.once('close', () => {
        if (!body.readableEnded) {
          body.unpipe(request);
          body.destroy();
        }
      });
      body.pipe(request);
    }
  });
}

/** Reads a whole (small) response body, refusing more than `limit` bytes. */
export async function readBody(response: IncomingMessage, limit = 4 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const part of response as AsyncIterable<Buffer>) {
    total += part.length;
    if (total > limit) {
      response.destroy();
      throw RackErrors.create('RACK_PROTOCOL', `The rack sent a reply larger than ${limit} bytes.`);
    }
    parts.push(part);
  }
  return Buffer.concat(parts);
}
