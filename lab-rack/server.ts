/**
 * The lab rack's HTTPS server: rack API v1 (docs/rack-api.md) over the state in store.ts, plus
 * the lab extensions (OpenAPI document, fault injection).
 *
 * Everything a client sends is validated (zod for JSON, explicit checks for headers and ranges);
 * every refusal is an ApiError answered as `{ code, message, details? }` with its status.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  ARTIFACT_SHA256_HEADER,
  COMPONENT_IDS,
  ComponentId,
  CommitRequest,
  CreateImportRequest,
  LabFaults,
  SetModeRequest,
  TokenRequest,
  importVersionProblem,
  type ExportResponse,
  type ImportStatus,
  type RackInfo,
} from '../shared/rack-api.js';
import { ARTIFACTS, artifactSpec } from './data.js';
import { ApiError } from './errors.js';
import { FaultState } from './faults.js';
import { Malformed } from './framing.js';
import { openApiText } from './openapi.js';
import type { TlsMaterial } from './pki.js';
import { commitInWorker, exportInWorker } from './worker.js';
import type { ExportRow, ImportRow, RackStore } from './store.js';

export interface ServerOptions {
  readonly store: RackStore;
  readonly tls: TlsMaterial;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: Buffer;
  readonly tokenTtlSeconds?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

type Params = Record<string, string>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly open?: boolean;
  readonly handle: (ctx: RequestContext) => Promise<void> | void;
}

interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Params;
}

const JSON_LIMIT = 1 << 20;
const sha256Pattern = /^[0-9a-f]{64}$/;

export class LabRackServer {
  readonly #options: ServerOptions;
  readonly #store: RackStore;
  readonly #faults = new FaultState();
  readonly #tokens = new Map<string, number>();
  readonly #uploading = new Set<string>();
  readonly #committing = new Set<string>();
  readonly #routes: Route[];
  readonly #passwordDigest: Buffer;

  constructor(options: ServerOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#passwordDigest = createHash('sha256').update(options.password).digest();
    this.#routes = this.#routeTable();
  }

  async listen(): Promise<RunningServer> {
    const server = createServer(
      { cert: this.#options.tls.cert, key: this.#options.tls.key, minVersion: 'TLSv1.2' },
      (req, res) => {
        void this.#dispatch(req, res);
      },
    );
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    const sweeper = setInterval(() => this.#sweep(), 60_000);
    sweeper.unref();
    return {
      url: `https://${host}:${port}`,
      server,
      close: async () => {
        clearInterval(sweeper);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  #sweep(): void {
    const now = Date.now();
    for (const [token, expires] of this.#tokens)
      if (expires + 3_600_000 < now) this.#tokens.delete(token);
    this.#store.expireExports(new Date(now));
  }

  // ------------------------------------------------------------------------------------------
  // Dispatch

  #routeTable(): Route[] {
    const c = '(?<component>[^/]+)';
    const id = '(?<id>[^/]+)';
    const name = '(?<name>[^/]+)';
    const r = (method: string, path: string, handle: Route['handle'], open = false): Route => ({
      method,
      pattern: new RegExp(`^/v1${path}$`),
      handle,
      open,
    });
    return [
      r('POST', '/auth/token', (ctx) => this.#token(ctx), true),
      r(
        'GET',
        '/openapi.json',
        (ctx) => send(ctx.res, 200, openApiText(), 'application/json'),
        true,
      ),
      r('GET', '/rack', (ctx) => json(ctx.res, 200, this.#info())),
      r('PUT', '/rack/mode', (ctx) => this.#setRackMode(ctx)),
      r('GET', `/components/${c}/digest`, (ctx) => this.#digest(ctx)),
      r('PUT', `/components/${c}/mode`, (ctx) => this.#setComponentMode(ctx)),
      r('POST', `/components/${c}/exports`, (ctx) => this.#createExport(ctx)),
      r('GET', `/exports/${id}`, (ctx) => json(ctx.res, 200, exportBody(this.#export(ctx.params)))),
      r('DELETE', `/exports/${id}`, (ctx) => this.#deleteExport(ctx)),
      r('GET', `/exports/${id}/artifacts/${name}`, (ctx) => this.#download(ctx)),
      r('POST', `/components/${c}/imports`, (ctx) => this.#createImport(ctx)),
      r('GET', `/imports/${id}`, (ctx) =>
        json(ctx.res, 200, this.#importStatus(this.#import(ctx.params))),
      ),
      r('DELETE', `/imports/${id}`, (ctx) => this.#abandonImport(ctx)),
      r('PUT', `/imports/${id}/artifacts/${name}`, (ctx) => this.#upload(ctx)),
      r('POST', `/imports/${id}/commit`, (ctx) => this.#commit(ctx)),
      r('GET', '/lab/faults', (ctx) => json(ctx.res, 200, this.#faults.get())),
      r('PUT', '/lab/faults', async (ctx) => {
        this.#faults.set(await readJson(ctx.req, LabFaults));
        json(ctx.res, 200, this.#faults.get());
      }),
    ];
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = new URL(req.url ?? '/', 'https://rack').pathname;
      const candidates = this.#routes.filter((route) => route.pattern.test(path));
      if (candidates.length === 0) throw new ApiError('NOT_FOUND', `There is no ${path}.`);
      const route = candidates.find((candidate) => candidate.method === req.method);
      if (route === undefined)
        throw new ApiError('METHOD_NOT_ALLOWED', `${path} does not accept ${req.method ?? '?'}.`);
      const params = decodeParams(route.pattern.exec(path)?.groups ?? {});
      const latency = this.#faults.latencyMs();
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      if (!route.open) this.#authenticate(req);
      if (this.#store.destroyed() && !path.startsWith('/v1/lab/')) {
        throw new ApiError(
          'RACK_UNAVAILABLE',
          'The rack infrastructure is down (disaster); redeploy it for cloud recovery.',
        );
      }
      if (this.#injected(params, res)) return;
      await route.handle({ req, res, params });
    } catch (error) {
      this.#fail(req, res, error);
    }
  }

  /** Applies hang and failure faults to calls that name a component (directly or via an id). */
  #injected(params: Params, res: ServerResponse): boolean {
    const component = this.#componentOf(params);
    if (component === undefined) return false;
    if (this.#faults.hangs(component)) return true; // never answered: the client must give up
    const status = this.#faults.failure(component);
    if (status === undefined) return false;
    json(res, status, {
      code: 'INJECTED_FAILURE',
      message: `Injected failure of ${component} (lab rack fault).`,
    });
    return true;
  }

  #componentOf(params: Params): ComponentId | undefined {
    const named = params['component'];
    if (named !== undefined) return ComponentId.safeParse(named).data;
    const id = params['id'];
    if (id === undefined) return undefined;
    return (this.#store.getExport(id) ?? this.#store.getImport(id))?.component;
  }

  #fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    req.resume(); // drain whatever body is left so the connection stays usable
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof ApiError) {
      const body: Record<string, unknown> = { code: error.code, message: error.message };
      if (error.details !== undefined) body['details'] = error.details;
      json(res, error.status, body);
      return;
    }
    console.error('lab-rack: internal error:', error);
    json(res, 500, { code: 'INTERNAL', message: 'The lab rack failed to handle the request.' });
  }

  // ------------------------------------------------------------------------------------------
  // Authentication

  async #token(ctx: RequestContext): Promise<void> {
    const request = await readJson(ctx.req, TokenRequest);
    const given = createHash('sha256').update(request.password, 'utf8').digest();
    const userOk = request.username === this.#options.username;
    if (!timingSafeEqual(given, this.#passwordDigest) || !userOk) {
      throw new ApiError('INVALID_CREDENTIALS', 'The username or password is wrong.');
    }
    const ttl = this.#options.tokenTtlSeconds ?? 900;
    const token = randomBytes(32).toString('base64url');
    const expires = Date.now() + ttl * 1000;
    this.#tokens.set(token, expires);
    json(ctx.res, 200, {
      token,
      tokenType: 'Bearer',
      expiresAt: new Date(expires).toISOString(),
      expiresIn: ttl,
    });
  }

  #authenticate(req: IncomingMessage): void {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const expires = match === null ? undefined : this.#tokens.get(match[1] as string);
    if (expires === undefined)
      throw new ApiError('UNAUTHENTICATED', 'A valid bearer token is needed: POST /v1/auth/token.');
    if (expires <= Date.now())
      throw new ApiError('TOKEN_EXPIRED', 'The bearer token has expired: get a new one.');
  }

  // ------------------------------------------------------------------------------------------
  // Rack and components

  #info(): RackInfo {
    const identity = this.#store.identity();
    return {
      stampId: identity.stampId,
      region: identity.region,
      externalDomain: identity.externalDomain,
      version: identity.version,
      mode: this.#store.rackMode(),
      serverTime: new Date().toISOString(),
      components: this.#store.components(),
    };
  }

  async #setRackMode(ctx: RequestContext): Promise<void> {
    const { mode } = await readJson(ctx.req, SetModeRequest);
    if (mode !== 'normal') {
      throw new ApiError(
        'BAD_REQUEST',
        'A rack enters recovery mode only by being redeployed; set single components instead.',
      );
    }
    this.#store.finishRecovery();
    json(ctx.res, 200, this.#info());
  }

  #componentParam(params: Params): ComponentId {
    const parsed = ComponentId.safeParse(params['component']);
    if (!parsed.success) {
      throw new ApiError(
        'UNKNOWN_COMPONENT',
        `There is no component "${params['component'] ?? ''}"; components: ${COMPONENT_IDS.join(', ')}.`,
      );
    }
    return parsed.data;
  }

  #digest(ctx: RequestContext): void {
    const component = this.#componentParam(ctx.params);
    const digest = this.#store.digest(component);
    json(ctx.res, 200, { component, ...digest, computedAt: new Date().toISOString() });
  }

  async #setComponentMode(ctx: RequestContext): Promise<void> {
    const component = this.#componentParam(ctx.params);
    const { mode } = await readJson(ctx.req, SetModeRequest);
    json(ctx.res, 200, this.#store.setComponentMode(component, mode));
  }

  // ------------------------------------------------------------------------------------------
  // Exports

  async #createExport(ctx: RequestContext): Promise<void> {
    const component = this.#componentParam(ctx.params);
    if (this.#store.component(component).mode === 'recovery') {
      throw new ApiError(
        'COMPONENT_IN_RECOVERY',
        `${component} is in recovery mode; its data is not live and cannot be exported.`,
      );
    }
    const row = await exportInWorker(this.#store.dir, component, new Date());
    json(ctx.res, 201, exportBody(row));
  }

  #export(params: Params): ExportRow {
    const found = this.#store.getExport(params['id'] ?? '');
    if (found === undefined)
      throw new ApiError(
        'NOT_FOUND',
        `There is no export ${params['id'] ?? ''} (it may have expired).`,
      );
    return found;
  }

  #deleteExport(ctx: RequestContext): void {
    this.#export(ctx.params);
    this.#store.deleteExport(ctx.params['id'] ?? '');
    send(ctx.res, 204, '');
  }

  #download(ctx: RequestContext): void {
    const row = this.#export(ctx.params);
    const name = ctx.params['name'] ?? '';
    const artifact = row.artifacts.find((candidate) => candidate.name === name);
    if (artifact === undefined)
      throw new ApiError('NOT_FOUND', `Export ${row.id} has no artifact ${name}.`);
    const range = parseRange(ctx.req.headers.range, artifact.size);
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${artifact.sha256}"`,
      'content-length': range.end - range.start + 1,
    };
    if (range.partial)
      headers['content-range'] = `bytes ${range.start}-${range.end}/${artifact.size}`;
    ctx.res.writeHead(range.partial ? 206 : 200, headers);
    if (artifact.size === 0) {
      ctx.res.end();
      return;
    }
    const dropAt = this.#faults.downloadDrop(name, range.start, range.end);
    const last = dropAt === undefined ? range.end : dropAt - 1;
    if (last < range.start) {
      dropConnection(ctx.res);
      return;
    }
    const stream = createReadStream(join(this.#store.exportDir(row.id), name), {
      start: range.start,
      end: last,
      highWaterMark: 1 << 20,
    });
    stream.on('error', () => ctx.res.destroy());
    ctx.res.on('close', () => stream.destroy());
    if (dropAt === undefined) stream.pipe(ctx.res);
    else {
      stream.pipe(ctx.res, { end: false });
      stream.on('end', () => dropConnection(ctx.res));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Imports

  async #createImport(ctx: RequestContext): Promise<void> {
    const component = this.#componentParam(ctx.params);
    const request = await readJson(ctx.req, CreateImportRequest, true);
    this.#requireRecovery(component);
    const version = this.#store.identity().version;
    const problem =
      request.sourceVersion === undefined
        ? undefined
        : importVersionProblem(request.sourceVersion, version);
    if (problem !== undefined) {
      throw new ApiError(
        'VERSION_UNSUPPORTED',
        `A backup of version ${request.sourceVersion ?? ''} cannot be restored into this rack (${version}): ${problem}.`,
      );
    }
    json(ctx.res, 201, this.#importStatus(this.#store.createImport(component, new Date())));
  }

  #requireRecovery(component: ComponentId): void {
    if (this.#store.component(component).mode !== 'recovery') {
      throw new ApiError(
        'NOT_IN_RECOVERY',
        `${component} is not in recovery mode; put it (or the redeployed rack) in recovery mode first.`,
      );
    }
  }

  #import(params: Params): ImportRow {
    const found = this.#store.getImport(params['id'] ?? '');
    if (found === undefined)
      throw new ApiError('NOT_FOUND', `There is no import ${params['id'] ?? ''}.`);
    return found;
  }

  #openImport(params: Params): ImportRow {
    const row = this.#import(params);
    if (row.state !== 'open')
      throw new ApiError('IMPORT_CLOSED', `Import ${row.id} is ${row.state}; create a new import.`);
    return row;
  }

  #received(row: ImportRow, name: string): number {
    try {
      return statSync(join(this.#store.importDir(row.id), name)).size;
    } catch {
      return 0;
    }
  }

  #importStatus(row: ImportRow): ImportStatus {
    return {
      importId: row.id,
      component: row.component,
      state: row.state,
      createdAt: row.created,
      expected: ARTIFACTS[row.component].map((spec) => spec.name),
      artifacts: this.#store.importArtifacts(row.id).map((artifact) => {
        const received =
          row.state === 'committed' ? artifact.size : this.#received(row, artifact.name);
        // Bytes still arriving or being verified are not complete yet.
        const busy = this.#uploading.has(`${row.id}/${artifact.name}`);
        return { ...artifact, received, complete: received === artifact.size && !busy };
      }),
      failure: row.failure,
    };
  }

  #abandonImport(ctx: RequestContext): void {
    const row = this.#openImport(ctx.params);
    this.#store.setImportState(row.id, 'abandoned');
    send(ctx.res, 204, '');
  }

  async #upload(ctx: RequestContext): Promise<void> {
    const row = this.#openImport(ctx.params);
    this.#requireRecovery(row.component);
    const name = ctx.params['name'] ?? '';
    if (artifactSpec(row.component, name) === undefined) {
      throw new ApiError(
        'NOT_FOUND',
        `${row.component} has no artifact ${name}; expected: ${ARTIFACTS[row.component].map((spec) => spec.name).join(', ')}.`,
      );
    }
    const part = parseUploadHeaders(ctx.req);
    const declared = this.#store.importArtifacts(row.id).find((artifact) => artifact.name === name);
    if (
      declared !== undefined &&
      (declared.size !== part.size || declared.sha256 !== part.sha256)
    ) {
      throw new ApiError(
        'BAD_REQUEST',
        `${name} was declared with size ${declared.size} and another SHA-256 earlier in this import.`,
      );
    }
    const key = `${row.id}/${name}`;
    const received = this.#received(row, name);
    if (this.#uploading.has(key) || part.start !== received) {
      throw new ApiError(
        'UPLOAD_OFFSET_MISMATCH',
        `The rack holds ${received} bytes of ${name}; send from byte ${received}.`,
        { received },
      );
    }
    this.#store.declareImportArtifact(row.id, { name, size: part.size, sha256: part.sha256 });
    this.#uploading.add(key);
    try {
      await this.#receive(ctx, row, name, part);
    } finally {
      this.#uploading.delete(key);
    }
  }

  async #receive(
    ctx: RequestContext,
    row: ImportRow,
    name: string,
    part: UploadPart,
  ): Promise<void> {
    const path = join(this.#store.importDir(row.id), name);
    const dropAt = this.#faults.uploadDrop(name, part.start, part.size - 1);
    const outcome = await receiveBody(
      ctx.req,
      path,
      dropAt === undefined ? undefined : dropAt - part.start,
    );
    if (outcome === 'dropped') {
      dropConnection(ctx.res);
      return;
    }
    if (outcome === 'aborted') return;
    const received = this.#received(row, name);
    if (received === part.size) {
      const actual = await hashFile(path);
      if (actual !== part.sha256) {
        rmSync(path, { force: true });
        this.#store.forgetImportArtifact(row.id, name);
        throw new ApiError(
          'ARTIFACT_DIGEST_MISMATCH',
          `${name} has SHA-256 ${actual}, not the declared ${part.sha256}; its bytes were discarded.`,
          {
            artifact: name,
            actual,
          },
        );
      }
    }
    json(ctx.res, 200, { name, size: part.size, received, complete: received === part.size });
  }

  async #commit(ctx: RequestContext): Promise<void> {
    const row = this.#openImport(ctx.params);
    const request = await readJson(ctx.req, CommitRequest, true);
    this.#requireRecovery(row.component);
    const status = this.#importStatus(row);
    const missing = status.expected.filter(
      (name) => !status.artifacts.some((artifact) => artifact.name === name && artifact.complete),
    );
    if (missing.length > 0) {
      throw new ApiError(
        'IMPORT_INCOMPLETE',
        `Import ${row.id} lacks complete artifacts: ${missing.join(', ')}.`,
        { missing },
      );
    }
    const files = new Map(
      status.expected.map((name) => [name, join(this.#store.importDir(row.id), name)]),
    );
    if (this.#committing.has(row.id)) {
      throw new ApiError('IMPORT_CLOSED', `A commit of import ${row.id} is already running.`);
    }
    this.#committing.add(row.id);
    let result: { stateDigest: string; records: number };
    try {
      result = await commitInWorker(
        this.#store.dir,
        row.component,
        files,
        request.expectedStateDigest,
      );
    } catch (error) {
      if (!(error instanceof Malformed)) throw error;
      const failure = malformedFailure(error, row);
      this.#store.setImportState(row.id, 'failed', {
        code: failure.code,
        message: failure.message,
      });
      throw failure;
    } finally {
      this.#committing.delete(row.id);
    }
    this.#store.setImportState(row.id, 'committed');
    json(ctx.res, 200, { importId: row.id, component: row.component, ...result });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function malformedFailure(error: Malformed, row: ImportRow): ApiError {
  const where =
    `${error.artifact ?? ''}${error.line === undefined ? '' : ` line ${error.line}`}`.trim();
  return new ApiError(
    'ARTIFACT_MALFORMED',
    `${row.component}: ${where === '' ? '' : `${where}: `}${error.message}. Nothing was applied.`,
    { artifact: error.artifact ?? null, line: error.line ?? null, reason: error.message },
  );
}

function decodeParams(groups: Record<string, string>): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(groups)) {
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      throw new ApiError('BAD_REQUEST', `The ${key} in the path is not valid.`);
    }
  }
  return out;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  if (status === 204) {
    res.writeHead(204).end();
    return;
  }
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json');
}

