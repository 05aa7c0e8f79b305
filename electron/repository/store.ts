/**
 * Packs and indexes (docs/repository-format.md sections 5 and 6): writing them atomically with
 * read-back, and loading the indexes into one lookup table.
 */
import { z } from 'zod';
import type { Storage } from '../storage/index.js';
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

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().min(0);
/** `[chunkId, offset, length, rawLength, compression]` */
const BlobEntrySchema = z.tuple([
  hex64,
  count,
  count,
  count,
  z.union([z.literal(0), z.literal(1)]),
]);
export type BlobEntry = z.infer<typeof BlobEntrySchema>;
const PackHeaderSchema = z.array(BlobEntrySchema);
const PackRecordSchema = z.object({ id: hex64, size: count, blobs: z.array(BlobEntrySchema) });
export type PackRecord = z.infer<typeof PackRecordSchema>;
const IndexBodySchema = z.object({ packs: z.array(PackRecordSchema) });

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
  const parsed = PackHeaderSchema.safeParse(openEnvelope(bytes, head, epochKeys.metadata, name));
  if (!parsed.success) throw damaged(name, 'unreadable header');
  for (const [, offset, length] of parsed.data) {
    if (offset + length > headerOffset) throw damaged(name, 'a blob lies outside the pack');
  }
  return parsed.data;
}

/** Writes one index naming `packs` and reads it back. Returns its object name and size. */
export async function writeIndex(
  storage: Storage,
  keys: EpochKeys,
  packs: readonly PackRecord[],
): Promise<{ name: string; size: number }> {
  const bytes = sealEnvelope(ENVELOPE_INDEX, { epoch: keys.epoch }, keys.metadata, { packs });
  const name = `index/${sha256Hex(bytes)}`;
  await storage.put(name, bytes);
  const back = await storage.get(name);
  if (!back.equals(bytes)) throw damaged(name, 'read back differently');
  return { name, size: bytes.length };
}

export interface IndexFile {
  readonly name: string;
  readonly epoch: number;
  readonly size: number;
  /** Undefined when its epoch's key is not held. */
  readonly packs: readonly PackRecord[] | undefined;
}

export interface LoadedIndex {
  readonly blobs: Map<string, BlobLocation>;
  readonly packs: Map<string, { size: number; epoch: number; indexes: string[] }>;
  readonly files: readonly IndexFile[];
  /** Index objects that could not be read at all: `[name, reason]`. */
  readonly damaged: readonly (readonly [string, string])[];
}

/** Loads every index. Indexes of epochs whose key is not held are listed but not decrypted. */
export async function loadIndexes(
  storage: Storage,
  keys: ReadonlyMap<number, EpochKeys>,
): Promise<LoadedIndex> {
  const blobs = new Map<string, BlobLocation>();
  const packs = new Map<string, { size: number; epoch: number; indexes: string[] }>();
  const files: IndexFile[] = [];
  const broken: [string, string][] = [];
  for (const object of await storage.list('index/')) {
    try {
      const bytes = await storage.get(object.name);
      if (sha256Hex(bytes) !== packIdOf(object.name))
        throw damaged(object.name, 'content does not match its name');
      const head = readEnvelopeHead(bytes, object.name);
      const epochKeys = keys.get(head.label.epoch);
      if (epochKeys === undefined) {
        files.push({
          name: object.name,
          epoch: head.label.epoch,
          size: object.size,
          packs: undefined,
        });
        continue;
      }
      const parsed = IndexBodySchema.safeParse(
        openEnvelope(bytes, head, epochKeys.metadata, object.name),
      );
      if (!parsed.success) throw damaged(object.name, 'unreadable index');
      files.push({
        name: object.name,
        epoch: head.label.epoch,
        size: object.size,
        packs: parsed.data.packs,
      });
      for (const pack of parsed.data.packs) {
        const known = packs.get(pack.id);
        if (known) known.indexes.push(object.name);
        else
          packs.set(pack.id, { size: pack.size, epoch: head.label.epoch, indexes: [object.name] });
        for (const [id, offset, length, rawLength, compression] of pack.blobs) {
          blobs.set(id, {
            pack: pack.id,
            offset,
            length,
            rawLength,
            compression,
            epoch: head.label.epoch,
          });
        }
      }
    } catch (error) {
      if (!RepoErrors.is(error, 'REPO_DAMAGED')) throw error;
      broken.push([object.name, error.message]);
    }
  }
  return { blobs, packs, files, damaged: broken };
}
