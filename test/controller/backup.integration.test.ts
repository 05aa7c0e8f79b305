/**
 * The controller against real parts: a lab rack (small scale) on loopback, a real folder as the
 * location, the real vault (the OS keychain under `npm test`, which runs gnome-keyring) and a
 * real catalog file. Covers issue 4's "done means": enable, back up, list, verify, modify each
 * setting, prune with retention, a failing component, a rack dropping mid-backup, a full
 * location, wrong credentials, a second concurrent start, and the secret scan.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BackupController,
  formatKey,
  type BackupControllerOptions,
  type HostEvent,
} from '../../electron/controller/index.js';
import { RackClient } from '../../electron/rack/index.js';
import type { Storage } from '../../electron/storage/index.js';
import { StorageErrors } from '../../electron/storage/index.js';
import { LifeboatError } from '../../shared/errors.js';
import { startLabRack, type LabRack } from '../helpers/lab-rack.js';
import { makeCertificate } from '../repository/helpers.js';
import { scanForSecrets } from './secret-scan.js';

const DAY = 86_400_000;
let rack: LabRack;
let root: string;
let home: string;
let location: string;
const events: HostEvent[] = [];
const storagePassword = Buffer.from(`share-${randomBytes(12).toString('hex')}`);
let operatorKey: Buffer;
const rotatedKey = randomBytes(32);

/** Without the test keyring (plain `vitest run`) the vault falls back to a passphrase. */
function vaultOptions(): Partial<BackupControllerOptions> {
  return process.env['LIFEBOAT_TEST_KEYRING'] === '1'
    ? {}
    : { vaultPassphrase: Buffer.from('a long enough test passphrase') };
}

async function open(extra: Partial<BackupControllerOptions> = {}): Promise<BackupController> {
  const controller = await BackupController.open({
    home,
    actor: 'tester@lab',
    ...vaultOptions(),
    ...extra,
  });
  controller.on((event) => events.push(event));
  return controller;
}

function rackInput(password: Buffer = rack.password) {
  return { url: rack.url, fingerprint: rack.fingerprint, username: rack.username, password };
}

async function caught(promise: Promise<unknown> | (() => unknown)): Promise<LifeboatError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (error instanceof LifeboatError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lifeboat-controller-'));
  home = join(root, 'home');
  location = join(root, 'share');
  mkdirSync(home);
  rack = await startLabRack({ scale: 'small' });
});

