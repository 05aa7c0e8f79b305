/**
 * The backup writer: has the crypto workers read, chunk and hash each artifact, stores the new
 * chunks in packs, then writes the index and, last, the manifest (docs/repository-format.md
 * section 9). Deduplication is decided here, on the main thread, for every worker at once.
 *
 * Memory is bounded: each artifact being added has at most a window of chunk bytes between its
 * worker and the pack (pool.ts), plus at most two packs: one being written and one full or
 * being filled (appendBlob waits while a full pack is queued).
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/index.js';
import { CommonErrors, LifeboatError, isAbortError } from '../../shared/errors.js';
import type { RepositoryConfig } from './config.js';
import { RepoErrors } from './errors.js';
import type { RepositoryLock } from './locks.js';
import { cutList, sortedByName } from './artifact-list.js';
import { sealChunk, type EpochKeys } from './crypto.js';
import {
  deriveStatus,
  manifestObjectName,
  sealManifest,
  type StoredComponent,
  type StoredManifest,
} from './manifest.js';
import { SourceError, type CryptoPool, type HeldChunk, type IngestSource } from './pool.js';
import {
  writeIndex,
  writePack,
  type BlobEntry,
  type BlobLocation,
  type PackRecord,
} from './store.js';
import type {
  AddArtifactOptions,
  ArtifactRecord,
  BackupWriter,
  ComponentRecord,
  ComponentResult,
  ComponentStatus,
  Manifest,
  ProgressEvent,
  StartBackupOptions,
} from './types.js';

interface ComponentState {
  status: ComponentStatus | undefined;
  reason: string | undefined;
  meta: Record<string, string>;
  artifacts: ArtifactRecord[];
  /** Names taken, including artifacts still streaming in (addArtifact may run concurrently). */
  names: Set<string>;
}

export interface WriterContext {
  readonly storage: Storage;
  readonly config: RepositoryConfig;
  readonly keys: EpochKeys;
  /** Blobs already stored (any epoch; only this epoch's are reused). */
  readonly known: ReadonlyMap<string, BlobLocation>;
  readonly lock: RepositoryLock;
  /** The crypto workers, started on first use (a backup that reuses every file needs none). */
  readonly pool: () => CryptoPool;
  /** Called once the writer is finished, whatever the outcome (closes the pool). */
  readonly onClose: () => Promise<void>;
}

/** Names are 1..1024 characters without control characters (they end up in paths and terminals). */
function validName(name: string): boolean {
  if (name.length === 0 || name.length > 1024) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}
const PROGRESS_EVERY_MS = 250;
export class Writer implements BackupWriter {
  readonly id = randomUUID();
  private readonly started = Date.now();
  private readonly createdIso = new Date(this.started).toISOString();
  private readonly components = new Map<string, ComponentState>();
  private readonly stored = new Set<string>();
  private blobs: Buffer[] = [];
  private entries: BlobEntry[] = [];
  private pendingBytes = 0;
  private readonly packs: PackRecord[] = [];
  private packWrite: Promise<void> = Promise.resolve();
  /** Set while a full pack waits for the previous one to be written (see appendBlob). */
  private backlog: Promise<void> | undefined;
  private state: 'open' | 'closed' | 'failed' = 'open';
  private failure: unknown;
  private bytesDone = 0;
  private bytesStored = 0;
  private lastProgress = 0;

  constructor(
    private readonly ctx: WriterContext,
    private readonly options: StartBackupOptions,
  ) {}

  private component(name: string): ComponentState {
    if (!validName(name))
      throw RepoErrors.create(
        'REPO_INVALID_NAME',
        `Invalid component name ${JSON.stringify(name)}.`,
      );
    let state = this.components.get(name);
    if (state === undefined) {
      state = { status: undefined, reason: undefined, meta: {}, artifacts: [], names: new Set() };
      this.components.set(name, state);
    }
    return state;
  }

  private ensureOpen(): void {
    if (this.state !== 'open') {
      throw RepoErrors.create('REPO_WRITER_CLOSED', `Backup ${this.id} is no longer open.`, {
        cause: this.failure,
      });
    }
  }

