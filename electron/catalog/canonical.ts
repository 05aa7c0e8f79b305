/**
 * Canonical JSON (object keys sorted, no whitespace) and the audit chain's hash, free of I/O.
 * The same value always encodes to the same bytes, so a hash over it can be recomputed later.
 */
import { createHash } from 'node:crypto';

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Encodes plain JSON data canonically; anything else (Buffers, functions, NaN …) is refused. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('a number that is not finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`a value of type ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return value.constructor?.name ?? 'object';
}

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditLink {
  seq: number;
  time: string;
  actor: string;
  action: string;
  /** The stored canonical JSON text of the details, hashed byte for byte. */
  details: string;
  prevHash: string;
}

/** SHA-256 over the canonical encoding of one entry, which includes the previous entry's hash. */
export function auditHash(link: AuditLink): string {
  const encoded = canonicalJson([
    link.seq,
    link.time,
    link.actor,
    link.action,
    link.details,
    link.prevHash,
  ]);
  return createHash('sha256').update(encoded, 'utf8').digest('hex');
}