function exportBody(row: ExportRow): ExportResponse {
  return {
    exportId: row.id,
    component: row.component,
    createdAt: row.created,
    expiresAt: row.expires,
    rackVersion: row.rackVersion,
    stateDigest: row.digest,
    artifacts: row.artifacts,
  };
}

/** Reads and validates a JSON body (an empty body counts as `{}` when `emptyOk`). */
async function readJson<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  emptyOk = false,
): Promise<z.infer<S>> {
  const text = (await readSmallBody(req)).toString('utf8');
  let value: unknown = {};
  if (text.trim() !== '' || !emptyOk) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError('BAD_REQUEST', 'The body is not JSON.');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(
      'BAD_REQUEST',
      `The body is not valid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data as z.infer<S>;
}

/**
 * Reads a body of at most JSON_LIMIT bytes. A larger one is drained (up to a hard cap, then the
 * connection is cut) before the 413 is answered, so the client reads the answer instead of
 * meeting a reset while it still sends.
 */
function readSmallBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    req.on('data', (part: Buffer) => {
      total += part.length;
      if (total <= JSON_LIMIT) parts.push(part);
      else if (total > 64 * JSON_LIMIT) req.destroy();
    });
    req.once('error', reject);
    req.once('end', () => {
      if (total > JSON_LIMIT)
        reject(new ApiError('PAYLOAD_TOO_LARGE', 'A JSON body may not exceed 1 MiB.'));
      else resolve(Buffer.concat(parts));
    });
  });
}

interface ByteRange {
  readonly start: number;
  readonly end: number;
  readonly partial: boolean;
}

function parseRange(header: string | undefined, size: number): ByteRange {
  const whole = { start: 0, end: size - 1, partial: false };
  if (header === undefined) return whole;
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (match === null)
    throw new ApiError(
      'BAD_REQUEST',
      'Only one byte range, "bytes=S-" or "bytes=S-E", is supported.',
    );
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (size === 0 && start === 0) return whole;
  if (start >= size || end < start) {
    throw new ApiError(
      'RANGE_NOT_SATISFIABLE',
      `The artifact has ${size} bytes; bytes ${start}- cannot be sent.`,
      { size },
    );
  }
  return { start, end, partial: true };
}

interface UploadPart {
  readonly start: number;
  readonly size: number;
  readonly sha256: string;
}

function parseUploadHeaders(req: IncomingMessage): UploadPart {
  const sha256 = String(req.headers[ARTIFACT_SHA256_HEADER] ?? '').toLowerCase();
  if (!sha256Pattern.test(sha256))
    throw new ApiError(
      'BAD_REQUEST',
      `The ${ARTIFACT_SHA256_HEADER} header must hold the artifact's hex SHA-256.`,
    );
  const length =
    req.headers['content-length'] === undefined ? NaN : Number(req.headers['content-length']);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new ApiError('BAD_REQUEST', 'An upload needs a Content-Length.');
  const rangeHeader = req.headers['content-range'];
  if (rangeHeader === undefined) return { start: 0, size: length, sha256 };
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(rangeHeader);
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  const size = Number(match?.[3]);
  if (match === null || end < start || end >= size || end - start + 1 !== length) {
    throw new ApiError(
      'BAD_REQUEST',
      'Content-Range must be "bytes S-E/SIZE" with E < SIZE and Content-Length = E - S + 1.',
    );
  }
  return { start, size, sha256 };
}

