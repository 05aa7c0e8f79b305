/**
 * Deterministic randomness: every generated value is a pure function of (seed, label, index),
 * so a rack made from the same seed holds byte-identical data and any record can be regenerated
 * alone (mutations rewrite single records without replaying a stream).
 */
import { createCipheriv, createHash } from 'node:crypto';

const labelHashes = new Map<string, number>();

function labelHash(label: string): number {
  let hash = labelHashes.get(label);
  if (hash === undefined) {
    hash = createHash('sha256').update(label).digest().readUInt32BE(0);
    labelHashes.set(label, hash);
  }
  return hash;
}

/** A 32-bit avalanche mix (the murmur3 finaliser) of the inputs. */
function mix(a: number, b: number, c: number, d: number): number {
  let h =
    (a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ Math.imul(d, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Seeded {
  constructor(readonly seed: number) {}

  /** A uint32 for (label, index, salt). */
  u32(label: string, index: number, salt = 0): number {
    return mix(this.seed, labelHash(label), index, salt);
  }

  /** A number in [0, 1). */
  unit(label: string, index: number, salt = 0): number {
    return this.u32(label, index, salt) / 0x1_0000_0000;
  }

  /** An integer in [min, max]. */
  int(label: string, index: number, min: number, max: number, salt = 0): number {
    return min + (this.u32(label, index, salt) % (max - min + 1));
  }

  pick<T>(items: readonly T[], label: string, index: number, salt = 0): T {
    return items[this.u32(label, index, salt) % items.length] as T;
  }

  /** An RFC 4122 version-4-shaped GUID. */
  uuid(label: string, index: number, salt = 0): string {
    const words = [0, 1, 2, 3].map((k) =>
      this.u32(label, index, salt * 4 + k + 1)
        .toString(16)
        .padStart(8, '0'),
    );
    const hex = words.join('');
    const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  hex(label: string, index: number, length: number, salt = 0): string {
    let out = '';
    for (let k = 0; out.length < length; k++)
      out += this.u32(label, index, salt * 64 + k)
        .toString(16)
        .padStart(8, '0');
    return out.slice(0, length);
  }

  /** Incompressible bytes (AES-256-CTR keystream keyed by the seed), fast for bulk data. */
  bytes(label: string, index: number, length: number, salt = 0): Buffer {
    const key = createHash('sha256').update(`lab-rack:${this.seed}`).digest();
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(labelHash(label), 0);
    iv.writeUInt32BE(index >>> 0, 4);
    iv.writeUInt32BE(salt >>> 0, 8);
    return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(length));
  }

  /** A date between 2024-01-01 and 2026-06-30, as an ISO string. */
  date(label: string, index: number, salt = 0): string {
    const start = Date.UTC(2024, 0, 1);
    const span = Date.UTC(2026, 5, 30) - start;
    return new Date(start + Math.floor(this.unit(label, index, salt) * span)).toISOString();
  }
}
