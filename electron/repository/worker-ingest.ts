/**
 * The backup half of a crypto worker: reads files (or receives a stream's pieces), hashes each
 * artifact (SHA-256), cuts it with FastCDC, and for every chunk computes its keyed id, claims it in
 * the backup's shared chunk table and, when it is the first to, compresses and seals it straight
 * into this worker's pack. Full packs go to the main thread to be written and come back for reuse.
 *
 * Nothing waits on the main thread per chunk: it hears of an artifact once, when it is done (its
 * size, SHA-256 and chunk list), and of a pack once it is full.
 *
 * Memory is fixed: one chunker per artifact in progress (the file being read, and each open
 * stream), and two pack buffers: one being filled and one being written. A step that might fill
 * the pack waits until the other buffer is back from the main thread.
 */
import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import type { ChunkTable } from './chunk-table.js';
import { FastCdc, type ChunkerParams } from './chunker.js';
import {
  BLOB_OVERHEAD,
  ENVELOPE_PACK_HEADER,
  chunkIdOf,
  sealChunkInto,
  sealEnvelope,
} from './crypto.js';
import type { BlobEntry, ChunkRef } from './records.js';
import {
  FILE_FAILED,
  FILE_LARGE,
  FILE_STORED,
  type FilesAnswer,
  type WorkerReply,
  type WorkerRequest,
} from './worker-protocol.js';

/** One read: large enough that a read's fixed cost vanishes, small enough to keep steps short. */
const READ_BYTES = 1024 * 1024;
/** Bytes read between progress messages. */
const PROGRESS_BYTES = 4 * 1024 * 1024;
/** How long a run of steps may keep the worker from its messages (a pack coming back, a cancel). */
const SLICE_MS = 10;
/** Pack buffers: one being filled, one being written by the main thread. */
const PACK_BUFFERS = 2;

export interface IngestKeys {
  readonly epoch: number;
  readonly data: Buffer;
  readonly metadata: Buffer;
  readonly chunkId: Buffer;
}

type Reply = (message: WorkerReply, transfer?: ArrayBuffer[]) => void;

/** This worker's pack being filled, and the buffers it may use. */
class PackBuilder {
  private buffer: Buffer | undefined;
  private blobBytes = 0;
  private entries: BlobEntry[] = [];
  private readonly spare: Buffer[] = [];
  /** Buffers handed to the main thread and not yet back. */
  private away = 0;

  constructor(
    private readonly keys: IngestKeys,
    private readonly packSize: number,
    /** Room for a pack: packSize, or one largest blob if that is more. */
    private readonly capacity: number,
    private readonly reply: Reply,
    /** Told the bytes of each blob sealed (heap.ts, cipherGarbageMeter). */
    private readonly noteCipherOutput: (bytes: number) => void,
  ) {}

  /**
   * Whether a step that adds at most `bytes` of blobs can run without holding more than
   * PACK_BUFFERS buffers (being filled, spare, or away being written): it fits in the pack being
   * filled, or a buffer for the next pack is at hand or may be made.
   */
  hasRoom(bytes: number): boolean {
    if (this.buffer !== undefined && this.capacity - this.blobBytes >= bytes) return true;
    const held = this.away + this.spare.length + (this.buffer === undefined ? 0 : 1);
    return this.spare.length > 0 || held < PACK_BUFFERS;
  }

  append(id: Buffer, idHex: string, plain: Buffer): void {
    // A blob is never longer than its chunk plus the overhead (compression is kept only when it
    // saves bytes): a pack is cut before a blob that might not fit.
    if (this.blobBytes + plain.length + BLOB_OVERHEAD > this.capacity) this.finish();
    const buffer = (this.buffer ??= this.spare.pop() ?? Buffer.allocUnsafeSlow(this.capacity));
    const at = this.blobBytes;
    const { length, compression } = sealChunkInto(this.keys.data, id, plain, buffer, at);
    this.noteCipherOutput(length);
    this.entries.push([idHex, at, length, plain.length, compression]);
    this.blobBytes += length;
    if (this.blobBytes >= this.packSize) this.finish();
  }

  /** Seals the header and hands the pack to the main thread (nothing if it holds no blob). */
  finish(): void {
    const buffer = this.buffer;
    if (buffer === undefined || this.entries.length === 0) return;
    const header = sealEnvelope(
      ENVELOPE_PACK_HEADER,
      { epoch: this.keys.epoch },
      this.keys.metadata,
      this.entries,
    );
    const trailer = Buffer.allocUnsafeSlow(header.length + 4);
    header.copy(trailer, 0);
    trailer.writeUInt32BE(header.length, header.length);
    const blobs = buffer.subarray(0, this.blobBytes);
    const id = createHash('sha256').update(blobs).update(trailer).digest('hex');
    const pack = buffer.buffer as ArrayBuffer;
    const tail = trailer.buffer as ArrayBuffer;
    this.reply(
      {
        kind: 'pack',
        bytes: pack,
        blobBytes: this.blobBytes,
        trailer: tail,
        id,
        entries: this.entries,
      },
      [pack, tail],
    );
    this.away++;
    this.buffer = undefined;
    this.blobBytes = 0;
    this.entries = [];
  }