type ReceiveOutcome = 'complete' | 'dropped' | 'aborted';

/**
 * Appends the request body to `path` (its length is bounded by Content-Length, which
 * parseUploadHeaders tied to the declared size). With `dropAfter`, stores exactly that many
 * bytes and then reports 'dropped' (the caller cuts the connection), as a fault test asked.
 */
function receiveBody(
  req: IncomingMessage,
  path: string,
  dropAfter: number | undefined,
): Promise<ReceiveOutcome> {
  return new Promise((resolve, reject) => {
    const file = createWriteStream(path, { flags: 'a' });
    let written = 0;
    let outcome: ReceiveOutcome | undefined;
    const finish = (result: ReceiveOutcome) => {
      if (outcome !== undefined) return;
      outcome = result;
      req.off('data', onData);
      file.end(() => resolve(result));
    };
    const onData = (chunk: Buffer) => {
      let piece = chunk;
      const cut = dropAfter !== undefined && written + piece.length >= dropAfter;
      if (cut) piece = piece.subarray(0, (dropAfter as number) - written);
      written += piece.length;
      if (!file.write(piece)) {
        req.pause();
        file.once('drain', () => req.resume());
      }
      if (cut) finish('dropped');
    };
    if (dropAfter === 0) {
      finish('dropped');
      return;
    }
    req.on('data', onData);
    req.once('end', () => finish('complete'));
    req.once('close', () => finish('aborted'));
    file.once('error', reject);
  });
}

/** Hashes a file as a stream, so verifying a large upload does not stall other calls. */
async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Ends the TLS connection after what was written is flushed, mid-response: a "dropped" link. */
function dropConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null) return;
  socket.end();
  setTimeout(() => socket.destroy(), 200).unref();
}
