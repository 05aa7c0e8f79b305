/**
 * One index file's packs and blobs (format section 6) held as bytes rather than as objects: what
 * a loaded index keeps of each file it read, and what the workstation's index cache stores
 * (`cache.ts`). 60,000 blob entries as JSON arrays are 60,000 arrays and 120,000 strings for
 * the garbage collector, and seeding a backup's chunk table from them meant turning every hex id
 * back into bytes; here the ids already are bytes, read in place.
 *
 * Layout (all integers unsigned, big-endian):
 *
 *     magic "LBIX" | version 1 (1 byte) | epoch (4) | packs P (4) | blobs B (4)
 *     P × [pack id (32) | pack size (4) | its blob count (4)]
 *     B × [chunk id (32) | offset (4) | length (4) | rawLength (4) | compression (1)]
 *
 * blobs in the order of their packs. Sizes and offsets fit 32 bits: a pack is at most 1 GiB
 * (`config.packSize`) plus one chunk. Pure.
 */
import type { BlobEntry, PackRecord } from './records.js';
import type { BlobLocation } from './store.js';

const MAGIC = 'LBIX';
const VERSION = 1;
const HEAD_BYTES = 17;
const ID_BYTES = 32;
const PACK_BYTES = ID_BYTES + 8;
const BLOB_BYTES = ID_BYTES + 13;
const UINT32_LIMIT = 2 ** 32;

/** Where a compact index's blob ids are, for callers that read them in place. */
export interface BlobIds {
  readonly bytes: Buffer;
  /** Offset of the first id; each next one is `stride` bytes on. */
  readonly first: number;
  readonly stride: number;
  readonly count: number;
}

export class CompactIndex {
  private constructor(
    readonly bytes: Buffer,
    readonly epoch: number,
    readonly packCount: number,
    readonly blobCount: number,
  ) {}

  /**
   * The index file's packs as bytes. RangeError if a value does not fit its field (an index no
   * Lifeboat writes; the caller reports the file as damaged).
   */
  static encode(epoch: number, packs: readonly PackRecord[]): CompactIndex {
    const blobCount = packs.reduce((sum, pack) => sum + pack.blobs.length, 0);
    const bytes = Buffer.alloc(HEAD_BYTES + packs.length * PACK_BYTES + blobCount * BLOB_BYTES);
    bytes.write(MAGIC, 0, 'latin1');
    bytes[4] = VERSION;
    bytes.writeUInt32BE(epoch, 5);
    bytes.writeUInt32BE(packs.length, 9);
    bytes.writeUInt32BE(blobCount, 13);
    let at = HEAD_BYTES;
    for (const pack of packs) {
      at = writeId(bytes, pack.id, at);
      bytes.writeUInt32BE(uint32(pack.size), at);
      bytes.writeUInt32BE(pack.blobs.length, at + 4);
      at += 8;
    }
    for (const pack of packs) {
      for (const [id, offset, length, rawLength, compression] of pack.blobs) {
        at = writeId(bytes, id, at);
        bytes.writeUInt32BE(uint32(offset), at);
        bytes.writeUInt32BE(uint32(length), at + 4);
        bytes.writeUInt32BE(uint32(rawLength), at + 8);
        bytes[at + 12] = compression;
        at += 13;
      }
    }
    return new CompactIndex(bytes, epoch, packs.length, blobCount);
  }

  /** Reads the layout back; RangeError if `bytes` are not one, whole and consistent. */
  static decode(bytes: Buffer): CompactIndex {
    if (bytes.length < HEAD_BYTES || bytes.toString('latin1', 0, 4) !== MAGIC) {
      throw new RangeError('not a compact index');
    }
    if (bytes[4] !== VERSION) throw new RangeError(`compact index version ${bytes[4]}`);
    const epoch = bytes.readUInt32BE(5);
    const packCount = bytes.readUInt32BE(9);
    const blobCount = bytes.readUInt32BE(13);
    if (bytes.length !== HEAD_BYTES + packCount * PACK_BYTES + blobCount * BLOB_BYTES) {
      throw new RangeError('compact index length disagrees with its counts');
    }
    const index = new CompactIndex(bytes, epoch, packCount, blobCount);
    let blobs = 0;
    for (let pack = 0; pack < packCount; pack++) blobs += index.packBlobCount(pack);
    if (blobs !== blobCount) throw new RangeError('compact index packs disagree with its blobs');
    for (let blob = 0; blob < blobCount; blob++) {
      const compression = bytes[index.blobAt(blob) + ID_BYTES + 12];
      if (compression !== 0 && compression !== 1) throw new RangeError('bad compression code');
    }
    return index;
  }

