/**
 * The append-only, hash-chained audit log of configuration, key, retention and deletion
 * actions. Each entry's hash covers its fields and the previous entry's hash, so editing,
 * removing or reordering any entry breaks every link after it; SQLite triggers refuse UPDATE
 * and DELETE outright. (Removing entries from the end is not detectable from the chain alone.)
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { GENESIS_HASH, auditHash } from './canonical.js';
import { auditInput, iso, type AuditEntry, type AuditInput } from './schemas.js';
import { encodeJson, parseInput, parseRow, parseStoredJson } from './validate.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const auditRow = z.strictObject({
  seq: z.number().int().min(1),
  time: iso,
  actor: z.string(),
  action: z.string(),
  details: z.string(),
  prev_hash: hex64,
  hash: hex64,
});
type AuditRow = z.infer<typeof auditRow>;

export type AuditVerification =
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; firstBrokenSeq: number; reason: string };

export class AuditLog {
  constructor(private readonly db: Database.Database) {}

  /** Appends one entry; `details` must be plain JSON and must never hold a secret. */
  append(input: AuditInput): AuditEntry {
    const entry = parseInput(auditInput, input, 'audit entry');
    const details = encodeJson(entry.details ?? {}, 'audit details');
    return this.db
      .transaction(() => {
        const last = this.db
          .prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
          .get() as { seq: number; hash: string } | undefined;
        const link = {
          seq: (last?.seq ?? 0) + 1,
          time: new Date().toISOString(),
          actor: entry.actor,
          action: entry.action,
          details,
          prevHash: last?.hash ?? GENESIS_HASH,
        };
        const hash = auditHash(link);
        this.db
          .prepare(
            'INSERT INTO audit_log (seq, time, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(link.seq, link.time, link.actor, link.action, link.details, link.prevHash, hash);
        return { ...link, details: entry.details ?? {}, hash };
      })
      .immediate();
  }

  /** Entries in order, after `afterSeq`, at most `limit`. */
  list(options: { afterSeq?: number; limit?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(options.afterSeq ?? 0, options.limit ?? 1000) as unknown[];
    return rows.map((raw) => {
      const row = parseRow(auditRow, raw, 'audit_log', String((raw as { seq?: unknown }).seq));
      return toEntry(row);
    });
  }

  /** Walks the whole chain and reports the first entry whose link does not hold. */
  verify(): AuditVerification {
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    for (const raw of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate()) {
      const broken = (reason: string): AuditVerification => ({
        ok: false,
        entries: expectedSeq - 1,
        firstBrokenSeq: expectedSeq,
        reason,
      });
      const parsed = auditRow.safeParse(raw);
      if (!parsed.success) return broken(`entry ${expectedSeq} has invalid fields`);
      const row = parsed.data;
      if (row.seq !== expectedSeq)
        return broken(`entry ${expectedSeq} is missing (next is ${row.seq})`);
      if (row.prev_hash !== prevHash)
        return broken(`entry ${row.seq} does not link to the entry before it`);
      const hash = auditHash({ ...row, prevHash: row.prev_hash });
      if (hash !== row.hash) return broken(`entry ${row.seq} was changed after it was written`);
      prevHash = row.hash;
      expectedSeq++;
    }
    return { ok: true, entries: expectedSeq - 1, headHash: prevHash };
  }
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action,
    details: parseStoredJson(row.details, 'audit_log', String(row.seq)),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
