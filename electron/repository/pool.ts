/**
 * A pool of crypto workers, one per core, for one epoch's keys (see worker.ts for what a worker
 * does). For a backup, files and streams are spread over the workers by the bytes they are
 * expected to carry; each worker fills packs of its own, which arrive here (`onPack`) to be
 * written and are handed back (`recycle`) for reuse. For a restore or a check, blobs are opened
 * and packs verified in whichever worker is least busy.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { ChunkTable } from './chunk-table.js';
import type { ChunkerParams } from './chunker.js';
import { openBlob, type EpochKeys } from './crypto.js';
import { WORKER_YOUNG_GENERATION_MB } from './heap.js';
import { startModuleWorker } from './threads.js';
import type { ChunkRef } from './records.js';
import {
  transferOf,
  viewsWholeMemory,
  type FilesAnswer,
  type FilesRequest,
  type FinishedPack,
  type PackBlob,
  type RefusedBlob,
  type RestoreBlob,
  type RestoreFailure,
  type RestoreTarget,
  type SmallFileTarget,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSetup,
  type Lent,
} from './worker-protocol.js';

/** Below this, verifying a blob on the calling thread is cheaper than a worker round trip. */
const INLINE_BYTES = 64 * 1024;
/** Bytes the main thread gathers before posting a piece (a message per network read costs more). */
const PIECE_BYTES = 1024 * 1024;
/** Pieces posted and not yet consumed by the worker: one being chunked, one waiting. */
const PIECES_AHEAD = 2;

type JobReply = Extract<WorkerReply, { kind: 'job' }>;

/** A chunk's blob read from its pack, not yet opened. */
export interface StoredBlob {
  readonly blob: Buffer;
  readonly id: string;
  readonly compression: number;
  readonly rawLength: number;
  /** The pack it came from, for messages. */
  readonly object: string;
}