  /** Each pack's id and size. */
  packSummaries(): { id: string; size: number }[] {
    const out: { id: string; size: number }[] = [];
    for (let pack = 0; pack < this.packCount; pack++) {
      const at = HEAD_BYTES + pack * PACK_BYTES;
      out.push({
        id: this.bytes.toString('hex', at, at + ID_BYTES),
        size: this.bytes.readUInt32BE(at + ID_BYTES),
      });
    }
    return out;
  }

  /** The packs as the index file lists them. */
  packs(): PackRecord[] {
    const out: PackRecord[] = [];
    let blob = 0;
    for (const [pack, { id, size }] of this.packSummaries().entries()) {
      const blobs: BlobEntry[] = [];
      for (const end = blob + this.packBlobCount(pack); blob < end; blob++) {
        const at = this.blobAt(blob);
        blobs.push([this.bytes.toString('hex', at, at + ID_BYTES), ...this.blobFields(at)]);
      }
      out.push({ id, size, blobs });
    }
    return out;
  }

  /** The blob ids, in place. */
  blobIds(): BlobIds {
    return {
      bytes: this.bytes,
      first: this.blobAt(0),
      stride: BLOB_BYTES,
      count: this.blobCount,
    };
  }

  /**
   * Adds the locations of its blobs (`only` those, if given) to `into`; a blob indexed twice
   * keeps the later entry. Ids are compared by their first four bytes before being turned into
   * hex, so looking up a few ids costs no string per blob.
   */
  addLocations(into: Map<string, BlobLocation>, only?: ReadonlySet<string>): void {
    const prefixes =
      only === undefined ? undefined : new Set([...only].map((id) => parseInt(id.slice(0, 8), 16)));
    let blob = 0;
    for (const [pack, { id: packId }] of this.packSummaries().entries()) {
      for (const end = blob + this.packBlobCount(pack); blob < end; blob++) {
        const at = this.blobAt(blob);
        if (prefixes !== undefined && !prefixes.has(this.bytes.readUInt32BE(at))) continue;
        const id = this.bytes.toString('hex', at, at + ID_BYTES);
        if (only !== undefined && !only.has(id)) continue;
        const [offset, length, rawLength, compression] = this.blobFields(at);
        into.set(id, { pack: packId, offset, length, rawLength, compression, epoch: this.epoch });
      }
    }
  }

  private packBlobCount(pack: number): number {
    return this.bytes.readUInt32BE(HEAD_BYTES + pack * PACK_BYTES + ID_BYTES + 4);
  }

  private blobAt(blob: number): number {
    return HEAD_BYTES + this.packCount * PACK_BYTES + blob * BLOB_BYTES;
  }

  private blobFields(at: number): [number, number, number, 0 | 1] {
    const fields = at + ID_BYTES;
    return [
      this.bytes.readUInt32BE(fields),
      this.bytes.readUInt32BE(fields + 4),
      this.bytes.readUInt32BE(fields + 8),
      this.bytes[fields + 12] as 0 | 1,
    ];
  }
}

function writeId(bytes: Buffer, hex: string, at: number): number {
  if (bytes.write(hex, at, 'hex') !== ID_BYTES) throw new RangeError('an id is not 32 bytes');
  return at + ID_BYTES;
}

function uint32(value: number): number {
  if (value >= UINT32_LIMIT) throw new RangeError(`${value} does not fit 32 bits`);
  return value;
}