afterAll(async () => {
  await rack?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('backup controller against a lab rack, a folder and the vault', () => {
  let controller: BackupController;

  it('refuses wrong rack credentials and an unconfirmed key, saving nothing', async () => {
    controller = await open();
    const key = controller.generateKey();
    expect(key.key).toHaveLength(formatKey(randomBytes(32)).length);
    const wrong = await caught(
      controller.enable({
        location: { kind: 'folder', path: location },
        credentials: null,
        encryption: { mode: 'generated', pendingKeyId: key.pendingKeyId },
        rack: rackInput(Buffer.from('not-the-password')),
      }),
    );
    expect(wrong.code).toBe('RACK_AUTH_FAILED');
    expect(controller.settings().configured).toBe(false);
    const unconfirmed = await caught(
      controller.enable({
        location: { kind: 'folder', path: location },
        credentials: null,
        encryption: { mode: 'generated', pendingKeyId: key.pendingKeyId },
        rack: rackInput(),
      }),
    );
    expect(unconfirmed.code).toBe('CONFIG_KEY_NOT_SAVED');
    expect(
      (await caught(() => controller.confirmGeneratedKey(key.pendingKeyId, 'nope'))).code,
    ).toBe('CONFIG_KEY_NOT_SAVED');
    controller.discardGeneratedKey(key.pendingKeyId);
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a Windows UNC location here, with its credentials, creating nothing',
    async () => {
      const unc = '\\\\nas01\\backups\\lifeboat';
      const result = await controller.testLocation(
        { kind: 'unc', path: unc },
        { username: 'CONTOSO\\backup', password: Buffer.from(storagePassword) },
      );
      expect(result.reachable).toBe(false);
      expect(result.problems.map((problem) => problem.code)).toEqual(['STORAGE_UNC_UNSUPPORTED']);
      expect(existsSync(unc)).toBe(false); // not created as a relative folder named with backslashes
    },
  );

  it('tests the location, then enables backup with an imported key and storage credentials', async () => {
    const test = await controller.testLocation({ kind: 'folder', path: location });
    expect(test).toMatchObject({ reachable: true, writable: true, insideAnotherRepository: false });
    expect(test.freeBytes).toBeGreaterThan(0);
    operatorKey = randomBytes(32);
    const settings = await controller.enable({
      location: { kind: 'folder', path: location },
      credentials: { username: 'backup-operator', password: storagePassword },
      encryption: { mode: 'imported', key: Buffer.from(formatKey(operatorKey)) },
      rack: rackInput(),
      schedule: { frequencyHours: 6, retentionDays: 7 },
    });
    expect(settings).toMatchObject({
      configured: true,
      credentials: { present: true, username: 'backup-operator' },
      encryption: { mode: 'key', keyEpoch: 1 },
      schedule: { frequencyHours: 6, retentionDays: 7, enabled: true },
    });
    // A folder inside the repository is refused.
    const nested = await controller.testLocation({ kind: 'folder', path: join(location, 'inner') });
    expect(nested.insideAnotherRepository).toBe(true);
  });

  it('backs up every component with per-component progress, Succeeded only once verified', async () => {
    events.length = 0;
    const result = await controller.runBackup();
    expect(result.status).toBe('Succeeded');
    expect(result.components).toHaveLength(10);
    const progress = events.filter((e) => e.type === 'job.progress');
    expect(progress.length).toBeGreaterThan(1);
    const last = progress.at(-1);
    expect(
      last?.type === 'job.progress' &&
        last.progress.components.every((c) => c.status === 'Succeeded'),
    ).toBe(true);
    expect(events.some((e) => e.type === 'job.finished' && e.job.status === 'succeeded')).toBe(
      true,
    );
    // The state digest recorded per component equals the rack's own digest.
    const client = await RackClient.connect(rackInput());
    try {
      const detail = await controller.getBackup(result.backupId as string);
      for (const component of detail.components) {
        expect(component.digest).toBe((await client.digest(component.component)).stateDigest);
      }
    } finally {
      client.close();
    }
    const listed = controller.listBackups();
    expect(listed[0]).toMatchObject({
      backupId: result.backupId,
      status: 'Succeeded',
      keyEpoch: 1,
    });
    expect((await controller.verifyBackup(result.backupId as string, { readData: true })).ok).toBe(
      true,
    );
  });

  it('reports health: last Succeeded, next run, free space, days until full, no alerts', async () => {
    const health = await controller.health();
    expect(health.alerts).toEqual([]);
    expect(health.lastSucceeded?.ageSeconds).toBeLessThan(600);
    expect(Date.parse(health.nextRunAt as string)).toBeGreaterThan(Date.now());
    expect(health.location?.freeBytes).toBeGreaterThan(0);
    expect(health.location?.daysUntilFull).toBeGreaterThan(0);
    expect(health.rack?.reachable).toBe(true);
  });

  it('runs missed scheduled slots once', async () => {
    const before = controller.settings();
    const nextBefore = (await controller.health()).nextRunAt;
    // Thirteen hours later with a 6-hour schedule: two slots passed, one run is due.
    const later = await open({ now: () => Date.now() + 13 * 3_600_000, schedulerCheckMs: 20 });
    const finished: string[] = [];
    later.on((e) => {
      if (e.type === 'job.finished') finished.push(e.job.jobId);
    });
    later.startScheduler();
    await waitFor(() => finished.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    later.stopScheduler();
    expect(finished).toHaveLength(1);
    await later.close();
    expect(before.schedule.frequencyHours).toBe(6);
    const nextAfter = (await controller.health()).nextRunAt;
    expect(Date.parse(nextAfter as string)).toBeGreaterThan(Date.parse(nextBefore as string));
  });

  it('cancels a running backup: nothing is listed as good', async () => {
    await rack.setFaults({ latencyMs: 150 });
    const run = controller.startBackup();
    await waitFor(() => events.some((e) => e.type === 'job.progress' && e.jobId === run.jobId));
    controller.cancelJob(run.jobId);
    const result = await run.done;
    await rack.setFaults({});
    expect(result.status).toBe('Failed');
    expect(result.error?.code).toBe('CANCELLED');
    expect(controller.getJob(run.jobId).job.status).toBe('cancelled');
    const listed = controller.listBackups().find((b) => b.backupId === result.backupId);
    expect(listed === undefined || listed.status === 'Failed').toBe(true);
  });

  it('refuses a second concurrent start naming the running job; a failing component gives PartialSucceeded', async () => {
    const nextRun = (await controller.health()).nextRunAt;
    await rack.setFaults({
      latencyMs: 100,
      failComponent: { component: 'keyvault', status: 500, times: 0 },
    });
    const first = controller.startBackup();
    const second = await caught(() => controller.startBackup());
    expect(second.code).toBe('BACKUP_JOB_RUNNING');
    expect(second.message).toContain(first.jobId);
    // Another process on the same profile is refused the same way.
    const other = await open();
    expect((await caught(() => other.startBackup())).message).toContain(first.jobId);
    await other.close();
    const result = await first.done;
    await rack.setFaults({});
    expect(result.status).toBe('PartialSucceeded');
    const keyvault = result.components.find((c) => c.component === 'keyvault');
    expect(keyvault).toMatchObject({ status: 'Failed' });
    expect(keyvault?.reason).toMatch(/RACK_/);
    expect(result.components.filter((c) => c.status === 'Succeeded')).toHaveLength(9);
    const detail = await controller.getBackup(result.backupId as string);
    expect(detail.summary.status).toBe('PartialSucceeded');
    expect(detail.components.find((c) => c.component === 'keyvault')?.reason).toBeTruthy();
    const health = await controller.health();
    expect(health.alerts.map((a) => a.code)).toContain('COMPONENT_FAILED');
    // That on-demand backup did not move the next scheduled run.
    expect(health.nextRunAt).toBe(nextRun);
  });

  it('fails a backup on a full location without listing it or damaging older backups', async () => {
    // New rack data, so the backup has packs to write, and a share that takes 64 KiB more.
    await rack.run(['mutate', '--percent', '5']);
    const full = await open({ wrapStorage: fillsUpAfter(64 * 1024) });
    const before = full.listBackups().filter((b) => b.status !== 'Failed').length;
    const result = await full.runBackup();
    expect(result.status).toBe('Failed');
    expect(result.error?.code).toBe('STORAGE_FULL');
    expect((await full.health()).alerts.map((a) => a.code)).toContain('LOCATION_FULL');
    await full.close();
    const listed = controller.listBackups();
    expect(listed.filter((b) => b.status !== 'Failed')).toHaveLength(before);
    expect(listed.find((b) => b.backupId === result.backupId)?.status ?? 'Failed').toBe('Failed');
    const newest = listed.find((b) => b.status === 'Succeeded');
    expect((await controller.verifyBackup(newest?.backupId as string, { readData: true })).ok).toBe(
      true,
    );
  });

  it('modifies schedule, credentials and key; lists which backups need the old key', async () => {
    expect(
      controller.changeSchedule({ frequencyHours: 4, retentionDays: 7, enabled: false }).schedule,
    ).toEqual({
      frequencyHours: 4,
      retentionDays: 7,
      enabled: false,
    });
    // Wrong rack credentials are refused before anything is replaced.
    const badRack = await caught(controller.changeRack(rackInput(Buffer.from('wrong-password'))));
    expect(badRack.code).toBe('RACK_AUTH_FAILED');
    expect((await controller.health()).rack?.reachable).toBe(true);
    const credentials = await controller.changeCredentials({
      username: 'rotated-user',
      password: storagePassword,
    });
    expect(credentials.credentials.username).toBe('rotated-user');
    const before = controller
      .listBackups()
      .filter((b) => b.status !== 'Failed')
      .map((b) => b.backupId);
    const rotated = await controller.changeKey({
      mode: 'imported',
      key: Buffer.from(rotatedKey.toString('base64')),
    });
    expect(rotated.encryption?.keyEpoch).toBe(2);
    expect(rotated.oldKeys).toHaveLength(1);
    expect(rotated.oldKeys[0]?.keyEpoch).toBe(1);
    expect(new Set(rotated.oldKeys[0]?.neededBy)).toEqual(new Set(before));
    const result = await controller.runBackup();
    expect(result.status).toBe('Succeeded');
    expect(controller.listBackups()[0]?.keyEpoch).toBe(2);
  });

  it('asks before a retention change deletes backups, and prunes only what was confirmed', async () => {
    // A backup taken "ten days ago": only the wall clock is shifted, the parts are real.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 10 * DAY });
    let old: string[];
    try {
      old = [(await controller.runBackup()).backupId as string];
    } finally {
      vi.useRealTimers();
    }
    const newest = controller.listBackups().find((b) => b.status === 'Succeeded');
    const preview = controller.previewSchedule({
      frequencyHours: 4,
      retentionDays: 2,
      enabled: true,
    });
    expect(new Set(preview.wouldDelete.map((b) => b.backupId))).toEqual(new Set(old));
    expect(preview.keptNewestSucceeded).toBe(newest?.backupId);
    const refused = await caught(() =>
      controller.changeSchedule({ frequencyHours: 4, retentionDays: 2, enabled: true }),
    );
    expect(refused.code).toBe('CONFIG_CONFIRMATION_REQUIRED');
    expect(refused.message).toContain(old[0]);
    const ids = preview.wouldDelete.map((b) => b.backupId);
    controller.changeSchedule({ frequencyHours: 4, retentionDays: 2, enabled: true }, ids);
    expect((await caught(controller.prune({ confirmBackupIds: ids.slice(1) }))).code).toBe(
      'CONFIG_CONFIRMATION_REQUIRED',
    );
    expect((await controller.prune({ confirmBackupIds: ids, dryRun: true })).deleted).toEqual(ids);
    expect(controller.listBackups().find((b) => b.backupId === ids[0])?.status).toBe('Succeeded');
    const pruned = await controller.prune({ confirmBackupIds: ids });
    expect(pruned.deleted).toEqual(ids);
    for (const id of ids)
      expect(controller.listBackups().find((b) => b.backupId === id)?.status).toBe('Deleted');
    expect((await controller.verifyBackup(newest?.backupId as string, { readData: true })).ok).toBe(
      true,
    );
  });

  it('moves to a new location; older backups stay listed where they are', async () => {
    const second = join(root, 'share-2');
    const oldIds = controller.listBackups().map((b) => b.backupId);
    const moved = await controller.changeLocation({
      location: { kind: 'folder', path: second },
      credentials: null,
    });
    expect(moved.location?.path).toBe(second);
    const result = await controller.runBackup();
    expect(result.status).toBe('Succeeded');
    const listed = controller.listBackups();
    expect(listed.find((b) => b.backupId === result.backupId)?.location).toBe(second);
    for (const id of oldIds) expect(listed.find((b) => b.backupId === id)?.location).toBe(location);
  });

  it('rebuilds the catalog from the repository', async () => {
    const rebuilt = await controller.rebuildCatalog();
    expect(rebuilt.backups).toBe(1);
  });

  it('audits every configuration, key, retention and deletion action in an intact chain', () => {
    const actions = controller.listAudit().map((e) => e.action);
    for (const action of [
      'config.enable',
      'key.set',
      'config.set',
      'credentials.set',
      'key.rotate',
      'retention.set',
      'backup.delete',
    ]) {
      expect(actions).toContain(action);
    }
    expect(controller.verifyAudit()).toMatchObject({ ok: true, firstBrokenSeq: null });
  });

  it('enables with a .cer (its .pfx stays offline) and backs up', async () => {
    const certDir = join(root, 'cert');
    mkdirSync(certDir);
    const cert = makeCertificate(certDir, 'pfx-password');
    const certHome = join(root, 'cert-home');
    const controller = await BackupController.open({ home: certHome, ...vaultOptions() });
    try {
      const info = controller.inspectCertificate(readFileSync(join(certDir, 'cert.cer')));
      expect(info.thumbprint).toBe(cert.thumbprint.toLowerCase());
      const settings = await controller.enable({
        location: { kind: 'folder', path: join(root, 'cert-share') },
        credentials: null,
        encryption: { mode: 'certificate', certificate: readFileSync(join(certDir, 'cert.cer')) },
        rack: rackInput(),
      });
      expect(settings.encryption).toMatchObject({
        mode: 'certificate',
        keyEpoch: 1,
        certificateThumbprint: info.thumbprint,
      });
      const result = await controller.runBackup();
      expect(result.status).toBe('Succeeded');
      expect(controller.listBackups()[0]).toMatchObject({
        certificateThumbprint: info.thumbprint,
        keyEpoch: 1,
      });
      // A new epoch without the .pfx: the workstation writes with the epoch key it keeps.
      const rotated = await controller.changeKey({
        mode: 'certificate',
        certificate: readFileSync(join(certDir, 'cert.cer')),
      });
      expect(rotated.encryption?.keyEpoch).toBe(2);
      expect(rotated.oldKeys[0]).toMatchObject({ keyEpoch: 1, neededBy: [result.backupId] });
      // A certificate with its private key is refused: only the public part belongs here.
      expect(
        (await caught(() => controller.inspectCertificate(readFileSync(join(certDir, 'cert.key')))))
          .code,
      ).toBe('BACKUP_CERTIFICATE_INVALID');
    } finally {
      await controller.close();
    }
  });

  it('marks a backup whose rack drops mid-way as not Succeeded', async () => {
    await rack.run(['mutate', '--percent', '5']);
    const run = controller.startBackup();
    // Let the first components through, then the rack disappears.
    await waitFor(() => events.some((e) => e.type === 'job.log' && e.jobId === run.jobId));
    await rack.stop();
    const result = await run.done;
    expect(result.status).not.toBe('Succeeded');
    expect(
      result.components.some((c) => c.status === 'Failed' && /RACK_/.test(c.reason ?? '')),
    ).toBe(result.status === 'PartialSucceeded');
    const health = await controller.health();
    expect(health.alerts.map((a) => a.code)).toContain('RACK_UNREACHABLE');
  });

  it('never lets a secret reach the catalog, the logs or an event', async () => {
    await controller.close();
    expect(events.length).toBeGreaterThan(10);
    const secrets = [operatorKey, rotatedKey, storagePassword, rack.password];
    expect(scanForSecrets(home, events, secrets)).toEqual([]);
  });
});

/** A storage that accepts `budget` bytes, then fails every write with ENOSPC, like a full share. */
function fillsUpAfter(budget: number): (storage: Storage) => Storage {
  return (storage) => {
    let written = 0;
    return new Proxy(storage, {
      get(target, property, receiver) {
        if (property === 'put') {
          return async (name: string, data: Buffer | readonly Buffer[]) => {
            const size = Buffer.isBuffer(data)
              ? data.length
              : data.reduce((sum, b) => sum + b.length, 0);
            written += size;
            if (written > budget) {
              throw StorageErrors.create(
                'STORAGE_FULL',
                `The location ${target.location} is full.`,
              );
            }
            return target.put(name, data);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function'
          ? (value as (...args: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
