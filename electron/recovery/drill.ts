/**
 * The recovery drill: the same recovery, from the real external storage, into a lab rack
 * (`lab-rack redeploy --recovery`) on the engineer's own machine, to prove a backup restorable
 * without touching production. A proven drill marks the backup "proven" with the date in the
 * catalog.
 */
import type { RecoveryReport } from './report.js';
import { runRecovery, type RunOptions } from './recover.js';

export interface DrillResult {
  readonly report: RecoveryReport;
  /** Whether the catalog of this profile lists the backup and now records it proven. */
  readonly markedProven: boolean;
}

export async function drillRecovery(
  options: Omit<RunOptions, 'kind' | 'components'>,
): Promise<RecoveryReport> {
  return (await drill(options)).report;
}

export async function drill(
  options: Omit<RunOptions, 'kind' | 'components'>,
): Promise<DrillResult> {
  const report = await runRecovery({ ...options, kind: 'drill' });
  if (report.result !== 'proven') return { report, markedProven: false };
  // A backup this profile never listed (a laptop that only ran the drill) has no row to mark;
  // the report itself is the proof there.
  const listed = options.catalog.backups.get(report.backup.id);
  if (listed === null) return { report, markedProven: false };
  options.catalog.backups.markProven(report.backup.id, report.finishedAt);
  return { report, markedProven: true };
}
