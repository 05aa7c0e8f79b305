/**
 * Artifact lists (docs/repository-format.md section 6): a component's artifact records, one JSON
 * line each in name order, cut and stored as chunks exactly like an artifact's data. A component
 * that did not change yields the same bytes, so the same chunks: a backup that changed nothing
 * stores no list again, only its small manifest, however many files it names.
 *
 * Pure but for the blob reads a caller hands in; it knows nothing of packs or indexes.
 */
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import {
  everyOf,
  isArtifactRecord,
  isChunkRef,
  isCount,
  isHex64,
  type ChunkRef,
} from './records.js';
import { openBlob, type EpochKeys } from './crypto.js';
import { RepoErrors } from './errors.js';
import type { StoredBlob } from './pool.js';
import type { ArtifactRecord, ListEntry, ListLine } from './types.js';

/** Where a component's list is stored: its plaintext length, SHA-256 and chunks, and its length in records. */
export interface ListRef {
  readonly count: number;
  readonly size: number;
  readonly sha256: string;
  readonly chunks: readonly ChunkRef[];
}

export function isListRef(value: unknown): value is ListRef {
  if (typeof value !== 'object' || value === null) return false;
  const { count, size, sha256, chunks } = value as Partial<Record<keyof ListRef, unknown>>;
  return isCount(count) && isCount(size) && isHex64(sha256) && everyOf(chunks, isChunkRef);
}

/**
 * A list's identity: the same content in the same chunks is the same list, whichever backup's
 * manifest names it (an unchanged component's list is), so it need be read only once.
 */
export function listIdentity(list: ListRef): string {
  return `${list.sha256}:${list.chunks.map(([id]) => id).join(',')}`;
}

/** Lines are gathered into pieces of about this size before they are chunked. */
const PIECE_BYTES = 1024 * 1024;

const byName = (a: ArtifactRecord, b: ArtifactRecord): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** The records in name order (the order lists are stored in, so equal lists are equal bytes). */
export function sortedByName(artifacts: readonly ArtifactRecord[]): ArtifactRecord[] {
  return [...artifacts].sort(byName);
}

/** One record as its line: always these fields in this order, `modified` only when known. */
export function lineOf(artifact: ArtifactRecord): string {
  const record = {
    name: artifact.name,
    size: artifact.size,
    sha256: artifact.sha256,
    chunks: artifact.chunks,
    ...(artifact.modified !== undefined ? { modified: artifact.modified } : {}),
  };
  return `${JSON.stringify(record)}\n`;
}

/**
 * The list's text (section 6) for records already in name order, in pieces of about PIECE_BYTES:
 * a crypto worker cuts and stores it like any artifact's bytes.
 */
export function* listPieces(sorted: readonly ArtifactRecord[]): Generator<string> {
  let piece = '';
  for (const artifact of sorted) {
    piece += lineOf(artifact);
    if (piece.length >= PIECE_BYTES) {
      yield piece;
      piece = '';
    }
  }
  if (piece.length > 0) yield piece;
}

function damaged(object: string, why: string) {
  return RepoErrors.create('REPO_DAMAGED', `${object}: ${why}.`, { details: { object } });
}

/**
 * Reads a list back, the lines of one chunk at a time, each with its record's name: every chunk
 * opened and checked against its id as it arrives, every line beginning with a name, names
 * strictly ascending (so unique); at the end, the whole against the recorded size, SHA-256 and
 * count. A list of any length is read in the memory of a chunk. The records themselves are not
 * parsed here (`readListEntries` does), so that a caller that needs only some of them pays for
 * those. `where` names the list in errors (`manifests/<id>, component <name>`).
 */
export async function* readListLines(
  ref: ListRef,
  blobs: AsyncIterable<StoredBlob>,
  keys: Pick<EpochKeys, 'data' | 'chunkId'>,
  where: string,
): AsyncGenerator<ListLine[]> {
  const sha = createHash('sha256');
  const text = new StringDecoder('utf8');
  let size = 0;
  let count = 0;
  let last: string | undefined;
  let rest = '';
  for await (const fetched of blobs) {
    const opened = openBlob(
      keys,
      fetched.blob,
      Buffer.from(fetched.id, 'hex'),
      fetched.compression,
      fetched.rawLength,
    );
    if (!opened.ok) throw damaged(fetched.object, `a list chunk was refused (${opened.error})`);
    sha.update(opened.plain);
    size += opened.plain.length;
    const chunkText = rest + text.write(opened.plain);
    const lines: ListLine[] = [];
    // Each line is cut with its newline, as it is stored (no array of pieces, no second string).
    let start = 0;
    for (let end = chunkText.indexOf('\n'); end !== -1; end = chunkText.indexOf('\n', start)) {
      const line = chunkText.slice(start, end + 1);
      const name = nameOfLine(line);
      if (name === undefined || (last !== undefined && !(last < name))) {
        throw damaged(where, `artifact record ${count + 1} is invalid or out of order`);
      }
      last = name;
      lines.push({ name, line, index: count });
      count++;
      start = end + 1;
    }
    rest = chunkText.slice(start);
    if (lines.length > 0) yield lines;
  }
  if (rest + text.end() !== '') throw damaged(where, 'the artifact list ends inside a record');
  if (size !== ref.size || sha.digest('hex') !== ref.sha256) {
    throw damaged(where, 'the artifact list does not match its recorded size and SHA-256');
  }
  if (count !== ref.count) {
    throw damaged(where, `the artifact list holds ${count} records, not ${ref.count}`);
  }
}

/**
 * List lines (`readListLines`) as records, every line parsed and checked as a record of the name
 * it began with, the records of one chunk at a time.
 */
export async function* entriesOfLines(
  chunks: AsyncIterable<ListLine[]>,
  where: string,
): AsyncGenerator<ListEntry[]> {
  let count = 0;
  for await (const lines of chunks) {
    const entries: ListEntry[] = [];
    for (const { name, line } of lines) {
      count++;
      const record = recordOfLine(line);
      if (record?.name !== name) throw damaged(where, `artifact record ${count} is invalid`);
      entries.push({ record, line });
    }
    yield entries;
  }
}

/**
 * The name a line's record begins with (every line starts `{"name":"…"`, section 6), read
 * without parsing the rest; undefined if the line does not begin so.
 */
export function nameOfLine(line: string): string | undefined {
  const start = '{"name":"';
  if (!line.startsWith(start)) return undefined;
  let escaped = false;
  for (let i = start.length; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) {
      escaped = true;
      i++; // the escaped character is not a closing quote
    } else if (c === QUOTE) {
      if (!escaped) return line.slice(start.length, i);
      try {
        const name: unknown = JSON.parse(line.slice(start.length - 1, i + 1));
        return typeof name === 'string' ? name : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/**
 * The size of a file that can be reused unread from its line in the last backup's list, else
 * undefined: the line is a valid record of the same size and modification time, whose chunks add
 * up to that size and are all `stored` (by id).
 */
export function reusableSize(
  line: string,
  size: number,
  modified: number,
  stored: (id: string) => boolean,
): number | undefined {
  const record = recordOfLine(line);
  if (record === undefined || record.size !== size || record.modified !== modified)
    return undefined;
  let total = 0;
  for (const [id, length] of record.chunks) {
    if (!stored(id)) return undefined;
    total += length;
  }
  return total === size ? size : undefined;
}

/** A line's record, parsed and checked; undefined if it is not a valid record. */
export function recordOfLine(line: string): ArtifactRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return isArtifactRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
