/**
 * Restoring many small files at once: those of at most one chunk (every file under the
 * chunker's minimum, 256 KiB). Their blobs are read pack by pack, a range of neighbouring blobs
 * at a time (one read for dozens of files), and a crypto worker opens and checks each blob and
 * writes its file straight to its final name, its bytes verified before the file is created.
 * A restore of 62,000 small files is then a few hundred reads and messages, not 62,000 of each.
 */
import { availableParallelism } from 'node:os';
import { BufferPool } from './buffers.js';
import { RepoErrors } from './errors.js';
import { eachOf, runLanes } from './lanes.js';
import type { PackReaders } from './pack-readers.js';
import type { CryptoPool } from './pool.js';
import { packObjectName, type LoadedIndex } from './store.js';
import type { ArtifactRecord } from './types.js';
import type { SmallFileTarget } from './worker-protocol.js';

/** A range read covers at most this much of a pack... */
const RANGE_BYTES = 2 * 1024 * 1024;
/** ...and skips at most this much between two blobs it needs (else a new range starts). */
const GAP_BYTES = 64 * 1024;
/** Ranges in flight: two per worker, so each has the next one when it ends one. */
const RANGES_IN_FLIGHT = 2 * Math.max(1, availableParallelism());

export interface SmallFile {
  readonly artifact: ArtifactRecord;
  readonly path: string;
  /** `component/name`, for messages. */
  readonly label: string;
}

/** Neighbouring blobs of one pack read at once, and the files they restore. */
export interface Range {
  /** The pack's id, or undefined for empty files (no blob, nothing to read). */
  readonly pack: string | undefined;
  readonly start: number;
  readonly end: number;
  readonly files: readonly SmallFile[];
}

/**
 * Groups files by the pack their chunk lies in, in pack and offset order, into ranges of at most
 * RANGE_BYTES with gaps of at most GAP_BYTES. Pure. REPO_DATA_MISSING for a chunk in no index.
 */
export function planRanges(files: readonly SmallFile[], index: LoadedIndex): Range[] {
  const byPack = new Map<string, { file: SmallFile; offset: number; end: number }[]>();
  const empty: SmallFile[] = [];
  for (const file of files) {
    const chunk = file.artifact.chunks[0];
    if (chunk === undefined) {
      empty.push(file);
      continue;
    }
    const location = index.blobs.get(chunk[0]);
    if (location === undefined) {
      throw RepoErrors.create(
        'REPO_DATA_MISSING',
        `Chunk ${chunk[0]} is in no index (a missing index or pack).`,
        { details: { chunk: chunk[0] } },
      );
    }
    const blob = { file, offset: location.offset, end: location.offset + location.length };
    const group = byPack.get(location.pack);
    if (group === undefined) byPack.set(location.pack, [blob]);
    else group.push(blob);
  }
  const ranges: Range[] =
    empty.length > 0 ? [{ pack: undefined, start: 0, end: 0, files: empty }] : [];
  for (const [pack, blobs] of [...byPack].sort(([a], [b]) => (a < b ? -1 : 1))) {
    blobs.sort((a, b) => a.offset - b.offset);
    let current: { start: number; end: number; files: SmallFile[] } | undefined;
    for (const blob of blobs) {
      if (
        current === undefined ||
        blob.end - current.start > RANGE_BYTES ||
        blob.offset - current.end > GAP_BYTES
      ) {
        if (current !== undefined) ranges.push({ pack, ...current });
        current = { start: blob.offset, end: blob.end, files: [] };
      }
      current.end = Math.max(current.end, blob.end);
      current.files.push(blob.file);
    }
    if (current !== undefined) ranges.push({ pack, ...current });
  }
  return ranges;
}

/** The buffers ranges are read into, for a restore's whole length (`restoreSmallFiles`). */
export function rangeBuffers(): BufferPool {
  // Two restores of a reader may overlap (a list chunk's files while the next one's start).
  return new BufferPool(2 * RANGES_IN_FLIGHT, RANGE_BYTES);
}

export interface SmallRestoreContext {
  readonly index: LoadedIndex;
  /** Reused across calls (`rangeBuffers`). */
  readonly buffers: BufferPool;
  readonly pool: CryptoPool;
  readonly readers: PackReaders;
  readonly signal: AbortSignal | undefined;
  /** Bytes of files restored, after each range. */
  readonly onBytes: ((bytes: number) => void) | undefined;
}

/**
 * Restores files of at most one chunk (their folders must exist, their paths must not). The
 * first failure is thrown once the ranges in flight have settled: REPO_DAMAGED for refused data,
 * REPO_DATA_MISSING for a missing pack, a file system error with its code.
 */
export async function restoreSmallFiles(
  files: readonly SmallFile[],
  context: SmallRestoreContext,
): Promise<void> {
  const { buffers } = context;
  const ranges = planRanges(files, context.index);
  await runLanes(eachOf(ranges), RANGES_IN_FLIGHT, async (range) => {
    context.signal?.throwIfAborted();
    const buffer = buffers.take(range.end - range.start);
    const bytes = await readRange(context, range, buffer);
    const targets = range.files.map((file) => targetOf(file, context.index, range.start));
    const { bytes: back, failure } = await context.pool.restoreSmall(
      bytes.buffer === buffer.buffer ? buffer : bytes,
      bytes.length,
      targets,
    );
    buffers.give(back);
    const written = range.files.slice(0, failure?.index ?? range.files.length);
    context.onBytes?.(written.reduce((sum, file) => sum + file.artifact.size, 0));
    if (failure === undefined) return;
    const label = range.files[failure.index]?.label ?? '';
    if (failure.damaged) throw RepoErrors.create('REPO_DAMAGED', `${label}: ${failure.error}.`);
    throw Object.assign(new Error(failure.error), { code: failure.code }); // as fs reports it
  });
}

async function readRange(
  context: SmallRestoreContext,
  range: Range,
  into: Buffer,
): Promise<Buffer> {
  if (range.pack === undefined) return into.subarray(0, 0);
  const object = packObjectName(range.pack);
  return context.readers
    .read(object, range.start, range.end - range.start, into)
    .catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'STORAGE_NOT_FOUND') throw error;
      throw RepoErrors.create('REPO_DATA_MISSING', `Pack ${object} is missing.`, {
        details: { object },
      });
    });
}

/** What a worker needs to restore `file` from a range starting at `start` of its pack. */
function targetOf(file: SmallFile, index: LoadedIndex, start: number): SmallFileTarget {
  const { artifact, path } = file;
  const chunk = artifact.chunks[0];
  const location = chunk === undefined ? undefined : index.blobs.get(chunk[0]);
  const blob =
    chunk === undefined || location === undefined
      ? undefined
      : {
          id: chunk[0],
          offset: location.offset - start,
          length: location.length,
          compression: location.compression,
          rawLength: chunk[1],
        };
  return { path, sha256: artifact.sha256, modified: artifact.modified, blob };
}
