/**
 * A workstation's summary of an artifact list a folder backup wrote: each line's name, size and
 * modification time, in the list's order, and the index files that held every chunk its lines
 * name. The next backup of the folder compares its files with the summary, and reads the list
 * itself only if it has to write a new one (`list-stream.ts`): an unchanged folder of 62,000
 * files is decided without decrypting, decoding and parsing 12 MB of lines.
 *
 * What a summary vouches for, and why that is enough to reuse a file unread: every line it
 * names is a valid record whose chunks add up to its size (a line that is not says NaN as its
 * time, so no file matches it), and every chunk was in one of its index files. While those
 * index files are all still in the repository (no prune replaced them), the chunks are indexed:
 * the same test a line read from the list passes (`reusableSize`).
 *
 * Layout (integers unsigned; lengths and counts big-endian, numbers little-endian doubles):
 *
 *     magic "LBLS" | version 1 (1 byte) | epoch (4)
 *     per line: name length in bytes (2) | name (UTF-8) | size (8) | modified (8)
 *     index ids (32 bytes each) | line count (4) | index count (4)
 *     HMAC-SHA256(local-cache key, "lifeboat list summary 1" ‖ 0 ‖ list identity ‖ 0 ‖ all above)
 *
 * The MAC binds the summary to its list's identity (content SHA-256 and chunks), so it cannot
 * be taken for another list's. Pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EpochKeys } from './crypto.js';

const MAGIC = 'LBLS';
const VERSION = 1;
const HEAD_BYTES = 9;
const ID_BYTES = 32;
const MAC_BYTES = 32;
const COUNTS_BYTES = 8;
const NUMBERS_BYTES = 16;
const MAX_NAME_BYTES = 0xffff;
const INDEX_NAME = /^index\/([0-9a-f]{64})$/;

export interface ListSummary {
  readonly epoch: number;
  /** Index objects (`index/<id>`) that held every chunk the lines name. */
  readonly indexFiles: readonly string[];
  readonly names: readonly string[];
  readonly sizes: Float64Array;
  /** NaN for a line that must not be reused. */
  readonly modified: Float64Array;
}

/** Gathers a list's lines as they are written, and seals their summary once the list is stored. */
export class ListSummaryBuilder {
  private bytes = Buffer.allocUnsafe(64 * 1024);
  private length = HEAD_BYTES;
  private count = 0;

  get lines(): number {
    return this.count;
  }

  /** The next line: `modified` NaN if it must never be reused (not a record to trust). */
  add(name: string, size: number, modified: number): void {
    const nameBytes = Buffer.byteLength(name, 'utf8');
    if (nameBytes > MAX_NAME_BYTES)
      throw new RangeError('an artifact name is at most 1024 characters');
    this.reserve(2 + nameBytes + NUMBERS_BYTES);
    this.bytes.writeUInt16BE(nameBytes, this.length);
    this.length += 2;
    this.length += this.bytes.write(name, this.length, 'utf8');
    this.bytes.writeDoubleLE(size, this.length);
    this.bytes.writeDoubleLE(modified, this.length + 8);
    this.length += NUMBERS_BYTES;
    this.count++;
  }

  /** The summary of the list `identity`, whose chunks `indexFiles` hold, for `keys`' epoch. */
  seal(keys: EpochKeys, identity: string, indexFiles: readonly string[]): Buffer {
    const ids = indexFiles.map((name) => INDEX_NAME.exec(name)?.[1]);
    this.reserve(ids.length * ID_BYTES + COUNTS_BYTES + MAC_BYTES);
    const out = this.bytes;
    out.write(MAGIC, 0, 'latin1');
    out[4] = VERSION;
    out.writeUInt32BE(keys.epoch, 5);
    let at = this.length;
    for (const id of ids) {
      if (id === undefined) throw new RangeError('not an index object name');
      at += out.write(id, at, 'hex');
    }
    out.writeUInt32BE(this.count, at);
    out.writeUInt32BE(ids.length, at + 4);
    at += COUNTS_BYTES;
    mac(keys, identity, out.subarray(0, at)).copy(out, at);
    return Buffer.from(out.subarray(0, at + MAC_BYTES));
  }

  private reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + more) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

/**
 * The summary in `bytes` of the list `identity`, if it is whole, authentic under a key held, and
 * its names strictly ascending; else undefined (the list is read instead).
 */
export function openListSummary(
  bytes: Buffer,
  identity: string,
  keys: ReadonlyMap<number, EpochKeys>,
): ListSummary | undefined {
  if (bytes.length < HEAD_BYTES + COUNTS_BYTES + MAC_BYTES) return undefined;
  if (bytes.toString('latin1', 0, 4) !== MAGIC || bytes[4] !== VERSION) return undefined;
  const epochKeys = keys.get(bytes.readUInt32BE(5));
  if (epochKeys === undefined) return undefined;
  const macAt = bytes.length - MAC_BYTES;
  if (!timingSafeEqual(mac(epochKeys, identity, bytes.subarray(0, macAt)), bytes.subarray(macAt))) {
    return undefined;
  }
  const count = bytes.readUInt32BE(macAt - COUNTS_BYTES);
  const indexCount = bytes.readUInt32BE(macAt - 4);
  const idsAt = macAt - COUNTS_BYTES - indexCount * ID_BYTES;
  if (idsAt < HEAD_BYTES) return undefined;
  const indexFiles: string[] = [];
  for (let at = idsAt; at < idsAt + indexCount * ID_BYTES; at += ID_BYTES) {
    indexFiles.push(`index/${bytes.toString('hex', at, at + ID_BYTES)}`);
  }
  const lines = readLines(bytes, HEAD_BYTES, idsAt, count);
  return lines === undefined ? undefined : { epoch: epochKeys.epoch, indexFiles, ...lines };
}

/** The lines between `from` and `to`: exactly `count`, names strictly ascending; else undefined. */
function readLines(bytes: Buffer, from: number, to: number, count: number) {
  if (count > (to - from) / (2 + NUMBERS_BYTES)) return undefined;
  const names: string[] = [];
  const sizes = new Float64Array(count);
  const modified = new Float64Array(count);
  let at = from;
  for (let line = 0; line < count; line++) {
    if (at + 2 > to) return undefined;
    const end = at + 2 + bytes.readUInt16BE(at);
    if (end + NUMBERS_BYTES > to) return undefined;
    const name = bytes.toString('utf8', at + 2, end);
    const previous = names[line - 1];
    if (previous !== undefined && !(previous < name)) return undefined;
    names.push(name);
    sizes[line] = bytes.readDoubleLE(end);
    modified[line] = bytes.readDoubleLE(end + 8);
    at = end + NUMBERS_BYTES;
  }
  return at === to ? { names, sizes, modified } : undefined;
}

function mac(keys: EpochKeys, identity: string, bytes: Buffer): Buffer {
  return createHmac('sha256', keys.cache)
    .update(`lifeboat list summary ${VERSION}\0${identity}\0`)
    .update(bytes)
    .digest();
}
