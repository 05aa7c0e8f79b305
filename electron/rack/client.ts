/**
 * The rack API client (docs/rack-api.md): a pinned HTTPS session with a rack, used by the backup
 * controller (exports) and by cloud recovery (imports).
 *
 * Every answer is validated against shared/rack-api.ts before it is believed; every failure is a
 * typed RACK_* error. The operator's password is kept only as a Buffer (never a JS string) and
 * only to renew the short-lived token; `close()` wipes it.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { CommonErrors } from '../../shared/errors.js';
import {
  API_PREFIX,
  ARTIFACT_SHA256_HEADER,
  ArtifactProgress,
  CommitResponse,
  ComponentStatus,
  DigestResponse,
  ExportResponse,
  ImportStatus,
  RackInfo,
  TokenResponse,
  type ComponentId,
  type Mode,
} from '../../shared/rack-api.js';
import { ArtifactDownload, type DownloadOptions } from './download.js';
import { RackErrors } from './errors.js';
import { PinnedAgent, parseRackUrl, readBody, send, normalizeFingerprint } from './transport.js';
import { parseErrorBody, wireError } from './wire-errors.js';

export interface ConnectOptions {
  /** `https://HOST:PORT` */
  readonly url: string;
  /** The SHA-256 fingerprint the operator confirmed (see probeFingerprint). */
  readonly fingerprint: string;
  readonly username: string;
  readonly password: Buffer;
  readonly signal?: AbortSignal;
  /** Socket inactivity limit per request (default 60 s). */
  readonly timeoutMs?: number;
  /**
   * Limit for the calls a rack answers only when done: taking an export snapshot and committing
   * an import, which take minutes on a large rack (default 30 min).
   */
  readonly operationTimeoutMs?: number;
  /** How many times a dropped download or upload is resumed before giving up (default 5). */
  readonly retries?: number;
}

/** Where to take an upload's bytes from; a function lets the client resume by itself. */
export type UploadSource = Readable | ((offset: number) => Readable | Promise<Readable>);

export interface UploadOptions {
  /** Byte of the artifact the source starts at (the import status's `received`). */
  readonly offset?: number;
  readonly size: number;
  readonly sha256: string;
  readonly signal?: AbortSignal;
}

interface Token {
  readonly value: string;
  readonly renewAfter: number;
}

type Call = {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly json?: unknown;
  readonly signal?: AbortSignal | undefined;
  readonly what: string;
  /** A longer inactivity limit for snapshot and commit calls. */
  readonly long?: boolean;
};

const enc = encodeURIComponent;

export class RackClient {
  readonly url: string;
  readonly fingerprint: string;
  readonly #base: URL;
  readonly #agent: PinnedAgent;
  readonly #username: string;
  readonly #password: Buffer;
  readonly #timeoutMs: number;
  readonly #operationTimeoutMs: number;
  readonly #retries: number;
  #token: Token | undefined;
  #renewing: Promise<Token> | undefined;

  private constructor(options: ConnectOptions) {
    this.#base = parseRackUrl(options.url);
    this.url = this.#base.origin;
    this.fingerprint = normalizeFingerprint(options.fingerprint);
    this.#agent = new PinnedAgent(this.#base, this.fingerprint);
    this.#username = options.username;
    this.#password = Buffer.from(options.password);
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#operationTimeoutMs = Math.max(this.#timeoutMs, options.operationTimeoutMs ?? 1_800_000);
    this.#retries = options.retries ?? 5;
  }

  /** Connects, checks the pinned fingerprint and the credentials (gets a first token). */
  static async connect(options: ConnectOptions): Promise<RackClient> {
    const client = new RackClient(options);
    try {
      await client.#renewToken(options.signal);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  /** Wipes the password copy and closes idle connections. */
  close(): void {
    this.#password.fill(0);
    this.#token = undefined;
    this.#agent.destroy();
  }

  async info(signal?: AbortSignal): Promise<RackInfo> {
    return await this.#json(RackInfo, {
      method: 'GET',
      path: '/rack',
      signal,
      what: 'Reading the rack information',
    });
  }

