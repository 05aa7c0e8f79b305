/**
 * The messages between the main thread (pool.ts) and a crypto worker (worker.ts): one place,
 * so both sides agree. Types only.
 */
import type { ChunkerParams } from './chunker.js';
import type { BlobEntry, ChunkRef } from './records.js';

export interface WorkerSetup {
  readonly epoch: number;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
  readonly chunkId: Uint8Array;
  readonly chunker: Uint8Array;
  readonly chunkerParams: ChunkerParams;
  readonly packSize: number;
  /** The backup's shared chunk table (chunk-table.ts); absent for pools that only read. */
  readonly table: SharedArrayBuffer | undefined;
}

/**
 * A batch of files to read and back up, in a form that crosses threads cheaply (a 62,000-file
 * folder is a thousand batches, and a typed array in a message costs more than a string of the
 * whole batch): their paths joined by NUL, which no path contains. Unchanged files never come
 * here: the main thread reuses them (`Writer.unchangedSize`).
 */
export interface FilesRequest {
  readonly files: string;
  /** Files of this many bytes or more are answered LARGE, unread. */
  readonly deferAbove: number | undefined;
}

/** What became of each file of a batch (`FilesAnswer.outcomes`, one digit per file). */
/** Not read: at least `deferAbove` bytes; the main thread sends it again on its own. */
export const FILE_LARGE = 0;
export const FILE_STORED = 1;
export const FILE_FAILED = 2;

/** The answer to a batch, file by file in its order. */
export interface FilesAnswer {
  /** One digit per file: FILE_LARGE, FILE_STORED or FILE_FAILED. */
  readonly outcomes: string;
  /** Per file its size and modification time as looked at, comma-separated (NaN if failed). */
  readonly stats: string;
  /** The files read, in order: their SHA-256 and chunks. */
  readonly stored: { readonly sha256: string; readonly chunks: ChunkRef[] }[];
  /** The files that failed, in order: why. */
  readonly failed: { readonly error: string; readonly code: string | undefined }[];
}

/** A finished pack, handed to the main thread to write; `bytes` comes back by `recycle`. */
export interface FinishedPack {
  /**
   * The pack's buffer: blobs in [0, blobBytes), the rest unused. Moved, not shared: moving it
   * also tells each thread's collector of the memory it holds (shared packs measured 15 MiB
   * more at peak).
   */
  readonly bytes: ArrayBuffer;
  readonly blobBytes: number;
  /** The sealed header envelope and its length as uint32, which follow the blobs. */
  readonly trailer: ArrayBuffer;
  readonly id: string;
  readonly entries: BlobEntry[];
}

/** One blob of a file being restored, as it lies in its pack. */
export interface RestoreBlob {
  readonly blob: ArrayBuffer;
  readonly id: string;
  readonly compression: number;
  readonly rawLength: number;
}

/** A blob to verify inside a pack sent whole. */
export interface PackBlob {
  readonly id: string;
  readonly offset: number;
  readonly length: number;
  readonly compression: number;
  readonly rawLength: number;
}

export interface RefusedBlob {
  readonly id: string;
  readonly error: string;
}

/**
 * A file of at most one chunk, restored from a range of a pack (`restoreSmall`): its blob lies
 * at `offset` in the range (absent for an empty file).
 */
export interface SmallFileTarget {
  readonly path: string;
  readonly sha256: string;
  /** Modification time to set, in ms since the epoch. */
  readonly modified: number | undefined;
  readonly blob: PackBlob | undefined;
}

/** Why a file of a `restoreSmall` request failed (the files before it are written). */
export interface RestoreFailure {
  readonly index: number;
  readonly error: string;
  /** A blob refused or a wrong SHA-256, rather than a file system error (whose code is given). */
  readonly damaged: boolean;
  readonly code: string | undefined;
}

