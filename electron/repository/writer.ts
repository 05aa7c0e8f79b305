/**
 * The backup writer: has the crypto workers read, hash and chunk each artifact and store its new
 * chunks in their packs; writes the packs they hand over, an index file for every
 * INDEX_PART_BLOBS blobs written and one for the rest, and, last, the manifest
 * (docs/repository-format.md sections 6 and 9).
 *
 * Which chunks are new is decided by the backup's shared chunk table (chunk-table.ts): seeded
 * here with the current epoch's stored chunks, claimed by the workers as they cut. Memory is
 * bounded by the workers' pack buffers (two each) and the artifacts in progress; packs are
 * written two at a time, and a worker whose two buffers are both waiting here pauses. A folder's
 * files are added in name order and their list written as they complete (`addSortedFiles`), so
 * that memory does not grow with their number.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Storage } from '../storage/index.js';
import { CommonErrors, LifeboatError, isAbortError } from '../../shared/errors.js';
import { lineOf, listIdentity, listPieces, reusableSize, sortedByName } from './artifact-list.js';
import type { RepositoryCache } from './cache.js';
import { ChunkTable, idBytes } from './chunk-table.js';
import type { RepositoryConfig } from './config.js';
import type { EpochKeys } from './crypto.js';
import { RepoErrors } from './errors.js';
import { orderedBatches } from './lanes.js';
import { ListStream } from './list-stream.js';
import { sizeAndTime } from './size-and-time.js';
import type { RepositoryLock } from './locks.js';
import {
  deriveStatus,
  manifestObjectName,
  sealManifest,
  type StoredComponent,
  type StoredManifest,
} from './manifest.js';
import { SourceError, type CryptoPool, type PoolOptions } from './pool.js';
import type { PackRecord } from './records.js';
import { writeFinishedPack, writeIndex, type IndexFile } from './store.js';
import type {
  AddArtifactOptions,
  ArtifactRecord,
  BackupWriter,
  ComponentResult,
  ComponentStatus,
  LastList,
  SortedFile,
  WrittenBackup,
  WrittenComponent,
  ProgressEvent,
  StartBackupOptions,
} from './types.js';
import {
  FILE_FAILED,
  FILE_STORED,
  type FilesAnswer,
  type FilesRequest,
  type FinishedPack,
} from './worker-protocol.js';

interface ComponentState {
  status: ComponentStatus | undefined;
  reason: string | undefined;
  /** Reasons left out of `reason` to keep it within REASON_CHARS. */
  omitted: number;
  meta: Record<string, string>;
  artifacts: ArtifactRecord[];
  /** Names taken, including artifacts still streaming in (addArtifact may run concurrently). */
  names: Set<string>;
  /** The list being written as sorted files complete (`addSortedFiles`), if any. */
  list: ListStream | undefined;
  /** The last backup's list it was compared with, if any. */
  last?: LastList | undefined;
}

/**
 * A sorted file as its batch settles: name, size, list line (absent when copied from a summarised
 * last list), its place in the last list if copied from it, and its time (NaN: never to be reused).
 */
type ListedFile = [string, number, string | undefined, number | undefined, number];

export interface WriterContext {
  readonly storage: Storage;
  readonly config: RepositoryConfig;
  readonly keys: EpochKeys;
  /** The index files: the blobs already stored (any epoch; only this epoch's are reused). */
  readonly indexFiles: readonly IndexFile[];
  /** This workstation's cache of the repository, where list summaries are kept; none without. */
  readonly cache: RepositoryCache | undefined;
  readonly lock: RepositoryLock;
  /** Starts the crypto workers (once, when the writer is created). */
  readonly startPool: (options: PoolOptions) => CryptoPool;
  /** Called once the writer is finished, whatever the outcome (closes the pool). */
  readonly onClose: () => Promise<void>;
}