  private progress(component: string, artifact: string, force = false): void {
    const now = Date.now();
    if (
      this.options.onProgress === undefined ||
      (!force && now - this.lastProgress < PROGRESS_EVERY_MS)
    )
      return;
    this.lastProgress = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const event: ProgressEvent = {
      phase: 'backup',
      bytesDone: this.bytesDone,
      bytesTotal: this.options.expectedTotal,
      rate: Math.round(this.bytesDone / seconds),
      component,
      artifact,
      bytesStored: this.bytesStored,
    };
    this.options.onProgress(event);
  }

  addArtifact(
    component: string,
    name: string,
    data: NodeJS.ReadableStream | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: AddArtifactOptions = {},
  ): Promise<ArtifactRecord> {
    const pieces = (
      Symbol.asyncIterator in data ? data : fromSync(data as Iterable<Uint8Array>)
    ) as AsyncIterable<Uint8Array | string>;
    return this.add(component, name, { pieces }, options);
  }

  addFile(
    component: string,
    name: string,
    path: string,
    options: AddArtifactOptions = {},
  ): Promise<ArtifactRecord> {
    return this.add(
      component,
      name,
      options.expectedSize === undefined ? { path } : { path, expectedSize: options.expectedSize },
      options,
    );
  }

  private async add(
    component: string,
    name: string,
    source: IngestSource,
    options: AddArtifactOptions,
  ): Promise<ArtifactRecord> {
    this.ensureOpen();
    const state = this.component(component);
    if (!validName(name))
      throw RepoErrors.create(
        'REPO_INVALID_NAME',
        `Invalid artifact name ${JSON.stringify(name)}.`,
      );
    if (state.names.has(name)) {
      throw RepoErrors.create(
        'REPO_INVALID_NAME',
        `Component ${component} already has an artifact ${name}.`,
      );
    }
    state.names.add(name);
    const signals = [this.options.signal, options.signal].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    try {
      const ingested = await this.ingest(component, name, source, signal);
      const record =
        options.modified === undefined ? ingested : { ...ingested, modified: options.modified };
      const mismatch = mismatchOf(record, options);
      if (mismatch !== undefined) {
        this.failComponent(state, `${name}: ${mismatch}`);
        throw RepoErrors.create(
          'REPO_ARTIFACT_MISMATCH',
          `Artifact ${component}/${name}: ${mismatch}.`,
        );
      }
      state.artifacts.push(record);
      this.progress(component, name, true);
      return record;
    } catch (error) {
      state.names.delete(name); // not recorded: the caller may try this artifact again
      if (RepoErrors.is(error, 'REPO_ARTIFACT_MISMATCH')) throw error;
      if (error instanceof SourceFailure) {
        const why = error.cause instanceof Error ? error.cause.message : String(error.cause);
        this.failComponent(state, `${name}: reading the source failed (${why})`);
        throw RepoErrors.create(
          'REPO_ARTIFACT_READ',
          `Artifact ${component}/${name}: reading the source failed.`,
          {
            cause: error.cause,
          },
        );
      }
      const cancelled = isAbortError(error) || signal?.aborted === true;
      await this.fail(cancelled ? error : (this.failure ?? error));
      if (cancelled) throw CommonErrors.create('CANCELLED', `Backup ${this.id} was cancelled.`);
      throw this.failure instanceof LifeboatError ? this.failure : error;
    }
  }

  reuseArtifact(component: string, record: ArtifactRecord): boolean {
    this.ensureOpen();
    const state = this.component(component);
    if (state.names.has(record.name)) return false;
    const epoch = this.ctx.keys.epoch;
    const stored = record.chunks.every(
      ([id]) => this.stored.has(id) || this.ctx.known.get(id)?.epoch === epoch,
    );
    const consistent = record.chunks.reduce((sum, [, length]) => sum + length, 0) === record.size;
    if (!stored || !consistent) return false;
    state.artifacts.push(record);
    state.names.add(record.name);
    this.bytesDone += record.size;
    this.progress(component, record.name);
    return true;
  }

  private failComponent(state: ComponentState, reason: string): void {
    state.status = 'Failed';
    state.reason = state.reason === undefined ? reason : `${state.reason}; ${reason}`;
  }