/** A file restore that failed: `damaged` for refused data, else the file system error's code. */
export class RestoreError extends Error {
  constructor(
    message: string,
    readonly damaged: boolean,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** An artifact as a worker ingested it. */
export interface Ingested {
  readonly size: number;
  readonly sha256: string;
  readonly chunks: ChunkRef[];
}

/** The artifact's own source failed (a stream that errored). */
export class SourceError extends Error {
  constructor(cause: unknown) {
    super('the artifact source failed', { cause });
  }
}

/** Receives a worker's full pack; `recycle` hands its buffer back once it is written. */
export type PackSink = (pack: FinishedPack, recycle: () => void) => void;

interface Slot {
  readonly worker: Worker;
  /** Messages awaited from this worker; it keeps the process alive only while this is > 0. */
  busy: number;
  /** Bytes its open work is expected to carry (for choosing a worker). */
  load: number;
}

interface OpenRestore {
  readonly slot: Slot;
  readonly onBytes: ((bytes: number) => void) | undefined;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** Messages posted and not yet acknowledged. */
  ahead: number;
  /** Wakes the sender: a message was acknowledged, or the restore ended. */
  wake: () => void;
  /** Why the restore is being given up; it ends once the worker confirms the file is removed. */
  abandoned?: Error;
}

interface OpenSession {
  readonly slot: Slot;
  readonly resolve: (result: Ingested) => void;
  readonly reject: (error: Error) => void;
  /** Wakes the piece sender: the worker consumed a piece, or the session ended. */
  wake: () => void;
  /** Pieces posted and not yet consumed. */
  ahead: number;
}

interface PendingFiles {
  readonly resolve: (answer: FilesAnswer) => void;
  readonly reject: (error: Error) => void;
}

export interface PoolOptions {
  /** Workers (default: one per core). */
  readonly size?: number;
  /** Bytes at which a worker's pack is cut (the repository's `packSize`). */
  readonly packSize?: number;
  /** The backup's chunk table: which chunks need not be stored (absent: store every chunk). */
  readonly table?: ChunkTable;
  /** Receives full packs (a pool that ingests needs one). */
  readonly onPack?: PackSink;
  /** Bytes read by the workers, reported now and then. */
  readonly onProgress?: (bytes: number) => void;
}

/** A fresh, wholly owned ArrayBuffer with `bytes`' content, ready to be transferred. */
function ownedCopy(bytes: Uint8Array, length = bytes.length): ArrayBuffer {
  const copy = new Uint8Array(length);
  copy.set(bytes.subarray(0, length));
  return copy.buffer;
}

export class CryptoPool {
  private readonly slots: Slot[] = [];
  private readonly jobs = new Map<
    number,
    { resolve(reply: JobReply): void; reject(e: Error): void }
  >();
  private readonly files = new Map<number, PendingFiles>();
  private readonly sessions = new Map<number, OpenSession>();
  private readonly restores = new Map<number, OpenRestore>();
  private nextJob = 1;
  private nextSession = 1;
  private failure: Error | undefined;

  constructor(
    private readonly keys: EpochKeys,
    chunkerParams: ChunkerParams,
    private readonly options: PoolOptions = {},
  ) {
    const setup: WorkerSetup = {
      epoch: keys.epoch,
      data: keys.data,
      metadata: keys.metadata,
      chunkId: keys.chunkId,
      chunker: keys.chunker,
      chunkerParams: { min: chunkerParams.min, avg: chunkerParams.avg, max: chunkerParams.max },
      packSize: options.packSize ?? 16 * 1024 * 1024,
      table: options.table?.buffer,
    };
    for (let i = 0; i < Math.max(1, options.size ?? availableParallelism()); i++) {
      const worker = startModuleWorker('worker', setup, {
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      worker.unref(); // referenced only while it has work, so an idle pool never holds a process open
      const slot: Slot = { worker, busy: 0, load: 0 };
      worker.on('message', (reply: WorkerReply) => this.settle(slot, reply));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`crypto worker exited with ${code}`));
      });
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    for (const pending of this.files.values()) pending.reject(error);
    this.files.clear();
    for (const [id, session] of this.sessions) {
      this.endSession(id);
      session.reject(error);
    }
    for (const id of [...this.restores.keys()]) this.endRestore(id, error);
  }

  private expect(slot: Slot): void {
    if (slot.busy++ === 0) slot.worker.ref();
  }

  private received(slot: Slot): void {
    if (--slot.busy === 0) slot.worker.unref();
  }

  private settle(slot: Slot, reply: WorkerReply): void {
    switch (reply.kind) {
      case 'job': {
        this.received(slot);
        const job = this.jobs.get(reply.job);
        this.jobs.delete(reply.job);
        job?.resolve(reply);
        return;
      }
      case 'files': {
        const pending = this.files.get(reply.job);
        this.files.delete(reply.job);
        pending?.resolve(reply);
        return;
      }
      case 'pack':
        this.receivePack(slot, reply);
        return;
      case 'progress':
        this.options.onProgress?.(reply.bytes);
        return;
      case 'restored':
      case 'restoreFailed':
        this.settleRestore(reply);
        return;
    }
    const session = this.sessions.get(reply.session);
    switch (reply.kind) {
      case 'consumed':
        if (session !== undefined) session.ahead--;
        session?.wake();
        return;
      case 'end':
        this.endSession(reply.session);
        session?.resolve({ size: reply.size, sha256: reply.sha256, chunks: reply.chunks });
        return;
      case 'failed':
        this.endSession(reply.session);
        session?.reject(new SourceError(new Error(reply.error)));
        return;
    }
  }

  private receivePack(slot: Slot, pack: FinishedPack): void {
    const sink = this.options.onPack;
    if (sink === undefined) {
      this.fail(new Error('a worker finished a pack, and this pool has nowhere to write it'));
      return;
    }
    sink(pack, () => {
      slot.worker.postMessage({ op: 'recycle', bytes: pack.bytes } satisfies WorkerRequest, [
        pack.bytes,
      ]);
    });
  }

  /** Forgets a session (true if it was open) and wakes its piece sender, which then stops. */
  private endSession(session: number): boolean {
    const open = this.sessions.get(session);
    this.sessions.delete(session);
    open?.wake();
    return open !== undefined;
  }

  /** Ends a session early: the worker forgets it (chunks it stored stay in its pack). */
  private abortSession(session: number, error: Error): void {
    const open = this.sessions.get(session);
    if (open === undefined || !this.endSession(session)) return;
    open.slot.worker.postMessage({ op: 'abort', session } satisfies WorkerRequest);
    open.reject(error);
  }

  private job(slot: Slot, request: WorkerRequest, transfer: ArrayBuffer[]): Promise<JobReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.expect(slot);
    return new Promise((resolve, reject) => {
      this.jobs.set((request as { job: number }).job, { resolve, reject });
      slot.worker.postMessage(request, transfer);
    });
  }

