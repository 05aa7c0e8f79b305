/**
 * Finished recovery reports, kept as JSON files in the profile folder
 * (`<home>/recovery/reports/<recoveryId>.json`), so `lifeboat recovery report` and the desktop
 * app can show or re-render them later. Files are written atomically and validated on read.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RecoveryErrors } from './errors.js';
import { FILE_ID, readTextIfExists, writeFileAtomic } from './files.js';
import { parseReport, reportToJson, type RecoveryReport } from './report.js';

export function reportsFolder(home: string): string {
  return join(home, 'recovery', 'reports');
}

export async function saveReport(home: string, report: RecoveryReport): Promise<string> {
  if (!FILE_ID.test(report.recoveryId)) {
    throw new RangeError('a recovery id is letters, digits, - and _');
  }
  return await writeFileAtomic(
    reportsFolder(home),
    `${report.recoveryId}.json`,
    reportToJson(report),
  );
}

/** The report of `recoveryId`, or the most recently finished one. */
export async function loadReport(home: string, recoveryId?: string): Promise<RecoveryReport> {
  const folder = reportsFolder(home);
  if (recoveryId !== undefined) {
    if (!FILE_ID.test(recoveryId)) {
      throw RecoveryErrors.create('RECOVERY_NO_REPORT', `"${recoveryId}" is not a recovery id.`);
    }
    return readReportFile(join(folder, `${recoveryId}.json`), recoveryId);
  }
  const reports = await listReports(home);
  const latest = reports[reports.length - 1];
  if (latest === undefined) {
    throw RecoveryErrors.create('RECOVERY_NO_REPORT', 'No recovery report exists in this profile.');
  }
  return latest;
}

/** Every stored report, oldest first by finishing time. */
export async function listReports(home: string): Promise<RecoveryReport[]> {
  let names: string[];
  try {
    names = await readdir(reportsFolder(home));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const reports = await Promise.all(
    names
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .map((name) => readReportFile(join(reportsFolder(home), name), name.slice(0, -5))),
  );
  return reports.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
}

async function readReportFile(path: string, recoveryId: string): Promise<RecoveryReport> {
  const text = await readTextIfExists(path);
  if (text === undefined) {
    throw RecoveryErrors.create(
      'RECOVERY_NO_REPORT',
      `There is no report of recovery ${recoveryId}.`,
    );
  }
  try {
    return parseReport(JSON.parse(text));
  } catch (error) {
    throw RecoveryErrors.create(
      'RECOVERY_BAD_REPORT',
      `The report of recovery ${recoveryId} cannot be read.`,
      {
        cause: error,
      },
    );
  }
}
