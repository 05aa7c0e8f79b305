/**
 * The recovery drill: the same recovery, from the real external storage, into a lab rack
 * (`lab-rack redeploy --recovery`) on the engineer's own machine, to prove a backup restorable
 * without touching production. A proven drill (also a resumed one) marks the backup "proven"
 * with the date in the catalog (see recover.ts).
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
  const listed = options.catalog.backups.get(report.backup.id);
  return {
    report,
    markedProven: report.result === 'proven' && (listed?.provenByDrill ?? null) !== null,
  };
}