  private leastBusy(): Slot {
    let best = this.slots[0] as Slot;
    for (const slot of this.slots) if (slot.busy < best.busy) best = slot;
    return best;
  }

  private leastLoaded(): Slot {
    let best = this.slots[0] as Slot;
    for (const slot of this.slots) if (slot.load < best.load) best = slot;
    return best;
  }

  /** Runs `work` on the least loaded worker, counting `weight` expected bytes against it. */
  private async loaded<T>(weight: number, work: (slot: Slot) => Promise<T>): Promise<T> {
    if (this.failure !== undefined) throw this.failure;
    const slot = this.leastLoaded();
    slot.load += weight;
    this.expect(slot);
    try {
      return await work(slot);
    } finally {
      slot.load -= weight;
      this.received(slot);
    }
  }

  /**
   * Backs up a batch of files in one worker, in order: each is looked at (unchanged when its
   * size and time equal its `previous`), read, hashed and chunked, its new chunks stored in the
   * worker's pack; files of `deferAbove` bytes or more are answered LARGE, unread. `weight`: the
   * bytes the files are expected to carry, for spreading work over the workers. On cancellation
   * the worker stops and this rejects with the signal's reason.
   */
  ingestFiles(
    request: FilesRequest,
    options: { weight: number; signal?: AbortSignal },
  ): Promise<FilesAnswer> {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    return this.loaded(options.weight, (slot) => {
      const job = this.nextJob++;
      let onAbort: (() => void) | undefined;
      return new Promise<FilesAnswer>((resolve, reject) => {
        this.files.set(job, { resolve, reject });
        onAbort = () => {
          this.files.delete(job);
          slot.worker.postMessage({ op: 'cancel', job } satisfies WorkerRequest);
          reject(signal?.reason as Error);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        slot.worker.postMessage({ op: 'files', job, ...request } satisfies WorkerRequest);
      }).finally(() => {
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      });
    });
  }

  /**
   * Ingests one artifact whose bytes come from `pieces`: hashed, chunked, its new chunks stored
   * in the worker's pack. Resolves with its size, SHA-256 and chunks; rejects with SourceError
   * when the source fails, with the signal's reason when cancelled.
   */
  ingest(pieces: AsyncIterable<Uint8Array | string>, signal?: AbortSignal): Promise<Ingested> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    return this.loaded(PIECE_BYTES, (slot) => {
      const session = this.nextSession++;
      let onAbort: (() => void) | undefined;
      return new Promise<Ingested>((resolve, reject) => {
        const open: OpenSession = { slot, resolve, reject, wake: () => undefined, ahead: 0 };
        this.sessions.set(session, open);
        onAbort = () => this.abortSession(session, signal?.reason as Error);
        signal?.addEventListener('abort', onAbort, { once: true });
        slot.worker.postMessage({ op: 'begin', session } satisfies WorkerRequest);
        this.sendPieces(session, open, pieces, signal).catch((error: unknown) => {
          const why = signal?.aborted === true ? (signal.reason as Error) : new SourceError(error);
          this.abortSession(session, why);
        });
      }).finally(() => {
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      });
    });
  }

  /** Gathers the source's bytes into pieces of PIECE_BYTES and posts them, PIECES_AHEAD at most. */
  private async sendPieces(
    session: number,
    open: OpenSession,
    pieces: AsyncIterable<Uint8Array | string>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let piece = new Uint8Array(PIECE_BYTES);
    let filled = 0;
    const post = async () => {
      while (open.ahead >= PIECES_AHEAD && this.sessions.has(session)) {
        await new Promise<void>((resolve) => (open.wake = resolve));
      }
      if (!this.sessions.has(session)) return;
      open.ahead++;
      const bytes = filled === piece.length ? piece.buffer : ownedCopy(piece, filled);
      open.slot.worker.postMessage({ op: 'piece', session, bytes } satisfies WorkerRequest, [
        bytes,
      ]);
      piece = new Uint8Array(PIECE_BYTES);
      filled = 0;
    };
    for await (const item of pieces) {
      signal?.throwIfAborted();
      if (!this.sessions.has(session)) return;
      const bytes = typeof item === 'string' ? Buffer.from(item) : item;
      for (let offset = 0; offset < bytes.length;) {
        const n = Math.min(bytes.length - offset, piece.length - filled);
        piece.set(bytes.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === piece.length) await post();
      }
    }
    if (filled > 0) await post();
    if (this.sessions.has(session))
      open.slot.worker.postMessage({ op: 'end', session } satisfies WorkerRequest);
  }

