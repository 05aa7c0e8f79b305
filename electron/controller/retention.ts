/**
 * Retention: which backups a retention of N days removes. Pure, so the controller can show the
 * list before anything is deleted (lowering retention on Azure Stack Hub deleted backups at
 * once, a known operator surprise; here a change that would delete asks first).
 */
import { HOUR_MS } from './scheduler.js';

export const DAY_MS = 24 * HOUR_MS;

export type BackupStatus =
  'Queued' | 'Running' | 'Succeeded' | 'PartialSucceeded' | 'Failed' | 'Skipped' | 'Deleted';

export interface RetentionCandidate {
  readonly id: string;
  /** Creation time, ms since the epoch. */
  readonly createdMs: number;
  readonly status: BackupStatus;
}

export interface RetentionDeletion {
  readonly id: string;
  readonly createdMs: number;
  readonly status: BackupStatus;
  readonly ageDays: number;
}

export interface RetentionPlan {
  readonly keep: readonly string[];
  readonly delete: readonly RetentionDeletion[];
  /** The newest good backup (Succeeded, else PartialSucceeded), kept whatever its age. */
  readonly protectedId: string | null;
}

/** Statuses that name a backup present in the repository (others never reached it). */
const STORED: ReadonlySet<BackupStatus> = new Set(['Succeeded', 'PartialSucceeded']);

/**
 * Plans retention: a stored backup older than `retentionDays` goes, except the newest good one
 * (the newest Succeeded, or when none succeeded the newest PartialSucceeded), which is never
 * deleted: it may be the only way back. The repository's forget follows the same rule.
 */
export function planRetention(
  backups: readonly RetentionCandidate[],
  retentionDays: number,
  nowMs: number,
): RetentionPlan {
  const stored = backups.filter((b) => STORED.has(b.status));
  const newestGood = newestWith(stored, 'Succeeded') ?? newestWith(stored, 'PartialSucceeded');
  const cutoff = nowMs - retentionDays * DAY_MS;
  const keep: string[] = [];
  const deletions: RetentionDeletion[] = [];
  for (const backup of [...stored].sort((a, b) => a.createdMs - b.createdMs)) {
    if (backup.createdMs < cutoff && backup.id !== newestGood?.id) {
      deletions.push({ ...backup, ageDays: (nowMs - backup.createdMs) / DAY_MS });
    } else keep.push(backup.id);
  }
  return { keep, delete: deletions, protectedId: newestGood?.id ?? null };
}

function newestWith(
  backups: readonly RetentionCandidate[],
  status: BackupStatus,
): RetentionCandidate | undefined {
  let newest: RetentionCandidate | undefined;
  for (const backup of backups) {
    if (backup.status !== status) continue;
    if (newest === undefined || backup.createdMs > newest.createdMs) newest = backup;
  }
  return newest;
}