/** Where a restored file goes: written to `temp`, checked, then renamed to `path`. */
export interface RestoreTarget {
  readonly path: string;
  readonly temp: string;
  readonly sha256: string;
  /** Modification time to set, in ms since the epoch. */
  readonly modified: number | undefined;
}

export type WorkerRequest =
  | ({ op: 'files'; job: number } & FilesRequest)
  /** Gives up a `files` job: the worker stops it and answers it failed. */
  | { op: 'cancel'; job: number }
  /** An artifact whose bytes the main thread sends as pieces. */
  | { op: 'begin'; session: number }
  | { op: 'piece'; session: number; bytes: ArrayBuffer }
  | { op: 'end'; session: number }
  | { op: 'abort'; session: number }
  /** A written pack's buffer, back for reuse. */
  | { op: 'recycle'; bytes: ArrayBuffer }
  /** Finish the pack being filled, if it holds anything; answered by a job reply. */
  | { op: 'flush'; job: number }
  | {
      op: 'restore';
      session: number;
      temp: string;
      /** The first message of a file: create `temp`. */
      begin: boolean;
      blobs: RestoreBlob[];
      /** The last message: check the SHA-256, rename, set the time. */
      end: RestoreTarget | undefined;
    }
  | { op: 'restoreAbort'; session: number; temp: string }
  /** Files of at most one chunk whose blobs lie in `bytes[0, length)`; `bytes` comes back. */
  | {
      op: 'restoreSmall';
      job: number;
      bytes: Lent;
      length: number;
      files: SmallFileTarget[];
    }
  /** A pack in `bytes[0, length)`; `bytes` comes back with the answer, for reuse. */
  | { op: 'verifyPack'; job: number; bytes: Lent; length: number; blobs: PackBlob[] }
  | {
      op: 'open';
      job: number;
      blob: ArrayBuffer;
      id: string;
      compression: number;
      rawLength: number;
    };

/**
 * A large buffer a job lends a worker with its bytes, which comes back with the answer: shared
 * memory (the pools of check and restore), or an ArrayBuffer moved across and back. Shared
 * memory is allocated once; a moved buffer is counted anew by the collector of each thread it
 * reaches, and a check moving a pack a few times a second made the main thread collect its
 * whole heap every few tens of milliseconds.
 */
export type Lent = ArrayBuffer | SharedArrayBuffer;

/** Whether `buffer` views the whole of its memory (then that memory can be lent or moved as it is). */
export function viewsWholeMemory(buffer: Buffer): boolean {
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength;
}

/** What a message lending `buffer` must transfer: nothing if it is shared. */
export function transferOf(buffer: Lent): ArrayBuffer[] {
  return buffer instanceof ArrayBuffer ? [buffer] : [];
}

export type WorkerReply =
  | ({ kind: 'files'; job: number } & FilesAnswer)
  /** Bytes of a job or session read so far, sent now and then for progress. */
  | { kind: 'progress'; bytes: number }
  | { kind: 'consumed'; session: number }
  | { kind: 'end'; session: number; size: number; sha256: string; chunks: ChunkRef[] }
  | { kind: 'failed'; session: number; error: string }
  | ({ kind: 'pack' } & FinishedPack)
  | { kind: 'restored'; session: number; bytes: number; done: boolean }
  | {
      kind: 'restoreFailed';
      session: number;
      error: string;
      /** A blob refused or a wrong SHA-256, rather than a file system error (whose code is given). */
      damaged: boolean;
      code: string | undefined;
    }
  | { kind: 'job'; job: number; ok: false; error: string }
  | {
      kind: 'job';
      job: number;
      ok: true;
      bytes: Lent;
      failure: RestoreFailure | undefined;
    }
  | { kind: 'job'; job: number; ok: true }
  | { kind: 'job'; job: number; ok: true; plain: ArrayBuffer }
  | {
      kind: 'job';
      job: number;
      ok: true;
      sha256: string;
      refused: RefusedBlob[];
      bytes: Lent;
    };
