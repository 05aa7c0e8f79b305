/**
 * Packs and indexes (docs/repository-format.md sections 5 and 6): writing them atomically with
 * read-back, and loading the indexes into one lookup table.
 */
import type { ObjectInfo, Storage } from '../storage/index.js';
import {
  ENVELOPE_INDEX,
  ENVELOPE_PACK_HEADER,
  openEnvelope,
  readEnvelopeHead,
  sealEnvelope,
  sha256Hex,
  type EpochKeys,
} from './crypto.js';
import { RepoErrors } from './errors.js';
import type { FinishedPack } from './worker-protocol.js';
import { CompactIndex } from './compact-index.js';
import type { RepositoryCache } from './cache.js';
import { everyOf, isBlobEntry, isPackRecord, type BlobEntry, type PackRecord } from './records.js';

export interface BlobLocation {
  readonly pack: string;
  readonly offset: number;
  readonly length: number;
  readonly rawLength: number;
  readonly compression: number;
  readonly epoch: number;
}

export const packObjectName = (id: string): string => `data/${id.slice(0, 2)}/${id}`;
export const packIdOf = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

function damaged(object: string, why: string) {
  return RepoErrors.create('REPO_DAMAGED', `${object} is damaged: ${why}.`, {
    details: { object },
  });
}

/**
 * Writes a pack a crypto worker finished (`blobs ‖ header ‖ length`, named by its SHA-256, which
 * the worker computed), then reads back its size and trailer: the header's authentication tag
 * is its last 16 bytes, so a truncated or altered write is caught.
 */
export async function writeFinishedPack(storage: Storage, pack: FinishedPack): Promise<PackRecord> {
  const blobs = Buffer.from(pack.bytes, 0, pack.blobBytes);
  const trailer = Buffer.from(pack.trailer);
  const size = blobs.length + trailer.length;
  const name = packObjectName(pack.id);
  await storage.put(name, [blobs, trailer]);
  const info = await storage.stat(name);
  const back =
    info?.size === size
      ? await storage.get(name, { offset: blobs.length, length: trailer.length })
      : undefined;
  if (back === undefined || !back.equals(trailer))
    throw damaged(name, 'it reads back other than it was written');
  return { id: pack.id, size, blobs: pack.entries };
}

/** The epoch recorded in a pack's trailer; readable without a key. */
export async function readPackTrailer(storage: Storage, name: string, size: number) {
  if (size < 4) throw damaged(name, 'too short');
  const lengthBytes = await storage.get(name, { offset: size - 4, length: 4 });
  const headerLength = lengthBytes.length === 4 ? lengthBytes.readUInt32BE(0) : 0;
  if (headerLength < 9 || headerLength > size - 4)
    throw damaged(name, 'bad header length (truncated?)');
  const bytes = await storage.get(name, { offset: size - 4 - headerLength, length: headerLength });
  return { bytes, head: readEnvelopeHead(bytes, name), headerOffset: size - 4 - headerLength };
}

/** Decrypts a pack's header; REPO_DAMAGED on any inconsistency, REPO_WRONG_KEY if its epoch is not held. */
export async function readPackHeader(
  storage: Storage,
  name: string,
  size: number,
  keys: ReadonlyMap<number, EpochKeys>,
): Promise<BlobEntry[]> {
  const { bytes, head, headerOffset } = await readPackTrailer(storage, name, size);
  const epochKeys = keys.get(head.label.epoch);
  if (head.kind !== ENVELOPE_PACK_HEADER) throw damaged(name, 'trailer is not a pack header');
  if (epochKeys === undefined) {
    throw RepoErrors.create('REPO_WRONG_KEY', `${name} belongs to key epoch ${head.label.epoch}.`);
  }
  const entries = openEnvelope(bytes, head, epochKeys.metadata, name);
  if (!everyOf(entries, isBlobEntry)) throw damaged(name, 'unreadable header');
  for (const [, offset, length] of entries) {
    if (offset + length > headerOffset) throw damaged(name, 'a blob lies outside the pack');
  }
  return entries;
}

/**
 * Writes one index naming `packs` and reads it back, and keeps it in `cache` when given. Returns
 * its object name and size.
 */
export async function writeIndex(
  storage: Storage,
  keys: EpochKeys,
  packs: readonly PackRecord[],
  cache?: RepositoryCache,
): Promise<{ name: string; size: number }> {
  const bytes = sealEnvelope(ENVELOPE_INDEX, { epoch: keys.epoch }, keys.metadata, { packs });
  const name = `index/${sha256Hex(bytes)}`;
  await storage.put(name, bytes);
  const back = await storage.get(name);
  if (!back.equals(bytes)) throw damaged(name, 'read back differently');
  // Cached as written, so that the next backup need not read, decrypt and parse it again.
  await cache?.writeIndex(name, CompactIndex.encode(keys.epoch, packs), keys);
  return { name, size: bytes.length };
}

export interface IndexFile {
  readonly name: string;
  readonly epoch: number;
  readonly size: number;
  /** Its packs and blobs; undefined when its epoch's key is not held. */
  readonly compact: CompactIndex | undefined;
}

export interface LoadedIndex {
  /** Every blob's location by chunk id, built from `files` when first used (`locateBlobs`). */
  readonly blobs: Map<string, BlobLocation>;
  readonly packs: Map<string, { size: number; epoch: number; indexes: string[] }>;
  readonly files: readonly IndexFile[];
  /** Index objects that could not be read at all: `[name, reason]`. */
  readonly damaged: readonly (readonly [string, string])[];
}

