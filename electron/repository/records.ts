/**
 * Validators for the records the repository holds by the tens of thousands: blob entries of
 * packs and indexes, chunk references and artifact records (docs/repository-format.md sections 5
 * and 6). Plain type guards, with no copy of what they check, because they run once per blob and
 * per file on every backup (a 62,000-file folder spent 0.9 s of a 3 s re-backup in zod schemas);
 * the shapes of the small metadata objects (`shapes.ts`) use them through `guarded`, so each
 * shape is defined once. Pure.
 */
import type { ArtifactRecord } from './types.js';

/** `[chunkId, offset, length, rawLength, compression]` */
export type BlobEntry = [string, number, number, number, 0 | 1];

/** A pack as an index lists it. */
export interface PackRecord {
  readonly id: string;
  readonly size: number;
  readonly blobs: BlobEntry[];
}

/** `[chunkId, plaintextLength]` */
export type ChunkRef = readonly [string, number];

const HEX64 = /^[0-9a-f]{64}$/;

export function isHex64(value: unknown): value is string {
  return typeof value === 'string' && value.length === 64 && HEX64.test(value);
}

export function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export function isBlobEntry(value: unknown): value is BlobEntry {
  return (
    Array.isArray(value) &&
    value.length === 5 &&
    isHex64(value[0]) &&
    isCount(value[1]) &&
    isCount(value[2]) &&
    isCount(value[3]) &&
    (value[4] === 0 || value[4] === 1)
  );
}

export function isPackRecord(value: unknown): value is PackRecord {
  if (typeof value !== 'object' || value === null) return false;
  const { id, size, blobs } = value as Partial<Record<keyof PackRecord, unknown>>;
  return isHex64(id) && isCount(size) && everyOf(blobs, isBlobEntry);
}

export function isChunkRef(value: unknown): value is ChunkRef {
  return Array.isArray(value) && value.length === 2 && isHex64(value[0]) && isCount(value[1]);
}

export function isArtifactRecord(value: unknown): value is ArtifactRecord {
  if (typeof value !== 'object' || value === null) return false;
  const { name, size, sha256, chunks, modified } = value as Partial<
    Record<keyof ArtifactRecord, unknown>
  >;
  return (
    typeof name === 'string' &&
    name.length >= 1 &&
    name.length <= 1024 &&
    isCount(size) &&
    isHex64(sha256) &&
    everyOf(chunks, isChunkRef) &&
    (modified === undefined || (typeof modified === 'number' && Number.isFinite(modified)))
  );
}

/** Whether `value` is an array whose every item passes `check`. */
export function everyOf<T>(value: unknown, check: (item: unknown) => item is T): value is T[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!check(item)) return false;
  return true;
}