  async digest(component: ComponentId, signal?: AbortSignal): Promise<DigestResponse> {
    return await this.#json(DigestResponse, {
      method: 'GET',
      path: `/components/${enc(component)}/digest`,
      signal,
      what: `Reading the state digest of ${component}`,
    });
  }

  /** Takes a consistent point-in-time export; its artifacts stay downloadable until deleted. */
  async startExport(component: ComponentId, signal?: AbortSignal): Promise<ExportResponse> {
    const answer = await this.#json(ExportResponse, {
      method: 'POST',
      path: `/components/${enc(component)}/exports`,
      json: {},
      signal,
      what: `Exporting ${component}`,
      long: true,
    });
    this.#expectComponent(answer.component, component);
    return answer;
  }

  async getExport(exportId: string, signal?: AbortSignal): Promise<ExportResponse> {
    return await this.#json(ExportResponse, {
      method: 'GET',
      path: `/exports/${enc(exportId)}`,
      signal,
      what: `Reading export ${exportId}`,
    });
  }

  async deleteExport(exportId: string, signal?: AbortSignal): Promise<void> {
    await this.#empty({
      method: 'DELETE',
      path: `/exports/${enc(exportId)}`,
      signal,
      what: `Releasing export ${exportId}`,
    });
  }

  /**
   * Streams an artifact from `offset`. A dropped connection is resumed with a Range request;
   * when the stream starts at 0 the whole artifact's SHA-256 is checked before the stream ends
   * (a mismatch destroys the stream with RACK_DIGEST_MISMATCH).
   */
  downloadArtifact(exportId: string, name: string, options: DownloadOptions = {}): Readable {
    return new ArtifactDownload(
      {
        open: (offset, signal) =>
          this.#authorized(
            (token) =>
              send(this.#agent, this.#base, {
                method: 'GET',
                path: `${API_PREFIX}/exports/${enc(exportId)}/artifacts/${enc(name)}`,
                headers: { authorization: `Bearer ${token}`, range: `bytes=${offset}-` },
                signal,
                timeoutMs: this.#timeoutMs,
              }),
            signal,
          ),
        fail: async (response, what) => await this.#failure(response, what),
        retries: this.#retries,
        label: `artifact ${name} of export ${exportId}`,
      },
      options,
    );
  }

  /** Opens an import into a component in recovery mode; returns its id. */
  async createImport(
    component: ComponentId,
    options: { sourceVersion?: string; signal?: AbortSignal } = {},
  ): Promise<string> {
    const status = await this.#json(ImportStatus, {
      method: 'POST',
      path: `/components/${enc(component)}/imports`,
      json: options.sourceVersion === undefined ? {} : { sourceVersion: options.sourceVersion },
      signal: options.signal,
      what: `Opening an import into ${component}`,
    });
    this.#expectComponent(status.component, component);
    return status.importId;
  }

  /** What the rack holds of an import: bytes received of each artifact, so a client resumes. */
  async importStatus(importId: string, signal?: AbortSignal): Promise<ImportStatus> {
    return await this.#json(ImportStatus, {
      method: 'GET',
      path: `/imports/${enc(importId)}`,
      signal,
      what: `Reading import ${importId}`,
    });
  }

  async abandonImport(importId: string, signal?: AbortSignal): Promise<void> {
    await this.#empty({
      method: 'DELETE',
      path: `/imports/${enc(importId)}`,
      signal,
      what: `Abandoning import ${importId}`,
    });
  }

  /**
   * Uploads an artifact from `offset` to its end. With a source function, a dropped connection
   * is resumed from the bytes the rack says it received; with a plain stream it ends in
   * RACK_UPLOAD_INTERRUPTED carrying `details.received`.
   */
  async uploadArtifact(
    importId: string,
    name: string,
    source: UploadSource,
    options: UploadOptions,
  ): Promise<ArtifactProgress> {
    let offset = options.offset ?? 0;
    for (let attempt = 0; ; attempt++) {
      if (offset >= options.size && options.size > 0)
        return await this.#progressOf(importId, name, options.signal);
      try {
        const body = typeof source === 'function' ? await source(offset) : source;
        return await this.#uploadOnce(importId, name, body, { ...options, offset });
      } catch (error) {
        if (
          !RackErrors.is(error, 'RACK_UPLOAD_INTERRUPTED') &&
          !RackErrors.is(error, 'RACK_UNREACHABLE')
        ) {
          throw error;
        }
        const received = await this.#receivedSoFar(importId, name, options.signal);
        if (typeof source !== 'function' || attempt >= this.#retries) {
          throw RackErrors.create(
            'RACK_UPLOAD_INTERRUPTED',
            `The upload of ${name} stopped at byte ${received} of ${options.size}.`,
            { cause: error, details: { received, size: options.size, artifact: name } },
          );
        }
        offset = received;
        await delay(Math.min(2000, 100 * 2 ** attempt), options.signal);
      }
    }
  }

  async #uploadOnce(
    importId: string,
    name: string,
    body: Readable,
    options: UploadOptions & { offset: number },
  ): Promise<ArtifactProgress> {
    const { offset, size } = options;
    const headers: Record<string, string> = {
      [ARTIFACT_SHA256_HEADER]: options.sha256,
      'content-type': 'application/octet-stream',
      'content-length': String(size - offset),
    };
    // A part not starting at 0 says where it goes; a whole artifact needs only its length.
    if (offset > 0) headers['content-range'] = `bytes ${offset}-${size - 1}/${size}`;
    const response = await this.#authorized(
      (token) =>
        send(this.#agent, this.#base, {
          method: 'PUT',
          path: `${API_PREFIX}/imports/${enc(importId)}/artifacts/${enc(name)}`,
          headers: { ...headers, authorization: `Bearer ${token}` },
          body,
          signal: options.signal,
          timeoutMs: this.#timeoutMs,
        }),
      options.signal,
      false,
    ).catch((error: unknown) => {
      throw RackErrors.is(error, 'RACK_UNREACHABLE') || RackErrors.is(error, 'RACK_TIMEOUT')
        ? RackErrors.create('RACK_UPLOAD_INTERRUPTED', `The upload of ${name} was interrupted.`, {
            cause: error,
          })
        : error;
    });
    if (response.statusCode !== 200) throw await this.#failure(response, `Uploading ${name}`);
    return await this.#validated(ArtifactProgress, response, `Uploading ${name}`);
  }

  async #progressOf(
    importId: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<ArtifactProgress> {
    const status = await this.importStatus(importId, signal);
    const found = status.artifacts.find((artifact) => artifact.name === name);
    return {
      name,
      size: found?.size ?? 0,
      received: found?.received ?? 0,
      complete: found?.complete ?? false,
    };
  }

  async #receivedSoFar(importId: string, name: string, signal?: AbortSignal): Promise<number> {
    return (await this.#progressOf(importId, name, signal)).received;
  }

  /**
   * Applies the import transactionally. With `expectedStateDigest` the rack applies nothing
   * unless the result has that digest; either way the returned digest is checked here too.
   */
  async commitImport(
    importId: string,
    options: { expectedStateDigest?: string; signal?: AbortSignal } = {},
  ): Promise<CommitResponse> {
    const answer = await this.#json(CommitResponse, {
      method: 'POST',
      path: `/imports/${enc(importId)}/commit`,
      json:
        options.expectedStateDigest === undefined
          ? {}
          : { expectedStateDigest: options.expectedStateDigest },
      signal: options.signal,
      what: `Committing import ${importId}`,
      long: true,
    });
    if (
      options.expectedStateDigest !== undefined &&
      answer.stateDigest !== options.expectedStateDigest
    ) {
      throw RackErrors.create(
        'RACK_DIGEST_MISMATCH',
        `The rack reports state digest ${answer.stateDigest} for ${answer.component}, not ${options.expectedStateDigest}.`,
      );
    }
    return answer;
  }

  /** Puts one component into recovery mode (healing) or back to normal. */
  async setComponentMode(
    component: ComponentId,
    mode: Mode,
    signal?: AbortSignal,
  ): Promise<ComponentStatus> {
    return await this.#json(ComponentStatus, {
      method: 'PUT',
      path: `/components/${enc(component)}/mode`,
      json: { mode },
      signal,
      what: `Switching ${component} to ${mode} mode`,
    });
  }

  /** Ends a cloud recovery: every component returns to normal mode. */
  async finishRecovery(signal?: AbortSignal): Promise<RackInfo> {
    return await this.#json(RackInfo, {
      method: 'PUT',
      path: '/rack/mode',
      json: { mode: 'normal' },
      signal,
      what: 'Ending the recovery',
    });
  }

  // ---------------------------------------------------------------------------------------------

  #expectComponent(got: ComponentId, wanted: ComponentId): void {
    if (got !== wanted) {
      throw RackErrors.create(
        'RACK_PROTOCOL',
        `The rack answered for ${got} when asked about ${wanted}.`,
      );
    }
  }

  async #json<S extends z.ZodType>(schema: S, call: Call): Promise<z.infer<S>> {
    const response = await this.#request(call);
    if (response.statusCode !== 200 && response.statusCode !== 201)
      throw await this.#failure(response, call.what);
    return await this.#validated(schema, response, call.what);
  }

  async #empty(call: Call): Promise<void> {
    const response = await this.#request(call);
    if (response.statusCode !== 204 && response.statusCode !== 200)
      throw await this.#failure(response, call.what);
    response.resume();
  }

  async #validated<S extends z.ZodType>(
    schema: S,
    response: IncomingMessage,
    what: string,
  ): Promise<z.infer<S>> {
    const raw = await readBody(response).catch((error: unknown) => {
      throw RackErrors.is(error)
        ? error
        : RackErrors.create('RACK_UNREACHABLE', `${what}: the connection dropped mid-answer.`, {
            cause: error,
          });
    });
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw RackErrors.create('RACK_PROTOCOL', `${what}: the rack's answer is not JSON.`, {
        cause: error,
      });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw RackErrors.create(
        'RACK_PROTOCOL',
        `${what}: the rack's answer does not follow rack API v1 (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}).`,
      );
    }
    return parsed.data as z.infer<S>;
  }

  async #failure(response: IncomingMessage, what: string): Promise<Error> {
    const raw = await readBody(response, 64 << 10).catch(() => Buffer.alloc(0));
    return wireError(response.statusCode ?? 0, parseErrorBody(raw), what);
  }

  async #request(call: Call): Promise<IncomingMessage> {
    const body = call.json === undefined ? undefined : Buffer.from(JSON.stringify(call.json));
    return await this.#authorized(
      (token) =>
        send(this.#agent, this.#base, {
          method: call.method,
          path: `${API_PREFIX}${call.path}`,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body }),
          signal: call.signal,
          timeoutMs: call.long === true ? this.#operationTimeoutMs : this.#timeoutMs,
        }),
      call.signal,
    );
  }

  /**
   * Runs a request with a valid token. A 401 TOKEN_EXPIRED/UNAUTHENTICATED (the rack restarted
   * or the clock ran out) renews the token once and repeats the request when it can be repeated.
   */
  async #authorized(
    attempt: (token: string) => Promise<IncomingMessage>,
    signal: AbortSignal | undefined,
    repeatable = true,
  ): Promise<IncomingMessage> {
    let token = await this.#validToken(signal);
    const response = await attempt(token.value);
    if (response.statusCode !== 401 || !repeatable) return response;
    const raw = await readBody(response, 64 << 10).catch(() => Buffer.alloc(0));
    const body = parseErrorBody(raw);
    if (body?.code !== 'TOKEN_EXPIRED' && body?.code !== 'UNAUTHENTICATED') {
      throw wireError(401, body, 'A rack request');
    }
    this.#token = undefined;
    token = await this.#validToken(signal);
    return await attempt(token.value);
  }

  async #validToken(signal: AbortSignal | undefined): Promise<Token> {
    if (this.#token !== undefined && Date.now() < this.#token.renewAfter) return this.#token;
    return await this.#renewToken(signal);
  }

  #renewToken(signal: AbortSignal | undefined): Promise<Token> {
    this.#renewing ??= this.#fetchToken(signal).finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #fetchToken(signal: AbortSignal | undefined): Promise<Token> {
    if (this.#password.every((byte) => byte === 0)) {
      throw CommonErrors.create('INVALID_INPUT', 'This rack connection was closed.');
    }
    const body = credentialsBody(this.#username, this.#password);
    const started = Date.now();
    let response: IncomingMessage;
    try {
      response = await send(this.#agent, this.#base, {
        method: 'POST',
        path: `${API_PREFIX}/auth/token`,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        ...(signal === undefined ? {} : { signal }),
        timeoutMs: this.#timeoutMs,
      });
    } finally {
      body.fill(0);
    }
    if (response.statusCode !== 200) throw await this.#failure(response, 'Signing in to the rack');
    const answer = await this.#validated(TokenResponse, response, 'Signing in to the rack');
    // Renew when 80% of the lifetime has passed, measured on our clock so rack clock skew is moot.
    const token = { value: answer.token, renewAfter: started + answer.expiresIn * 800 };
    this.#token = token;
    return token;
  }
}

/**
 * `{"username":…,"password":…}` built as bytes, so the password never becomes a JS string that
 * would linger in the heap; the caller wipes the buffer after sending it.
 */
function credentialsBody(username: string, password: Buffer): Buffer {
  const head = Buffer.from(`{"username":${JSON.stringify(username)},"password":"`);
  const escaped = Buffer.alloc(password.length * 6);
  let at = 0;
  for (const byte of password) {
    if (byte === 0x22 || byte === 0x5c) {
      escaped[at++] = 0x5c;
      escaped[at++] = byte;
    } else if (byte < 0x20) {
      at += escaped.write(`\\u00${byte.toString(16).padStart(2, '0')}`, at, 'latin1');
    } else escaped[at++] = byte;
  }
  const out = Buffer.concat([head, escaped.subarray(0, at), Buffer.from('"}')]);
  escaped.fill(0);
  return out;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(CommonErrors.create('CANCELLED', 'Cancelled.'));
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(CommonErrors.create('CANCELLED', 'Cancelled.'));
      },
      { once: true },
    );
  });
}