/** Chunk ids a backup may add beyond those stored, before its table says `full` (chunk-table.ts). */
const NEW_CHUNKS_EXPECTED = 128 * 1024;
/** Files at least this large are read on their own, by the least loaded worker. */
const LARGE_FILE_BYTES = 1024 * 1024;
/** What a file of unknown size is counted as when spreading work over the workers. */
const SMALL_FILE_WEIGHT = 64 * 1024;
/** Files sent to a worker at once: their time is opens and reads, so a batch saves round trips. */
const FILES_PER_BATCH = 64;
/** Batches of sorted files in flight: two per worker, so each has the next one queued. */
const BATCHES_IN_FLIGHT = 2 * Math.max(1, availableParallelism());
/** Finished batches of sorted files that may wait for an earlier one (a large file) to end. */
const BATCHES_AHEAD = 64;
/**
 * Packs written at once. A write ends with two flushes (the file, then its folder) whose latency
 * is the disk's, not ours: two at a time overlap it, and the workers' buffers bound the queue.
 */
const PACK_WRITES = 2;

/**
 * Blobs an index file written during a backup names, at least (section 6). The writer holds the
 * records of packs not yet indexed, about 150 bytes a blob, and sealing an index takes about as
 * much again: 16,384 blobs keep that near 5 MiB. One index for the whole backup took a first
 * backup's peak RSS here from 245 to 279 MiB at 4 GiB (124,000 files). 2 GiB of small files
 * makes four index files of about 1.5 MB.
 */
export const INDEX_PART_BLOBS = 16_384;

/** Names are 1..1024 characters without control characters (they end up in paths and terminals). */
function validName(name: string): boolean {
  return name.length > 0 && name.length <= 1024 && !CONTROL_CHARACTER.test(name);
}
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const PROGRESS_EVERY_MS = 250;

export class Writer implements BackupWriter {
  readonly id = randomUUID();
  private readonly started = Date.now();
  private readonly createdIso = new Date(this.started).toISOString();
  private readonly components = new Map<string, ComponentState>();
  /** The chunk table, seeded once with the epoch's stored chunks (`table`). */
  private chunks: ChunkTable | undefined;
  /** The crypto workers, started once (`pool`). */
  private workers: CryptoPool | undefined;
  /** Packs written and not yet named by an index file, and how many blobs they hold. */
  private packs: PackRecord[] = [];
  private packsBlobs = 0;
  /** Index files this backup wrote (`writeIndexPart`). */
  private readonly indexFiles: string[] = [];
  /** Pack writes under way or waiting their turn (PACK_WRITES at once). */
  private readonly packWrites = new Set<Promise<void>>();
  private packsWriting = 0;
  private packTurns: (() => void)[] = [];
  /** Cancels everything this backup started: aborted with the caller's signal, or on failure. */
  private readonly cancel = new AbortController();
  private readonly onCallerAbort = () => this.cancel.abort(this.options.signal?.reason);
  private state: 'open' | 'committing' | 'closed' | 'failed' = 'open';
  private failure: unknown;
  private bytesDone = 0;
  private bytesStored = 0;
  private lastProgress = 0;
  private lastArtifact: readonly [string, string] = ['', ''];

  constructor(
    private readonly ctx: WriterContext,
    private readonly options: StartBackupOptions,
  ) {
    // One listener per batch of files or artifact in flight: more than the default warning's 10.
    setMaxListeners(0, this.cancel.signal);
    if (options.signal?.aborted === true) this.onCallerAbort();
    else options.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.table(); // seeded now: a re-backup looks up every unchanged file's chunks in it
    // The workers load their code while the caller prepares the first artifact, unless told that
    // most files will be unchanged: a re-backup that changed nothing then never starts them.
    if (options.startWorkers !== 'when-needed') this.pool();
  }

