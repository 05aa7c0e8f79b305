/**
 * What each verification of a backup found: when, structure only or every byte, passed or not,
 * which components were damaged, and the job that ran it. The repository keeps no such record,
 * so a catalog rebuilt from it starts with none (it never guesses a result); a backup removed
 * from the catalog takes its results with it (ON DELETE CASCADE).
 */
import type Database from 'better-sqlite3';
import {
  verificationInput,
  verificationSchema,
  type Verification,
  type VerificationInput,
} from './schemas.js';
import {
  encodeJson,
  notFound,
  parseInput,
  parseRow,
  parseStoredJson,
  storedBoolean,
} from './validate.js';

interface VerificationRow {
  seq: number;
  backup_id: string;
  job_id: string;
  verified: string;
  ok: number;
  read_data: number;
  damaged_components: string;
}

export class VerificationStore {
  constructor(private readonly db: Database.Database) {}

  /** Records one result; the backup and the job must be listed first. */
  record(input: VerificationInput): Verification {
    const result = parseInput(verificationInput, input, 'verification');
    // Named refusals rather than SQLite's anonymous foreign-key failure.
    if (this.db.prepare('SELECT 1 FROM backups WHERE id = ?').get(result.backupId) === undefined)
      throw notFound('backup', result.backupId);
    if (this.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(result.jobId) === undefined)
      throw notFound('job', result.jobId);
    const seq = Number(
      this.db
        .prepare(
          `INSERT INTO backup_verifications
             (backup_id, job_id, verified, ok, read_data, damaged_components)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          result.backupId,
          result.jobId,
          result.verified,
          result.ok ? 1 : 0,
          result.readData ? 1 : 0,
          encodeJson(result.damagedComponents, 'damaged components'),
        ).lastInsertRowid,
    );
    return { seq, ...result };
  }

  /** The most recent result for a backup (by verification time), or null if it never ran. */
  latest(backupId: string): Verification | null {
    const row = this.db
      .prepare(
        `SELECT * FROM backup_verifications WHERE backup_id = ?
         ORDER BY verified DESC, seq DESC LIMIT 1`,
      )
      .get(backupId) as VerificationRow | undefined;
    return row === undefined ? null : fromRow(row);
  }
}

function fromRow(row: VerificationRow): Verification {
  const key = String(row.seq);
  return parseRow(
    verificationSchema,
    {
      seq: row.seq,
      backupId: row.backup_id,
      jobId: row.job_id,
      verified: row.verified,
      ok: storedBoolean(row.ok),
      readData: storedBoolean(row.read_data),
      damagedComponents: parseStoredJson(row.damaged_components, 'backup_verifications', key),
    },
    'backup_verifications',
    key,
  );
}