  /**
   * Has a worker read, hash and chunk the artifact; stores each new chunk, drops the others.
   * Returns the artifact's record once every new chunk is in a pack (or queued for one).
   */
  private async ingest(
    component: string,
    name: string,
    source: IngestSource,
    signal: AbortSignal | undefined,
  ): Promise<ArtifactRecord> {
    const pool = this.ctx.pool();
    const chunks: [string, number][] = [];
    const stores: Promise<void>[] = [];
    const onChunk = (chunk: HeldChunk) => {
      chunks.push([chunk.id, chunk.length]);
      this.bytesDone += chunk.length;
      this.progress(component, name);
      if (this.isStored(chunk.id)) {
        pool.drop(chunk);
        return;
      }
      const store = this.storeChunk(pool, chunk);
      store.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
      stores.push(store);
    };
    try {
      const { size, sha256 } = await pool
        .ingest(source, onChunk, signal)
        .catch((error: unknown) => {
          throw error instanceof SourceError ? new SourceFailure(error.cause) : error;
        });
      await Promise.all(stores);
      signal?.throwIfAborted();
      return { name, size, sha256, chunks };
    } finally {
      // Chunks other artifacts deduplicated against must be stored even when this one failed.
      await Promise.allSettled(stores);
    }
  }

  private isStored(id: string): boolean {
    return this.stored.has(id) || this.ctx.known.get(id)?.epoch === this.ctx.keys.epoch;
  }

  /** Seals a new chunk in the worker that holds it and adds the blob to the current pack. */
  private async storeChunk(pool: CryptoPool, chunk: HeldChunk): Promise<void> {
    this.stored.add(chunk.id);
    try {
      const { blob, compression } = await pool.seal(chunk);
      await this.appendBlob(chunk.id, blob, chunk.length, compression);
      pool.credit(chunk);
    } catch (error) {
      this.stored.delete(chunk.id);
      throw error;
    }
  }

  private async appendBlob(
    id: string,
    blob: Buffer,
    rawLength: number,
    compression: 0 | 1,
  ): Promise<void> {
    // While a full pack waits for the one being written, nothing is added: otherwise, with slow
    // storage, full packs pile up (16 MiB each) and memory grows with the dataset.
    while (this.backlog !== undefined) await this.backlog;
    this.entries.push([id, this.pendingBytes, blob.length, rawLength, compression]);
    this.blobs.push(blob);
    this.pendingBytes += blob.length;
    if (this.pendingBytes >= this.ctx.config.packSize) await this.flushPack();
  }

  /** Hands the filled pack to the (single, sequential) pack writer and waits for the previous one. */
  private async flushPack(): Promise<void> {
    if (this.blobs.length === 0) return;
    const blobs = this.blobs;
    const entries = this.entries;
    this.blobs = [];
    this.entries = [];
    this.pendingBytes = 0;
    const previous = this.packWrite;
    const backlog = previous.then(
      () => undefined,
      () => undefined,
    );
    this.backlog = backlog;
    void backlog.then(() => {
      if (this.backlog === backlog) this.backlog = undefined;
    });
    const write = previous.then(async () => {
      const record = await writePack(this.ctx.storage, this.ctx.keys, blobs, entries);
      this.packs.push(record);
      this.bytesStored += record.size;
    });
    this.packWrite = write;
    write.catch((error: unknown) => void this.fail(error));
    await previous; // at most one pack waits while another is written
  }

  setComponentResult(component: string, result: ComponentResult): void {
    this.ensureOpen();
    const state = this.component(component);
    // A failure recorded by addArtifact is never upgraded to success by the caller.
    if (state.status !== 'Failed' || result.status === 'Failed') state.status = result.status;
    if (result.reason !== undefined)
      state.reason =
        state.reason === undefined ? result.reason : `${state.reason}; ${result.reason}`;
    if (result.meta !== undefined) state.meta = { ...state.meta, ...result.meta };
  }