  private component(name: string): ComponentState {
    if (!validName(name))
      throw RepoErrors.create(
        'REPO_INVALID_NAME',
        `Invalid component name ${JSON.stringify(name)}.`,
      );
    let state = this.components.get(name);
    if (state === undefined) {
      state = {
        status: undefined,
        reason: undefined,
        omitted: 0,
        meta: {},
        artifacts: [],
        names: new Set(),
        list: undefined,
      };
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

  /** The chunks this backup need not store: the epoch's stored chunks, and those claimed since. */
  private table(): ChunkTable {
    if (this.chunks !== undefined) return this.chunks;
    const { epoch } = this.ctx.keys;
    const stored = this.ctx.indexFiles.flatMap((file) =>
      file.epoch === epoch && file.compact !== undefined ? [file.compact.blobIds()] : [],
    );
    // A blob indexed twice is counted twice: the table is a little larger, never too small.
    const count = stored.reduce((sum, ids) => sum + ids.count, 0);
    const table = ChunkTable.create(count + NEW_CHUNKS_EXPECTED);
    for (const { bytes, first, stride, count } of stored) {
      for (let at = first, end = first + count * stride; at < end; at += stride) {
        table.claimAt(bytes, at);
      }
    }
    this.chunks = table;
    return table;
  }

  /** The crypto workers, sharing the chunk table. */
  private pool(): CryptoPool {
    this.workers ??= this.ctx.startPool({
      table: this.table(),
      packSize: this.ctx.config.packSize,
      onPack: (pack, recycle) => this.writePack(pack, recycle),
      onProgress: (bytes) => this.read(bytes),
    });
    return this.workers;
  }

  /** Bytes the workers read: progress, unless the artifact lists are being stored. */
  private read(bytes: number): void {
    if (this.state !== 'open') return;
    this.bytesDone += bytes;
    this.progress();
  }

  private progress(force = false): void {
    const now = Date.now();
    if (
      this.options.onProgress === undefined ||
      (!force && now - this.lastProgress < PROGRESS_EVERY_MS)
    )
      return;
    this.lastProgress = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const [component, artifact] = this.lastArtifact;
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

  /** Records an artifact in its component. */
  private record(component: string, state: ComponentState, record: ArtifactRecord): void {
    state.artifacts.push(record);
    this.lastArtifact = [component, record.name];
  }

  /** Reserves an artifact name in a component; throws REPO_INVALID_NAME if invalid or taken. */
  private reserve(component: string, state: ComponentState, name: string): void {
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
  }

  /** This artifact's cancellation: the backup's signal and its own, whichever comes first. */
  private signalFor(options: AddArtifactOptions): AbortSignal {
    const own = options.signal;
    return own === undefined ? this.cancel.signal : AbortSignal.any([own, this.cancel.signal]);
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
    return this.add(component, name, options, async (signal) => {
      const ingested = await this.pool()
        .ingest(pieces, signal)
        .catch((error: unknown) => {
          throw error instanceof SourceError ? new SourceFailure(error.cause) : error;
        });
      return { name, ...ingested };
    });
  }

  /** Reads one artifact with `ingest` and records it; failures as BackupWriter documents. */
  private async add(
    component: string,
    name: string,
    options: AddArtifactOptions,
    ingest: (signal: AbortSignal) => Promise<ArtifactRecord>,
  ): Promise<ArtifactRecord> {
    this.ensureOpen();
    const state = this.component(component);
    this.refuseIfStreamed(component, state);
    this.reserve(component, state, name);
    const signal = this.signalFor(options);
    try {
      const ingested = await ingest(signal);
      signal.throwIfAborted();
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
      this.record(component, state, record);
      this.progress(true);
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
          { cause: error.cause },
        );
      }
      throw await this.abandon(error, signal);
    }
  }

  /** Fails the backup for `error` (a cancellation, a storage or worker failure); the error to throw. */
  private async abandon(error: unknown, signal: AbortSignal): Promise<unknown> {
    const cancelled = isAbortError(error) || (signal.aborted && this.failure === undefined);
    await this.fail(cancelled ? error : (this.failure ?? error));
    if (cancelled) return CommonErrors.create('CANCELLED', `Backup ${this.id} was cancelled.`);
    return this.failure instanceof LifeboatError ? this.failure : error;
  }

  async addSortedFiles(
    component: string,
    files: AsyncIterable<readonly SortedFile[]>,
    last?: LastList,
  ): Promise<void> {
    this.ensureOpen();
    const state = this.component(component);
    if (state.names.size > 0 || state.list !== undefined) {
      throw RepoErrors.create(
        'REPO_INVALID_NAME',
        `Component ${component} already has artifacts; sorted files are its only ones.`,
      );
    }
    const list = new ListStream(
      component,
      (pieces) => this.pool().ingest(pieces, this.cancel.signal),
      last,
    );
    state.list = list;
    state.last = last;
    try {
      await orderedBatches(
        files,
        { size: FILES_PER_BATCH, lanes: BATCHES_IN_FLIGHT, ahead: BATCHES_AHEAD },
        (batch) => this.sortedBatch(component, state, batch),
        async (lines) => {
          for (const entry of lines) {
            if (entry === undefined) continue;
            const full = list.add(...entry);
            if (full !== undefined) await full;
          }
        },
      );
    } catch (error) {
      throw await this.abandon(error, this.cancel.signal);
    }
  }

  /**
   * One batch of sorted files, backed up: each one's name, size and list line, or
   * undefined if it failed (its component then fails with the reason). An unchanged file is
   * reused unread (`unchangedSize`), its line copied as it was; the others are read by a worker,
   * large ones on their own, each by the least loaded worker.
   */
  private async sortedBatch(
    component: string,
    state: ComponentState,
    batch: readonly SortedFile[],
  ): Promise<(ListedFile | undefined)[]> {
    const listed: (ListedFile | undefined)[] = batch.map(() => undefined);
    const toRead: number[] = [];
    let reused = 0;
    batch.forEach((file, at) => {
      if (!validName(file.name)) {
        this.failComponent(state, `invalid artifact name ${JSON.stringify(file.name)}`);
        return;
      }
      const unchanged = this.unchangedFile(file);
      if (unchanged === undefined || file.previous === undefined) {
        toRead.push(at);
        return;
      }
      const [size, modified] = unchanged;
      reused += size;
      listed[at] = [file.name, size, file.previous.line, file.previous.index, modified];
    });
    const last = batch[batch.length - 1];
    if (last !== undefined) this.lastArtifact = [component, last.name];
    const settle = (positions: readonly number[], answer: FilesAnswer) => {
      const again: { at: number; size: number }[] = [];
      const stats = answer.stats.split(',').map(Number);
      let stored = 0;
      let failed = 0;
      positions.forEach((at, i) => {
        const file = batch[at] as SortedFile;
        const size = stats[i * 2] as number;
        const outcome = answer.outcomes.charCodeAt(i) - ZERO;
        if (outcome === FILE_STORED) {
          const read = answer.stored[stored++];
          if (read === undefined) throw new Error('a worker answered a file without its chunks');
          const modified = stats[i * 2 + 1] as number;
          const line = lineOf({ name: file.name, size, ...read, modified });
          // A line whose chunks do not add up to its size is written, but never reused.
          const whole = read.chunks.reduce((sum, [, length]) => sum + length, 0) === size;
          listed[at] = [file.name, size, line, undefined, whole ? modified : NaN];
        } else if (outcome === FILE_FAILED) {
          const why = answer.failed[failed++]?.error ?? 'no reason given';
          this.failComponent(state, `${file.name}: reading it failed (${why})`);
        } else again.push({ at, size });
      });
      this.progress();
      return again;
    };
    // Reported only once bytes are done: an event at 0 would hold the next one back PROGRESS_EVERY_MS.
    if (reused > 0) {
      this.bytesDone += reused;
      this.progress();
    }
    if (toRead.length === 0) return listed;
    const signal = this.cancel.signal;
    try {
      const files = toRead.map((at) => batch[at] as SortedFile);
      const answer = await this.pool().ingestFiles(filesRequest(files, LARGE_FILE_BYTES), {
        weight: files.length * SMALL_FILE_WEIGHT,
        signal,
      });
      await Promise.all(
        settle(toRead, answer).map(async ({ at, size }) => {
          const { path } = batch[at] as SortedFile;
          const one = await this.pool().ingestFiles(filesRequest([{ path }]), {
            weight: size,
            signal,
          });
          settle([at], one);
        }),
      );
    } catch (error) {
      throw await this.abandon(error, signal);
    }
    return listed;
  }

  /**
   * The size and time of a file that can be reused unread from its line in the last backup's
   * list (same size and time, its chunks stored in this epoch), else undefined: it is read. A
   * summarised line (`list-summary.ts`) was checked when its summary was made, and its chunks
   * are indexed while the summary's index files are: only size and time are compared. Decided
   * here, not in a worker: the line is at hand, and the round trip that would carry it costs
   * more than the decision (the size and time come from the folder's walk, or one lstat here).
   */
  private unchangedFile(file: SortedFile): [number, number] | undefined {
    const { previous } = file;
    if (previous === undefined) return undefined;
    const [size, modified] =
      file.size !== undefined ? [file.size, file.modified] : sizeAndTime(file.path);
    // NaN: it could not be looked at; a worker looks again, and says why it cannot be read.
    if (Number.isNaN(size) || modified === undefined) return undefined;
    if (previous.line === undefined) {
      return previous.size === size && previous.modified === modified
        ? [size, modified]
        : undefined;
    }
    const table = this.table();
    const reusable = reusableSize(previous.line, size, modified, (id) => table.has(idBytes(id)));
    return reusable === undefined ? undefined : [reusable, modified];
  }

  /** A component whose files were added in order takes no other artifact. */
  private refuseIfStreamed(component: string, state: ComponentState): void {
    if (state.list === undefined) return;
    throw RepoErrors.create(
      'REPO_INVALID_NAME',
      `Component ${component} has sorted files; it takes no other artifact.`,
    );
  }

  private failComponent(state: ComponentState, reason: string): void {
    state.status = 'Failed';
    addReason(state, reason);
  }

  /** Queues a worker's full pack to be written (PACK_WRITES at once), then hands its buffer back. */
  private writePack(pack: FinishedPack, recycle: () => void): void {
    if (this.state === 'failed' || this.state === 'closed') return; // nobody will read it
    const write = (async () => {
      while (this.packsWriting >= PACK_WRITES) {
        await new Promise<void>((resolve) => this.packTurns.push(resolve));
      }
      this.packsWriting++;
      try {
        const record = await writeFinishedPack(this.ctx.storage, pack);
        this.packs.push(record);
        this.packsBlobs += record.blobs.length;
        this.bytesStored += record.size;
        recycle();
        if (this.packsBlobs >= INDEX_PART_BLOBS) await this.writeIndexPart();
      } finally {
        this.packsWriting--;
        this.packTurns.shift()?.();
      }
    })();
    this.packWrites.add(write);
    write.then(
      () => this.packWrites.delete(write),
      (error: unknown) => {
        this.packWrites.delete(write);
        void this.fail(error);
      },
    );
  }

  /**
   * Names the packs written so far in an index file of their own, and forgets them: what a
   * backup holds for its index stays bounded however many chunks it writes. Packs are listed
   * only once written and read back, so an index file never names a pack that is not there.
   */
  private async writeIndexPart(): Promise<void> {
    const packs = this.packs;
    this.packs = [];
    this.packsBlobs = 0;
    const index = await writeIndex(this.ctx.storage, this.ctx.keys, packs, this.ctx.cache);
    this.indexFiles.push(index.name);
    this.bytesStored += index.size;
  }

  /** Settles once every pack handed over so far is written; rejects if one failed. */
  private async packsWritten(): Promise<void> {
    while (this.packWrites.size > 0) await Promise.all(this.packWrites);
  }

  setComponentResult(component: string, result: ComponentResult): void {
    this.ensureOpen();
    const state = this.component(component);
    // A failure recorded by addArtifact is never upgraded to success by the caller.
    if (state.status !== 'Failed' || result.status === 'Failed') state.status = result.status;
    if (result.reason !== undefined) addReason(state, result.reason);
    if (result.meta !== undefined) state.meta = { ...state.meta, ...result.meta };
  }

  async commit(): Promise<WrittenBackup> {
    this.ensureOpen();
    this.state = 'committing';
    try {
      this.cancel.signal.throwIfAborted();
      const components = await this.storeLists();
      await this.workers?.flush();
      await this.packsWritten();
      if (this.failure !== undefined) throw this.failure;
      if (this.packs.length > 0) await this.writeIndexPart();
      const stored = this.buildManifest(
        components.map(({ stored }) => stored),
        components.reduce((sum, { size }) => sum + size, 0),
      );
      const bytes = sealManifest(stored, this.ctx.keys);
      const name = manifestObjectName(stored.id);
      await this.ctx.storage.put(name, bytes);
      // Read back: the very bytes sealed (so its tag and content).
      if (!(await this.ctx.storage.get(name)).equals(bytes)) {
        // Not listed as a backup: a manifest the storage cannot return intact is withdrawn.
        await this.ctx.storage.delete(name).catch(() => undefined);
        throw RepoErrors.create('REPO_DAMAGED', `${name} reads back other than it was written.`, {
          details: { object: name },
        });
      }
      this.state = 'closed';
      await this.keepSummaries(stored.components);
      await this.close();
      return { ...stored, components: components.map(({ written }) => written) };
    } catch (error) {
      this.state = 'open'; // so that fail() closes it
      await this.fail(error);
      if (isAbortError(error))
        throw CommonErrors.create('CANCELLED', `Backup ${this.id} was cancelled.`);
      throw error;
    }
  }

  /**
   * Stores each component's artifact list (section 6) through a worker, like an artifact's
   * bytes (a list unchanged since the last backup yields chunks already stored); a list written
   * as its files completed (`addSortedFiles`) is ended.
   */
  private async storeLists(): Promise<
    { stored: StoredComponent; written: WrittenComponent; size: number }[]
  > {
    const out: { stored: StoredComponent; written: WrittenComponent; size: number }[] = [];
    for (const [name, state] of this.components) {
      const outcome = {
        name,
        status: state.status ?? 'Succeeded',
        ...(state.reason !== undefined ? { reason: reasonOf(state) } : {}),
        meta: state.meta,
      };
      if (state.list !== undefined) {
        const ref = await state.list.end();
        const written = { ...outcome, artifactCount: ref.count };
        out.push({ stored: { ...outcome, list: ref }, written, size: state.list.bytes });
        continue;
      }
      const artifacts = sortedByName(state.artifacts);
      const list = await this.pool().ingest(fromSync(listPieces(artifacts)), this.cancel.signal);
      const ref = { count: artifacts.length, ...list };
      out.push({
        stored: { ...outcome, list: ref },
        written: { ...outcome, artifactCount: artifacts.length, artifacts },
        size: artifacts.reduce((sum, artifact) => sum + artifact.size, 0),
      });
    }
    return out;
  }

  /**
   * Keeps, on this workstation, the summary of each list written as sorted files completed, for
   * the next backup to compare its files with (`list-summary.ts`); removes the summary of the
   * last list it replaces. Every chunk its lines name is in this epoch's index files loaded
   * for this backup, or in those it wrote (`indexFiles`). Nothing to do when the list is the
   * last one, already compared with its summary.
   */
  private async keepSummaries(components: readonly StoredComponent[]): Promise<void> {
    const cache = this.ctx.cache;
    if (cache === undefined) return;
    const { epoch } = this.ctx.keys;
    const indexFiles = this.ctx.indexFiles
      .filter((file) => file.epoch === epoch && file.compact !== undefined)
      .map((file) => file.name);
    indexFiles.push(...this.indexFiles);
    for (const { name, list: ref } of components) {
      const state = this.components.get(name);
      if (state?.list === undefined || ref === undefined) continue;
      const identity = listIdentity(ref);
      const last = state.last === undefined ? undefined : listIdentity(state.last.ref);
      if (last === identity && state.last?.summarised === true) continue;
      await cache.writeListSummary(
        identity,
        state.list.summary.seal(this.ctx.keys, identity, indexFiles),
      );
      if (last !== undefined && last !== identity) await cache.removeListSummary(last);
    }
  }

  private buildManifest(components: readonly StoredComponent[], size: number): StoredManifest {
    const finished = Date.now();
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
    this.failure ??= error;
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.cancel.abort(error);
    // Nothing is still being written when it ends.
    await Promise.allSettled(this.packWrites);
    await this.close();
  }

  private async close(): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.onCallerAbort);
    await this.ctx.lock.release().catch(() => undefined);
    await this.ctx.onClose();
  }
}

/**
 * How long a component's reason may grow: the manifest takes at most 4096 characters, and a
 * folder with thousands of unreadable files must still make a readable manifest. Reasons beyond
 * are counted instead.
 */
const REASON_CHARS = 3800;

function addReason(state: ComponentState, reason: string): void {
  const joined = state.reason === undefined ? reason : `${state.reason}; ${reason}`;
  if (joined.length <= REASON_CHARS) state.reason = joined;
  else if (state.reason === undefined) state.reason = `${reason.slice(0, REASON_CHARS - 1)}…`;
  else state.omitted++;
}

function reasonOf(state: ComponentState): string | undefined {
  if (state.omitted === 0) return state.reason;
  const more = state.omitted === 1 ? '1 more' : `${state.omitted} more`;
  return `${state.reason}; and ${more}`;
}

/** The char code of '0': outcomes are digits. */
const ZERO = 48;

/** A batch request for files to read (`FilesRequest`): their paths joined by NUL. */
function filesRequest(
  files: readonly { readonly path: string }[],
  deferAbove?: number,
): FilesRequest {
  return { files: files.map(({ path }) => path).join('\0'), deferAbove };
}

async function* fromSync<T>(items: Iterable<T>): AsyncGenerator<T> {
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