/**
 * Loads every index. Indexes of epochs whose key is not held are listed but not decrypted.
 *
 * With `previous` (an earlier load with the same keys), only index files written since are read,
 * and `previous`'s tables are extended in place (they only ever gain blobs, so a reader holding
 * them is not disturbed); when a file was removed or was unreadable, everything is read again.
 * A backup re-reads the index under its lock, and this makes that one listing.
 *
 * With `cache`, an index file this workstation has read before is taken from its cache
 * (`cache.ts`), and one read from the storage is added to it.
 */
export async function loadIndexes(
  storage: Storage,
  keys: ReadonlyMap<number, EpochKeys>,
  previous?: LoadedIndex,
  cache?: RepositoryCache,
): Promise<LoadedIndex> {
  const listed = await storage.list('index/');
  const names = new Set(listed.map((object) => object.name));
  const extend =
    previous !== undefined &&
    previous.damaged.length === 0 &&
    previous.files.every(
      (file) => names.has(file.name) && (file.compact !== undefined || !keys.has(file.epoch)),
    );
  const blobs = extend ? built.get(previous) : undefined;
  const packs = extend
    ? previous.packs
    : new Map<string, { size: number; epoch: number; indexes: string[] }>();
  const files: IndexFile[] = extend ? [...previous.files] : [];
  const known = new Set(files.map((file) => file.name));
  const broken: [string, string][] = [];
  for (const object of listed) {
    if (known.has(object.name)) continue;
    try {
      const file = await readIndexFile(storage, keys, object, cache);
      files.push(file);
      for (const pack of file.compact?.packSummaries() ?? []) {
        const seen = packs.get(pack.id);
        if (seen) seen.indexes.push(object.name);
        else packs.set(pack.id, { size: pack.size, epoch: file.epoch, indexes: [object.name] });
      }
      if (blobs !== undefined) addBlobs(blobs, [file]);
    } catch (error) {
      if (!RepoErrors.is(error, 'REPO_DAMAGED')) throw error;
      broken.push([object.name, error.message]);
    }
  }
  await cache?.retainIndexes(names);
  return lazyIndex({ packs, files, damaged: broken }, blobs);
}

/** The blob tables built so far, by the index they belong to. */
const built = new WeakMap<LoadedIndex, Map<string, BlobLocation>>();
/** Indexes whose blob table is built when first used. */
const lazy = new WeakSet<LoadedIndex>();

/**
 * An index whose blob table is built when first used: a re-backup that changed nothing looks up
 * only its last list's few chunks (`locateBlobs`), and building a table of 60,000 locations it
 * never reads was a tenth of its time.
 */
function lazyIndex(
  fields: Omit<LoadedIndex, 'blobs'>,
  blobs: Map<string, BlobLocation> | undefined,
): LoadedIndex {
  const index: LoadedIndex = {
    ...fields,
    get blobs() {
      let table = built.get(index);
      if (table === undefined) {
        table = addBlobs(new Map(), index.files);
        built.set(index, table);
      }
      return table;
    },
  };
  lazy.add(index);
  if (blobs !== undefined) built.set(index, blobs);
  return index;
}

/**
 * The locations of `ids`: from the index's blob table if it is built, else found in one pass
 * over its files without building it.
 */
export function locateBlobs(
  index: LoadedIndex,
  ids: readonly string[],
): ReadonlyMap<string, BlobLocation> {
  if (!lazy.has(index) || built.has(index)) return index.blobs;
  // Kept for the next call: a last backup's list chunks are looked up once to check they are
  // indexed and again to read them.
  let found = located.get(index);
  if (found === undefined) located.set(index, (found = new Map()));
  const missing = new Set(ids.filter((id) => !found.has(id)));
  return missing.size === 0 ? found : addBlobs(found, index.files, missing);
}

/** Blobs found one by one (`locateBlobs`) in an index whose table is not built. */
const located = new WeakMap<LoadedIndex, Map<string, BlobLocation>>();

/** Adds the blobs the files index (`only` those, if given) to `blobs`; a later file's entry wins. */
function addBlobs(
  blobs: Map<string, BlobLocation>,
  files: readonly IndexFile[],
  only?: ReadonlySet<string>,
): Map<string, BlobLocation> {
  for (const file of files) file.compact?.addLocations(blobs, only);
  return blobs;
}

/**
 * One index file: from `cache` if it holds it, else read, checked and (when its epoch's key is
 * held) decrypted, then added to `cache`.
 */
async function readIndexFile(
  storage: Storage,
  keys: ReadonlyMap<number, EpochKeys>,
  object: ObjectInfo,
  cache: RepositoryCache | undefined,
): Promise<IndexFile> {
  const cached = await cache?.readIndex(object.name, keys);
  if (cached !== undefined) {
    return { name: object.name, epoch: cached.epoch, size: object.size, compact: cached };
  }
  const bytes = await storage.get(object.name);
  if (sha256Hex(bytes) !== packIdOf(object.name))
    throw damaged(object.name, 'content does not match its name');
  const head = readEnvelopeHead(bytes, object.name);
  const epochKeys = keys.get(head.label.epoch);
  const file = { name: object.name, epoch: head.label.epoch, size: object.size };
  if (epochKeys === undefined) return { ...file, compact: undefined };
  const body = openEnvelope(bytes, head, epochKeys.metadata, object.name) as {
    packs?: unknown;
  } | null;
  const indexed = body?.packs;
  if (!everyOf(indexed, isPackRecord)) throw damaged(object.name, 'unreadable index');
  let compact: CompactIndex;
  try {
    compact = CompactIndex.encode(file.epoch, indexed);
  } catch (error) {
    throw damaged(object.name, `unreadable index (${(error as Error).message})`);
  }
  await cache?.writeIndex(object.name, compact, epochKeys);
  return { ...file, compact };
}