  recycle(bytes: ArrayBuffer): void {
    this.away--;
    if (bytes.byteLength === this.capacity) this.spare.push(Buffer.from(bytes));
  }
}

/** An artifact in progress: its hash, size and chunks so far. */
interface Artifact {
  readonly sha: Hash;
  size: number;
  readonly chunks: ChunkRef[];
}

interface OpenFile extends Artifact {
  readonly fd: number;
  readonly chunker: FastCdc;
  readonly expected: number;
  readonly modified: number;
}

interface FilesJob {
  readonly kind: 'files';
  readonly job: number;
  /** The files' paths (`FilesRequest.files`). */
  readonly paths: string[];
  readonly deferAbove: number | undefined;
  /** The answer so far (`FilesAnswer`); its length is the number of files answered. */
  outcomes: string;
  readonly stats: number[];
  readonly stored: FilesAnswer['stored'];
  readonly failed: FilesAnswer['failed'];
  current: OpenFile | undefined;
}

interface StreamSession extends Artifact {
  readonly kind: 'stream';
  readonly session: number;
  readonly chunker: FastCdc;
  readonly pieces: Buffer[];
  ended: boolean;
}

type Work = FilesJob | StreamSession;

const newArtifact = (): Artifact => ({ sha: createHash('sha256'), size: 0, chunks: [] });

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Ingest {
  private readonly packs: PackBuilder;
  private readonly chunkers: FastCdc[] = [];
  /** Files jobs run one at a time, in order; streams beside them, taking turns. */
  private readonly work: Work[] = [];
  private scheduled = false;
  private unreported = 0;
  /** The most blob bytes one step can add to the packs. */
  private readonly stepBytes: number;

  constructor(
    private readonly keys: IngestKeys,
    private readonly gear: Uint32Array,
    private readonly params: ChunkerParams,
    packSize: number,
    private readonly table: ChunkTable | undefined,
    private readonly reply: Reply,
    noteCipherOutput: (bytes: number) => void,
  ) {
    const capacity = Math.max(packSize, params.max + BLOB_OVERHEAD);
    // A step reads at most READ_BYTES (or takes one piece of at most that) and can complete
    // every chunk the chunker held (less than max), each with its blob overhead.
    this.stepBytes = params.max + READ_BYTES + 64 * 1024;
    this.packs = new PackBuilder(keys, packSize, capacity, reply, noteCipherOutput);
  }

  /** Handles a backup request; false if `request` is not one. */
  handle(request: WorkerRequest): boolean {
    switch (request.op) {
      case 'files': {
        this.work.push({
          kind: 'files',
          job: request.job,
          paths: request.files.split('\0'),
          deferAbove: request.deferAbove,
          outcomes: '',
          stats: [],
          stored: [],
          failed: [],
          current: undefined,
        });
        break;
      }
      case 'cancel':
        this.cancel(request.job);
        break;
      case 'begin':
        this.work.push({
          kind: 'stream',
          session: request.session,
          chunker: this.takeChunker(),
          pieces: [],
          ended: false,
          ...newArtifact(),
        });
        break;
      case 'piece':
        this.stream(request.session)?.pieces.push(Buffer.from(request.bytes));
        break;
      case 'end': {
        const session = this.stream(request.session);
        if (session !== undefined) session.ended = true;
        break;
      }
      case 'abort': {
        const session = this.stream(request.session);
        if (session !== undefined) this.remove(session);
        break;
      }
      case 'recycle':
        this.packs.recycle(request.bytes);
        break;
      case 'flush':
        this.packs.finish();
        this.reply({ kind: 'job', job: request.job, ok: true });
        return true;
      default:
        return false;
    }
    this.schedule();
    return true;
  }

  private stream(session: number): StreamSession | undefined {
    return this.work.find((w): w is StreamSession => w.kind === 'stream' && w.session === session);
  }

  private takeChunker(): FastCdc {
    return this.chunkers.pop() ?? new FastCdc(this.gear, this.params, READ_BYTES);
  }

  private remove(work: Work): void {
    const at = this.work.indexOf(work);
    if (at >= 0) this.work.splice(at, 1);
    if (work.kind === 'files') this.closeFile(work);
    else this.giveChunker(work.chunker);
  }

  private giveChunker(chunker: FastCdc): void {
    chunker.reset();
    this.chunkers.push(chunker);
  }

  private cancel(job: number): void {
    const files = this.work.find((w): w is FilesJob => w.kind === 'files' && w.job === job);
    if (files === undefined) return;
    this.remove(files);
    this.answer(files);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  /** Steps through runnable work for a slice of time, then lets messages in. */
  private run(): void {
    this.scheduled = false;
    const until = performance.now() + SLICE_MS;
    let turn = 0;
    while (performance.now() < until) {
      if (!this.packs.hasRoom(this.stepBytes)) return; // resumed when a pack buffer comes back
      const runnable = this.runnable();
      if (runnable.length === 0) return; // resumed by the next message
      this.step(runnable[turn++ % runnable.length] as Work);
    }
    this.schedule();
  }

  /** The first files job, and every stream that has a piece or has ended. */
  private runnable(): Work[] {
    let filesSeen = false;
    return this.work.filter((w) => {
      if (w.kind === 'stream') return w.pieces.length > 0 || w.ended;
      if (filesSeen) return false;
      filesSeen = true;
      return true;
    });
  }

  private step(work: Work): void {
    if (work.kind === 'stream') this.stepStream(work);
    else this.stepFiles(work);
  }

  private stepStream(session: StreamSession): void {
    const piece = session.pieces.shift();
    if (piece === undefined) {
      session.chunker.finish(this.onChunk(session));
      this.remove(session);
      this.reportProgress();
      this.reply({
        kind: 'end',
        session: session.session,
        size: session.size,
        sha256: session.sha.digest('hex'),
        chunks: session.chunks,
      });
      return;
    }
    this.reply({ kind: 'consumed', session: session.session });
    session.sha.update(piece);
    session.size += piece.length;
    this.progress(piece.length);
    session.chunker.push(piece, this.onChunk(session));
  }

  private stepFiles(job: FilesJob): void {
    const file = job.current;
    if (file === undefined) {
      if (job.outcomes.length === job.paths.length) {
        this.remove(job);
        this.reportProgress();
        this.answer(job);
      } else this.openFile(job);
      return;
    }
    try {
      const room = file.chunker.room(READ_BYTES);
      const read = readSync(file.fd, room, 0, room.length, null);
      if (read === 0) {
        this.endFile(job, file);
        return;
      }
      file.sha.update(room.subarray(0, read));
      file.size += read;
      this.progress(read);
      file.chunker.commit(read, this.onChunk(file));
    } catch (error) {
      this.failFile(job, error);
    }
  }

  private answer(job: FilesJob): void {
    const { outcomes, stats, stored, failed } = job;
    this.reply({ kind: 'files', job: job.job, outcomes, stats: stats.join(','), stored, failed });
  }

  /** Records the outcome of the job's next file. */
  private settle(job: FilesJob, outcome: number, size: number, modified: number): void {
    job.outcomes += String(outcome);
    job.stats.push(size, modified);
  }

  /** Looks at the next file: large (deferred) or unreadable are answered at once. */
  private openFile(job: FilesJob): void {
    const path = job.paths[job.outcomes.length] as string;
    try {
      const info = lstatSync(path);
      if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
      const [size, modified] = [info.size, info.mtimeMs];
      if (job.deferAbove !== undefined && size >= job.deferAbove) {
        this.settle(job, FILE_LARGE, size, modified);
        return;
      }
      const fd = openSync(path, 'r');
      const chunker = this.takeChunker();
      job.current = { fd, chunker, expected: size, modified, ...newArtifact() };
    } catch (error) {
      this.failFile(job, error);
    }
  }

  private endFile(job: FilesJob, file: OpenFile): void {
    file.chunker.finish(this.onChunk(file));
    this.closeFile(job);
    if (file.size !== file.expected) {
      const error = `it changed while being read (${file.expected} bytes listed, ${file.size} read)`;
      job.failed.push({ error, code: 'CHANGED' });
      this.settle(job, FILE_FAILED, NaN, NaN);
      return;
    }
    job.stored.push({ sha256: file.sha.digest('hex'), chunks: file.chunks });
    this.settle(job, FILE_STORED, file.size, file.modified);
  }

  private failFile(job: FilesJob, error: unknown): void {
    this.closeFile(job);
    const code = (error as NodeJS.ErrnoException).code;
    job.failed.push({ error: messageOf(error), code });
    this.settle(job, FILE_FAILED, NaN, NaN);
  }

  /** Closes the job's open file, if any, and returns its chunker. */
  private closeFile(job: FilesJob): void {
    const file = job.current;
    if (file === undefined) return;
    job.current = undefined;
    this.giveChunker(file.chunker);
    try {
      closeSync(file.fd);
    } catch {
      // the descriptor is gone either way
    }
  }

  /** Stores each new chunk of `artifact` in the pack (first claimant only); records them all. */
  private onChunk(artifact: Artifact): (chunk: Buffer) => void {
    return (chunk) => {
      const id = chunkIdOf(this.keys.chunkId, chunk);
      const idHex = id.toString('hex');
      if ((this.table?.claim(id) ?? 'first') !== 'present') this.packs.append(id, idHex, chunk);
      artifact.chunks.push([idHex, chunk.length]);
    };
  }

  private progress(bytes: number): void {
    this.unreported += bytes;
    if (this.unreported >= PROGRESS_BYTES) this.reportProgress();
  }

  private reportProgress(): void {
    if (this.unreported === 0) return;
    this.reply({ kind: 'progress', bytes: this.unreported });
    this.unreported = 0;
  }
}
