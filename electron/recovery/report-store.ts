/**
 * Finished recovery reports, kept as JSON files in the profile folder
 * (`<home>/recovery/reports/<recoveryId>.json`), so `lifeboat recovery report` and the desktop
 * app can show or re-render them later. Files are written atomically and validated on read.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { RecoveryErrors } from './errors.js';
import { parseReport, reportToJson, type RecoveryReport } from './report.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function reportsFolder(home: string): string {
  return join(home, 'recovery', 'reports');
}

export async function saveReport(home: string, report: RecoveryReport): Promise<string> {
  if (!ID.test(report.recoveryId))
    throw new RangeError('a recovery id is letters, digits, - and _');
  const folder = reportsFolder(home);
  await mkdir(folder, { recursive: true });
  const path = join(folder, `${report.recoveryId}.json`);
  const temporary = join(folder, `.${report.recoveryId}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(reportToJson(report));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  return path;
}

/** The report of `recoveryId`, or the most recently finished one. */
export async function loadReport(home: string, recoveryId?: string): Promise<RecoveryReport> {
  const folder = reportsFolder(home);
  if (recoveryId !== undefined) {
    if (!ID.test(recoveryId)) {
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
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw RecoveryErrors.create(
        'RECOVERY_NO_REPORT',
        `There is no report of recovery ${recoveryId}.`,
      );
    }
    throw error;
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