  async commit(): Promise<Manifest> {
    this.ensureOpen();
    try {
      this.options.signal?.throwIfAborted();
      const components = await this.storeLists();
      await this.flushPack();
      await this.packWrite;
      if (this.state !== 'open') throw this.failure;
      if (this.packs.length > 0)
        this.bytesStored += (await writeIndex(this.ctx.storage, this.ctx.keys, this.packs)).size;
      const stored = this.buildManifest(components.map(({ stored }) => stored));
      const bytes = sealManifest(stored, this.ctx.keys);
      const manifest: Manifest = {
        ...stored,
        components: components.map(({ resolved }) => resolved),
      };
      const name = manifestObjectName(manifest.id);
      await this.ctx.storage.put(name, bytes);
      // Read back: the very bytes sealed (so its tag and content), without parsing a second copy
      // of a manifest that can list tens of thousands of files.
      if (!(await this.ctx.storage.get(name)).equals(bytes)) {
        // Not listed as a backup: a manifest the storage cannot return intact is withdrawn.
        await this.ctx.storage.delete(name).catch(() => undefined);
        throw RepoErrors.create('REPO_DAMAGED', `${name} reads back other than it was written.`, {
          details: { object: name },
        });
      }
      this.state = 'closed';
      await this.close();
      return manifest;
    } catch (error) {
      await this.fail(error);
      if (isAbortError(error))
        throw CommonErrors.create('CANCELLED', `Backup ${this.id} was cancelled.`);
      throw error;
    }
  }

  /**
   * Stores each component's artifact list as chunks (section 6), sealed here on the main thread:
   * a list is small, and one unchanged since the last backup is already stored whole.
   */
  private async storeLists(): Promise<{ stored: StoredComponent; resolved: ComponentRecord }[]> {
    const out: { stored: StoredComponent; resolved: ComponentRecord }[] = [];
    for (const [name, state] of this.components) {
      const artifacts = sortedByName(state.artifacts);
      const { ref, chunks } = cutList(artifacts, this.ctx.keys, this.ctx.config.chunker);
      for (const chunk of chunks) {
        if (this.isStored(chunk.id)) continue;
        this.stored.add(chunk.id);
        const { blob, compression } = sealChunk(
          this.ctx.keys.data,
          Buffer.from(chunk.id, 'hex'),
          chunk.plain,
        );
        await this.appendBlob(chunk.id, blob, chunk.plain.length, compression);
      }
      const outcome = {
        name,
        status: state.status ?? 'Succeeded',
        ...(state.reason !== undefined ? { reason: state.reason } : {}),
        meta: state.meta,
      };
      out.push({ stored: { ...outcome, list: ref }, resolved: { ...outcome, artifacts } });
    }
    return out;
  }

  private buildManifest(components: readonly StoredComponent[]): StoredManifest {
    const finished = Date.now();
    const size = [...this.components.values()].reduce(
      (sum, state) => sum + state.artifacts.reduce((s, a) => s + a.size, 0),
      0,
    );
    return {
      id: this.id,
      created: this.createdIso,
      finished: new Date(finished).toISOString(),
      durationMs: finished - this.started,
      epoch: this.ctx.keys.epoch,
      source: this.options.source,
      status: deriveStatus(components.map((c) => c.status)),
      components,
      size,
      storedBytes: this.bytesStored,
    };
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    await this.fail(CommonErrors.create('CANCELLED', `Backup ${this.id} was aborted.`));
  }

  private async fail(error: unknown): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.failure = error;
    await this.packWrite.catch(() => undefined);
    await this.close();
  }

  private async close(): Promise<void> {
    await this.ctx.lock.release().catch(() => undefined);
    await this.ctx.onClose();
  }
}

async function* fromSync(items: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* items;
}

/** An error thrown by the artifact's source stream (not by the repository or the storage). */
class SourceFailure extends Error {
  constructor(cause: unknown) {
    super('source stream failed', { cause });
  }
}

function mismatchOf(record: ArtifactRecord, options: AddArtifactOptions): string | undefined {
  if (options.expectedSize !== undefined && options.expectedSize !== record.size) {
    return `expected ${options.expectedSize} bytes, received ${record.size}`;
  }
  if (
    options.expectedSha256 !== undefined &&
    options.expectedSha256.toLowerCase() !== record.sha256
  ) {
    return `expected SHA-256 ${options.expectedSha256.toLowerCase()}, received ${record.sha256}`;
  }
  return undefined;
}
