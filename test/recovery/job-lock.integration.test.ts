/**
 * A recovery and the backup controller share the profile's job lock (electron/job-lock/): while
 * a backup runs on a profile, a recovery into a rack (new, heal or resumed) is refused naming the
 * backup's job; while a recovery runs, a backup is refused naming the recovery. Real parts only:
 * a lab rack on loopback, a folder as the share, the real controller, the real lock file.
 *
 * A backup is kept running for as long as a test needs by the lab rack's hang fault on one
 * component (its export is never answered), then cancelled, so nothing here depends on timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../electron/catalog/index.js';
import { formatKey } from '../../electron/controller/index.js';
import { currentJob } from '../../electron/job-lock/index.js';
import {
  openBackup,
  openLocation,
  resumeRecovery,
  runRecovery,
  type OpenedBackup,
  type RackTarget,
  type RecoveryReport,
} from '../../electron/recovery/index.js';
import { LifeboatError } from '../../shared/errors.js';
import { startLabRack, type LabRack } from '../helpers/lab-rack.js';
import { backUp, enableBackup, labDigests, type Workstation } from './helpers.js';

let root: string;
let rack: LabRack;
let station: Workstation;
let catalog: Catalog;
let backup: OpenedBackup;
/** The recovery that held the lock in the second test; the third resumes it. */
let recovered: RecoveryReport;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lifeboat-recovery-lock-'));
  rack = await startLabRack({ scale: 'small' });
  station = await enableBackup(root, rack);
  const backupId = await backUp(station);
  // The recovery runs on the workstation's own profile: the one whose backups it would meet.
  catalog = openCatalog({ home: station.home });
  backup = await openBackup(await openLocation(station.share), backupId, {
    mode: 'key',
    key: Buffer.from(formatKey(station.operatorKey)),
  });
});

afterAll(async () => {
  await backup?.close();
  catalog?.close();
  await station?.controller.close();
  await rack?.stop();
  rmSync(root, { recursive: true, force: true });
});

function target(): RackTarget {
  return {
    url: rack.url,
    fingerprint: rack.fingerprint,
    username: rack.username,
    password: Buffer.from(rack.password),
  };
}

/** Runs `during` while a real backup of the station holds the job lock, then cancels it. */
async function whileBackupRuns(during: (jobId: string) => Promise<void>): Promise<void> {
  await rack.setFaults({ hangComponent: 'srp' });
  const running = station.controller.startBackup();
  try {
    expect(currentJob(station.home)).toMatchObject({ jobId: running.jobId, kind: 'backup' });
    await during(running.jobId);
  } finally {
    station.controller.cancelJob(running.jobId);
    await running.done;
    await rack.setFaults({});
  }
  expect(currentJob(station.home)).toBeNull();
}

async function refusal(attempt: Promise<unknown>): Promise<LifeboatError> {
  const error = await attempt.then(
    () => new Error('the recovery was not refused'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(LifeboatError);
  return error as LifeboatError;
}

describe('recovery and backup share the profile job lock', () => {
  it('refuses a recovery while a backup runs, naming the backup job, and writes nothing', async () => {
    await rack.run(['break', '--component', 'keyvault']);
    const broken = await labDigests(rack);
    await whileBackupRuns(async (backupJobId) => {
      const error = await refusal(
        runRecovery({
          home: station.home,
          catalog,
          backup,
          target: target(),
          components: ['keyvault'],
          kind: 'heal',
          signal: new AbortController().signal,
        }),
      );
      expect(error.code).toBe('BACKUP_JOB_RUNNING');
      expect(error.message).toContain(backupJobId);
      expect(error.details).toMatchObject({ jobId: backupJobId, kind: 'backup' });
    });
    // Refused before pre-flight: no journal, and keyvault is still the broken one.
    expect(catalog.journals.list()).toEqual([]);
    expect(await labDigests(rack)).toEqual(broken);
  });

  it('refuses a backup while a recovery runs, naming the recovery, and frees the lock after', async () => {
    await rack.run(['disaster']);
    await rack.run(['redeploy', '--recovery']);
    let refused: unknown;
    let holder: ReturnType<typeof currentJob> = null;
    recovered = await runRecovery({
      home: station.home,
      catalog,
      backup,
      target: target(),
      signal: new AbortController().signal,
      // Pre-flight passed, the rack is about to be written: the moment a scheduled backup
      // must not start.
      beforeRestore: async () => {
        holder = currentJob(station.home);
        try {
          station.controller.startBackup();
        } catch (error) {
          refused = error;
        }
      },
    });
    expect(recovered.result).toBe('proven');
    expect(holder).toMatchObject({ jobId: recovered.recoveryId, kind: 'recovery' });
    expect(refused).toBeInstanceOf(LifeboatError);
    const error = refused as LifeboatError;
    expect(error.code).toBe('BACKUP_JOB_RUNNING');
    expect(error.message).toContain(recovered.recoveryId);
    expect(error.details).toMatchObject({ jobId: recovered.recoveryId, kind: 'recovery' });
    expect(currentJob(station.home)).toBeNull();
  });

  it('refuses to resume a recovery while a backup runs, naming the backup job', async () => {
    await whileBackupRuns(async (backupJobId) => {
      const error = await refusal(
        resumeRecovery({
          home: station.home,
          catalog,
          runId: recovered.recoveryId,
          backup,
          rackPassword: Buffer.from(rack.password),
          signal: new AbortController().signal,
        }),
      );
      expect(error.code).toBe('BACKUP_JOB_RUNNING');
      expect(error.details).toMatchObject({ jobId: backupJobId, kind: 'backup' });
    });
  });
});