  /** Has every worker finish the pack it is filling; resolves once each has handed it over. */
  async flush(): Promise<void> {
    await Promise.all(
      this.slots.map((slot) => this.job(slot, { op: 'flush', job: this.nextJob++ }, [])),
    );
  }

  private settleRestore(reply: Extract<WorkerReply, { kind: 'restored' | 'restoreFailed' }>) {
    const restore = this.restores.get(reply.session);
    if (restore === undefined) return;
    if (reply.kind === 'restoreFailed') {
      const why = restore.abandoned ?? new RestoreError(reply.error, reply.damaged, reply.code);
      this.endRestore(reply.session, why);
      return;
    }
    restore.ahead--;
    restore.onBytes?.(reply.bytes);
    if (reply.done) this.endRestore(reply.session);
    else restore.wake();
  }

  /** Ends a restore: resolved without `error`, else rejected with it; its sender stops. */
  private endRestore(session: number, error?: Error): void {
    const restore = this.restores.get(session);
    if (restore === undefined) return;
    this.restores.delete(session);
    if (error === undefined) restore.resolve();
    else restore.reject(error);
    restore.wake();
  }

  /**
   * Restores one file in a worker: the blobs (as read from their packs, in order) are opened,
   * verified and written to `target.temp`; then its SHA-256 is checked, it is renamed to
   * `target.path` and its time set. A failure removes the partial file and rejects with a
   * RestoreError (refused data, or a file system error), or with the error reading a blob.
   */
  async restoreFile(
    target: RestoreTarget,
    blobs: AsyncIterable<StoredBlob>,
    size: number,
    options: { onBytes?: (bytes: number) => void; signal?: AbortSignal } = {},
  ): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const slot = this.leastLoaded();
    const session = this.nextSession++;
    slot.load += size;
    this.expect(slot);
    const outcome = new Promise<void>((resolve, reject) => {
      this.restores.set(session, {
        slot,
        onBytes: options.onBytes,
        resolve,
        reject,
        ahead: 0,
        wake: () => undefined,
      });
    });
    outcome.catch(() => undefined); // awaited below, after the blobs are sent
    let begun = false;
    try {
      await this.sendRestore(session, target, blobs, options.signal, () => (begun = true));
    } catch (error) {
      const why = error instanceof Error ? error : new Error(String(error));
      const restore = this.restores.get(session);
      if (begun && restore !== undefined) {
        // Reading a blob failed, or the restore was cancelled: the worker removes the partial
        // file, and the restore ends only when it says so (nothing is left behind after it).
        restore.abandoned = why;
        slot.worker.postMessage({
          op: 'restoreAbort',
          session,
          temp: target.temp,
        } satisfies WorkerRequest);
      } else this.endRestore(session, why);
    }
    try {
      await outcome;
    } finally {
      slot.load -= size;
      this.received(slot);
    }
  }

  /** Posts the blobs in batches of about PIECE_BYTES, PIECES_AHEAD unacknowledged at most. */
  private async sendRestore(
    session: number,
    target: RestoreTarget,
    blobs: AsyncIterable<StoredBlob>,
    signal: AbortSignal | undefined,
    onBegin: () => void,
  ): Promise<void> {
    let begin = true;
    let batch: RestoreBlob[] = [];
    let bytes = 0;
    const post = async (end: RestoreTarget | undefined) => {
      let restore = this.restores.get(session);
      while (restore !== undefined && restore.ahead >= PIECES_AHEAD) {
        await new Promise<void>((resolve) => (restore!.wake = resolve));
        restore = this.restores.get(session);
      }
      if (restore === undefined) return; // it failed meanwhile: its outcome says why
      restore.ahead++;
      const message: WorkerRequest = {
        op: 'restore',
        session,
        temp: target.temp,
        begin,
        blobs: batch,
        end,
      };
      restore.slot.worker.postMessage(
        message,
        batch.map((b) => b.blob),
      );
      if (begin) onBegin();
      begin = false;
      batch = [];
      bytes = 0;
    };
    for await (const stored of blobs) {
      signal?.throwIfAborted();
      if (!this.restores.has(session)) return;
      const { id, compression, rawLength } = stored;
      batch.push({ blob: transferable(stored.blob), id, compression, rawLength });
      bytes += rawLength;
      if (bytes >= PIECE_BYTES) await post(undefined);
    }
    signal?.throwIfAborted();
    await post(target);
  }

  /**
   * Decrypts, decompresses and verifies a blob; returns the plaintext or the reason it was
   * refused. Small blobs are done on the calling thread: a round trip would cost more.
   */
  async open(
    blob: Buffer,
    id: string,
    compression: number,
    rawLength: number,
  ): Promise<{ ok: true; plain: Buffer } | { ok: false; error: string }> {
    if (rawLength < INLINE_BYTES)
      return openBlob(this.keys, blob, Buffer.from(id, 'hex'), compression, rawLength);
    const job = this.nextJob++;
    const owned = ownedCopy(blob);
    const reply = await this.job(
      this.leastBusy(),
      { op: 'open', job, blob: owned, id, compression, rawLength },
      [owned],
    );
    if (!reply.ok) return { ok: false, error: reply.error };
    if (!('plain' in reply)) return { ok: false, error: 'bad reply' };
    return { ok: true, plain: Buffer.from(reply.plain) };
  }

  /**
   * Verifies a whole pack in a worker (its bytes are handed over): its SHA-256, and which of
   * `blobs` are refused (authentication, decompression, or content not matching the id).
   */
  /**
   * Restores files of at most one chunk in a worker, from a range of a pack in
   * `bytes[0, length)` (`bytes`, handed over whole, comes back for reuse): each blob is opened
   * and checked, and its file written straight to its final name. Stops at the first failure,
   * which it returns; the files before it are written.
   */
  async restoreSmall(
    bytes: Buffer,
    length: number,
    files: SmallFileTarget[],
  ): Promise<{ bytes: Buffer; failure: RestoreFailure | undefined }> {
    const reply = await this.lend(bytes, (job, whole) => ({
      op: 'restoreSmall',
      job,
      bytes: whole,
      length,
      files,
    }));
    if (!('failure' in reply)) throw new Error('restoring files failed: bad reply');
    return { bytes: Buffer.from(reply.bytes), failure: reply.failure };
  }

  /**
   * Verifies a pack in a worker: its SHA-256, and which of `blobs` are refused (authentication,
   * decompression, or content not matching the id). The pack is `bytes[0, length)`; `bytes`
   * (a whole buffer, handed over without a copy) comes back with the answer, for reuse.
   */
  async verifyPack(
    bytes: Buffer,
    length: number,
    blobs: PackBlob[],
  ): Promise<{ sha256: string; refused: RefusedBlob[]; bytes: Buffer }> {
    const reply = await this.lend(bytes, (job, whole) => ({
      op: 'verifyPack',
      job,
      bytes: whole,
      length,
      blobs,
    }));
    if (!('refused' in reply)) throw new Error('verifying a pack failed: bad reply');
    return { sha256: reply.sha256, refused: reply.refused, bytes: Buffer.from(reply.bytes) };
  }

  /** A job for the least busy worker that carries `bytes`, handed over whole (no copy). */
  private async lend(
    bytes: Buffer,
    request: (job: number, whole: Lent) => WorkerRequest,
  ): Promise<Extract<JobReply, { ok: true }>> {
    const job = this.nextJob++;
    const whole = lendable(bytes);
    const reply = await this.job(this.leastBusy(), request(job, whole), transferOf(whole));
    if (!reply.ok) throw new Error(`a crypto worker failed: ${reply.error}`);
    return reply;
  }

  async close(): Promise<void> {
    this.fail(new Error('crypto pool closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}

/** A whole buffer as it is lent to a worker: its shared memory, or else `transferable`. */
function lendable(buffer: Buffer): Lent {
  return viewsWholeMemory(buffer) && buffer.buffer instanceof SharedArrayBuffer
    ? buffer.buffer
    : transferable(buffer);
}

/** The buffer's memory as an ArrayBuffer of its own, copied only when it shares one. */
function transferable(buffer: Buffer): ArrayBuffer {
  return viewsWholeMemory(buffer) && buffer.buffer instanceof ArrayBuffer
    ? buffer.buffer
    : ownedCopy(buffer);
}
