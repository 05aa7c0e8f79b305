/** A job left running by a process that died is closed as Failed when a controller opens. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../electron/catalog/index.js';
import { BackupController } from '../../electron/controller/index.js';
import { acquireJobLock } from '../../electron/job-lock/index.js';

const vault =
  process.env['LIFEBOAT_TEST_KEYRING'] === '1'
    ? {}
    : { vaultPassphrase: Buffer.from('a long enough test passphrase') };

function leaveRunningJob(home: string): { jobId: string; backupId: string } {
  const catalog = openCatalog({ home });
  try {
    const job = catalog.jobs.create({ kind: 'backup' });
    catalog.jobs.markRunning(job.id);
    catalog.locations.upsert({ id: 'loc-1', path: '/srv/share', kind: 'folder' });
    const backupId = randomUUID();
    catalog.backups.upsert({
      id: backupId,
      locationId: 'loc-1',
      created: new Date().toISOString(),
      status: 'Running',
    });
    return { jobId: job.id, backupId };
  } finally {
    catalog.close();
  }
}

describe('interrupted jobs', () => {
  it('are settled as Failed (BACKUP_INTERRUPTED) when no process holds the job lock', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-interrupted-'));
    const { jobId, backupId } = leaveRunningJob(home);
    const controller = await BackupController.open({ home, ...vault });
    try {
      expect(controller.getJob(jobId).job).toMatchObject({
        status: 'failed',
        error: { code: 'BACKUP_INTERRUPTED' },
      });
      expect(controller.listBackups().find((b) => b.backupId === backupId)?.status).toBe('Failed');
    } finally {
      await controller.close();
    }
  });

  it('are left alone while the job lock is held', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-interrupted-'));
    const { jobId } = leaveRunningJob(home);
    const lock = acquireJobLock(home, jobId, 'backup');
    const controller = await BackupController.open({ home, ...vault });
    try {
      expect(controller.getJob(jobId).job.status).toBe('running');
    } finally {
      await controller.close();
      lock.release();
    }
  });
});
