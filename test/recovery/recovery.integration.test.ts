/**
 * Cloud recovery against real parts: lab racks on loopback (small scale), a real folder as the
 * external storage, backups taken by the real controller, the real catalog, and the
 * `lifeboat recovery` command run from profiles that never saw the rack. Covers issue 5's
 * "done means": recovery into a redeployed rack and into one on other hardware, healing one
 * service while the others serve, a drop in the middle of keyvault finished by `resume` with no
 * component committed twice, the drill, and the refusals (wrong key, corrupted pack, rack not in
 * recovery mode, rack two versions newer, wrong fingerprint).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../../electron/catalog/index.js';
import { BackupController, formatKey } from '../../electron/controller/index.js';
import { RackClient } from '../../electron/rack/index.js';
import {
  RESTORE_ORDER,
  openBackup,
  openLocation,
  runRecovery,
  type RecoveryReport,
  type RestoreProgress,
} from '../../electron/recovery/index.js';
import { scanForSecrets } from '../controller/secret-scan.js';
import { LifeboatError } from '../../shared/errors.js';
import { startLabRack, type LabRack } from '../helpers/lab-rack.js';
import { makeCertificate } from '../repository/helpers.js';
import {
  backUp,
  cli,
  committedImports,
  enableBackup,
  labDigests,
  vaultOptions,
  type Workstation,
} from './helpers.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'electron', 'cli', 'bin.ts');

let root: string;
let rack: LabRack;
let station: Workstation;
let backupId: string;
let digestsAtBackup: Record<string, string>;
/** A newer backup whose copy in `share-copy` has a damaged pack. */
let damagedId: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lifeboat-recovery-'));
  rack = await startLabRack({ scale: 'small' });
  station = await enableBackup(root, rack);
  backupId = await backUp(station);
  digestsAtBackup = await labDigests(rack);
});

afterAll(async () => {
  await station?.controller.close();
  await rack?.stop();
  rmSync(root, { recursive: true, force: true });
});

function laptop(name: string): string {
  return join(root, name);
}

function keyArgs(keyFile = station.keyFile): string[] {
  return ['--location', station.share, '--key', keyFile];
}

function rackArgs(target: LabRack, fingerprint = target.fingerprint): string[] {
  return [
    '--rack',
    target.url,
    '--fingerprint',
    fingerprint,
    '--username',
    target.username,
    '--password-file',
    target.passwordFile,
  ];
}

/** `lifeboat --json recovery run|drill BACKUP` with the workstation's key into `target`. */
async function restoreWith(
  home: string,
  command: 'run' | 'drill',
  target: LabRack,
  options: { fingerprint?: string; extra?: string[] } = {},
) {
  return await cli(home, [
    '--json',
    'recovery',
    command,
    backupId,
    ...keyArgs(),
    ...rackArgs(target, options.fingerprint),
    ...(options.extra ?? []),
  ]);
}

function errorOf(json: unknown): {
  code: string;
  message: string;
  details?: Record<string, unknown>;
} {
  return (json as { error: { code: string; message: string } }).error;
}

describe('cloud recovery with the lifeboat command', () => {
  it('discovers the backups at the location without a key, from a profile that never saw the rack', async () => {
    const result = await cli(laptop('laptop-discover'), [
      'recovery',
      'discover',
      '--location',
      station.share,
      '--json',
    ]);
    expect(result.code).toBe(0);
    const { backups } = result.json as {
      backups: {
        id: string;
        status: string;
        keyReference: string;
        stampId: string;
        rackVersion: string;
        components: Record<string, string>;
      }[];
    };
    expect(backups.map((backup) => backup.id)).toEqual([backupId]);
    expect(backups[0]).toMatchObject({
      status: 'Succeeded',
      keyReference: 'key epoch 1',
      rackVersion: '1.4.0',
    });
    expect(Object.keys(backups[0]?.components ?? {}).sort()).toEqual([...RESTORE_ORDER].sort());
    const human = await cli(laptop('laptop-discover'), [
      'recovery',
      'discover',
      '--location',
      station.share,
    ]);
    expect(human.stdout).toContain(backupId);
    expect(human.stdout).toContain('needs key epoch 1');
  });

  it('refuses a wrong key by name before anything else', async () => {
    const wrongKey = join(root, 'wrong.key');
    writeFileSync(wrongKey, formatKey(randomBytes(32)));
    const result = await cli(laptop('laptop-wrong-key'), [
      '--json',
      'recovery',
      'verify',
      backupId,
      ...keyArgs(wrongKey),
    ]);
    expect(result.code).toBe(5);
    expect(errorOf(result.json)).toMatchObject({ code: 'RECOVERY_WRONG_KEY' });
    expect(errorOf(result.json).message).toContain(`This backup (${backupId}) needs key epoch 1`);
  });

  it('verifies the backup by reading all of it', async () => {
    const result = await cli(laptop('laptop-verify'), [
      '--json',
      'recovery',
      'verify',
      backupId,
      ...keyArgs(),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({ backupId, ok: true });
  });

  it('refuses a rack that is not in recovery mode, and a wrong fingerprint, changing nothing', async () => {
    const home = laptop('laptop-refusals');
    const running = await restoreWith(home, 'run', rack);
    expect(running.code).toBe(8);
    expect(errorOf(running.json).code).toBe('RECOVERY_NOT_IN_RECOVERY_MODE');
    const wrongFingerprint = rack.fingerprint.replace(
      /^../,
      rack.fingerprint.startsWith('AA') ? 'BB' : 'AA',
    );
    const pinned = await restoreWith(home, 'run', rack, { fingerprint: wrongFingerprint });
    expect(pinned.code).toBe(5);
    expect(errorOf(pinned.json).code).toBe('RACK_FINGERPRINT_CHANGED');
    expect(await labDigests(rack)).toEqual(digestsAtBackup);
  });

  it('heals one damaged service of a running rack while the others keep serving', async () => {
    await rack.run(['break', '--component', 'keyvault']);
    const broken = await labDigests(rack);
    expect(broken['keyvault']).not.toBe(digestsAtBackup['keyvault']);
    const home = laptop('laptop-heal');
    const catalog = openCatalog({ home });
    const backup = await openBackup(await openLocation(station.share), backupId, {
      mode: 'key',
      key: Buffer.from(formatKey(station.operatorKey)),
    });
    const observer = await RackClient.connect({ ...rack, password: rack.password });
    const servedDuringHeal: string[] = [];
    const progress: RestoreProgress[] = [];
    let report: RecoveryReport;
    try {
      report = await runRecovery({
        home,
        catalog,
        backup,
        target: {
          url: rack.url,
          fingerprint: rack.fingerprint,
          username: rack.username,
          password: rack.password,
        },
        components: ['keyvault'],
        kind: 'heal',
        signal: new AbortController().signal,
        onEvent: (event) => {
          if (event.type === 'progress') progress.push(event.progress);
          if (event.type === 'phase' && event.phase === 'restore') {
            // Another service answers a backup export while keyvault is being restored.
            void observer
              .startExport('arm')
              .then((exported) => servedDuringHeal.push(exported.component));
          }
        },
      });
      const info = await observer.info();
      expect(info.components.every((component) => component.mode === 'normal')).toBe(true);
    } finally {
      observer.close();
      await backup.close();
      catalog.close();
    }
    expect(report.result).toBe('proven');
    expect(report.kind).toBe('heal');
    expect(report.components.map((entry) => entry.component)).toEqual(['keyvault']);
    expect(servedDuringHeal).toEqual(['arm']);
    const last = progress[progress.length - 1];
    expect(last?.overall.bytesDone).toBe(report.components[0]?.bytes);
    expect(last?.components).toMatchObject([{ component: 'keyvault', phase: 'committed' }]);
    expect(progress.some((entry) => entry.current === 'keyvault')).toBe(true);
    expect(await labDigests(rack)).toEqual(digestsAtBackup);
  });

  it('restores a redeployed rack after a drop in the middle of keyvault: resume finishes, nothing committed twice', async () => {
    await rack.run(['disaster']);
    await rack.run(['redeploy', '--recovery']);
    await rack.setFaults({ dropUpload: { artifact: 'secrets.sql', atByte: 1000, times: 1 } });
    const home = laptop('laptop-full');
    const interrupted = await restoreWith(home, 'run', rack, { extra: ['--retries', '0'] });
    expect(interrupted.code).toBe(7);
    expect(errorOf(interrupted.json).code).toMatch(/^RACK_/);
    const committedBefore = committedImports(rack);
    expect(Object.keys(committedBefore).sort()).toEqual(
      ['arm', 'ca', 'crp', 'deployment', 'federation', 'identity', 'nrp', 'srp'].sort(),
    );

    // Another laptop starting afresh is refused: the rack is no longer empty.
    const afresh = await restoreWith(laptop('laptop-second'), 'run', rack);
    expect(afresh.code).toBe(8);
    expect(errorOf(afresh.json).code).toBe('RECOVERY_RACK_NOT_EMPTY');
    expect(errorOf(afresh.json).message).toContain('deployment (');

    const resumed = await cli(home, [
      '--json',
      'recovery',
      'resume',
      '--key',
      station.keyFile,
      '--password-file',
      rack.passwordFile,
    ]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const report = resumed.json as RecoveryReport;
    expect(report).toMatchObject({ result: 'proven', resumes: 1, kind: 'recovery' });
    expect(report.components.map((entry) => entry.component)).toEqual([...RESTORE_ORDER]);
    for (const entry of report.components) {
      expect(entry.digestAfterRestore).toBe(digestsAtBackup[entry.component]);
      expect(entry.digestAtBackup).toBe(digestsAtBackup[entry.component]);
    }
    expect(committedImports(rack)).toEqual(Object.fromEntries(RESTORE_ORDER.map((c) => [c, 1])));
    expect(await labDigests(rack)).toEqual(digestsAtBackup);

    // No secret in the profile (catalog, logs, reports, run contexts) nor in anything printed.
    const recoveryFiles = listFiles(join(home, 'recovery')).map((file) =>
      readFileSync(file, 'utf8'),
    );
    const printed = [interrupted.stdout, interrupted.stderr, resumed.stdout, resumed.stderr];
    expect(
      scanForSecrets(
        home,
        [...printed, ...recoveryFiles],
        [station.operatorKey, Buffer.from(formatKey(station.operatorKey).trim()), rack.password],
      ),
    ).toEqual([]);

    const again = await cli(home, [
      '--json',
      'recovery',
      'resume',
      '--key',
      station.keyFile,
      '--password-file',
      rack.passwordFile,
    ]);
    expect(again.code).toBe(2);

    const htmlFile = join(root, 'report.html');
    const shown = await cli(home, ['recovery', 'report', '--html', htmlFile]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('PROVEN');
    const page = readFileSync(htmlFile, 'utf8');
    for (const digest of Object.values(digestsAtBackup)) expect(page).toContain(digest);
    expect(page).not.toMatch(/<script|<link|src=|href=/i);
  });

  it('prints a recovery kit from the workstation catalog, holding no secret', async () => {
    const file = join(root, 'kit.html');
    const result = await cli(station.home, ['recovery', 'kit', '--html', file]);
    expect(result.code).toBe(0);
    const page = readFileSync(file, 'utf8');
    expect(page).toContain(backupId);
    expect(page).toContain(station.share);
    expect(page).toContain('Key epoch 1 kept at');
    expect(page).toContain(rack.fingerprint);
    expect(page).toContain('1.4.0');
    expect(
      scanForSecrets(
        station.home,
        [page],
        [station.operatorKey, Buffer.from(formatKey(station.operatorKey)), rack.password],
      ),
    ).toEqual([]);
  });

  it('refuses a corrupted pack, naming the damaged components and offering the older backup', async () => {
    const packsBefore = new Set(listPacks(station.share));
    await rack.run(['mutate', '--percent', '5']);
    const newer = await backUp(station);
    damagedId = newer;
    const copy = join(root, 'share-copy');
    cpSync(station.share, copy, { recursive: true });
    const fresh = listPacks(copy).filter((name) => !packsBefore.has(name));
    expect(fresh.length).toBeGreaterThan(0);
    const victim = join(copy, fresh[0] as string);
    const bytes = readFileSync(victim);
    const at = Math.floor(bytes.length / 3);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(victim, bytes);
    const result = await cli(laptop('laptop-corrupt'), [
      '--json',
      'recovery',
      'verify',
      newer,
      '--location',
      copy,
      '--key',
      station.keyFile,
    ]);
    expect(result.code).toBe(3);
    const error = errorOf(result.json);
    expect(error.code).toBe('RECOVERY_BACKUP_DAMAGED');
    expect(error.message).toContain(`The newest older backup that verifies is ${backupId}`);
    expect(String(error.details?.['damagedComponents'])).not.toBe('');
  });

  it('refuses a rack two minor versions newer than the backup, naming both versions', async () => {
    await rack.run(['disaster']);
    await rack.run(['redeploy', '--recovery', '--version', '1.6.0']);
    const result = await restoreWith(laptop('laptop-version'), 'run', rack);
    expect(result.code).toBe(8);
    expect(errorOf(result.json).code).toBe('RECOVERY_VERSION_INCOMPATIBLE');
    expect(errorOf(result.json).message).toContain('1.6.0');
    expect(errorOf(result.json).message).toContain('1.4.0');
    expect(committedImports(rack)).toEqual({});
  });

  it('stops on a pack damaged after verification with the backup error, leaving the run resumable', async () => {
    await rack.run(['disaster']);
    await rack.run(['redeploy', '--recovery', '--version', '1.4.0']);
    const home = laptop('laptop-damaged-later');
    const catalog = openCatalog({ home });
    const backup = await openBackup(await openLocation(join(root, 'share-copy')), damagedId, {
      mode: 'key',
      key: Buffer.from(formatKey(station.operatorKey)),
    });
    try {
      const failure: unknown = await runRecovery({
        home,
        catalog,
        backup,
        target: {
          url: rack.url,
          fingerprint: rack.fingerprint,
          username: rack.username,
          password: rack.password,
        },
        signal: new AbortController().signal,
      }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(LifeboatError);
      expect((failure as LifeboatError).category).toBe('damaged');
      expect((failure as LifeboatError).code).toMatch(/^REPO_/);
      expect(catalog.journals.list({ unfinishedOnly: true })).toHaveLength(1);
    } finally {
      await backup.close();
      catalog.close();
    }
  });
});

describe('recovery onto other hardware, and the drill', () => {
  let other: LabRack;
  beforeAll(async () => {
    other = await startLabRack({ scale: 'small', seed: 99 });
  });
  afterAll(async () => {
    await other?.stop();
  });

  it("refuses to heal a running rack from another rack's backup", async () => {
    const result = await restoreWith(laptop('laptop-wrong-rack'), 'run', other, {
      extra: ['--component', 'keyvault', '--heal'],
    });
    expect(result.code).toBe(8);
    expect(errorOf(result.json).code).toBe('RECOVERY_OTHER_RACK');
  });

  it('recovers into a rack with a new state folder, port and certificate, from a fresh laptop', async () => {
    expect(other.fingerprint).not.toBe(rack.fingerprint);
    expect(other.url).not.toBe(rack.url);
    await other.run(['redeploy', '--recovery']);
    const result = await restoreWith(laptop('fresh-laptop'), 'run', other);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((result.json as RecoveryReport).result).toBe('proven');
    expect(await labDigests(other)).toEqual(digestsAtBackup);
  });

  it('drills into a lab rack through a laptop crash (killed mid-restore), resumes, and marks the backup proven', async () => {
    await other.run(['disaster']);
    await other.run(['redeploy', '--recovery']);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '--home',
        station.home,
        '--json',
        'recovery',
        'drill',
        backupId,
        ...keyArgs(),
        ...rackArgs(other),
      ],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The laptop dies once some components are committed and the next one is on its way.
    while (Object.keys(committedImports(other)).length < 3 && child.exitCode === null) {
      await delay(25);
    }
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    const before = committedImports(other);
    expect(Object.keys(before).length).toBeLessThan(RESTORE_ORDER.length);

    const resumed = await cli(station.home, [
      '--json',
      'recovery',
      'resume',
      '--key',
      station.keyFile,
      '--password-file',
      other.passwordFile,
    ]);
    expect(resumed.code, resumed.stdout).toBe(0);
    expect(resumed.json).toMatchObject({ kind: 'drill', result: 'proven', resumes: 1 });
    expect(committedImports(other)).toEqual(Object.fromEntries(RESTORE_ORDER.map((c) => [c, 1])));
    expect(await labDigests(other)).toEqual(digestsAtBackup);
    const catalog = openCatalog({ home: station.home });
    try {
      expect(catalog.backups.require(backupId).provenByDrill).not.toBeNull();
    } finally {
      catalog.close();
    }
  });

  it('opens a backup with its .pfx and password only, naming the thumbprint it needs otherwise', async () => {
    const target = other;
    const home = join(root, 'cert-workstation');
    const share = join(root, 'cert-share');
    mkdirSync(join(root, 'cert-a'), { recursive: true });
    mkdirSync(join(root, 'cert-b'), { recursive: true });
    const right = makeCertificate(join(root, 'cert-a'), 'right pfx password');
    const stranger = makeCertificate(join(root, 'cert-b'), 'other pfx password');
    const passwordFile = join(root, 'pfx-password');
    writeFileSync(passwordFile, 'right pfx password\n');
    const controller = await BackupController.open({
      home,
      actor: 'operator@site',
      ...vaultOptions(),
    });
    let id: string;
    try {
      await controller.enable({
        location: { kind: 'folder', path: share },
        credentials: null,
        encryption: { mode: 'certificate', certificate: readFileSync(right.cer) },
        rack: {
          url: target.url,
          fingerprint: target.fingerprint,
          username: target.username,
          password: target.password,
        },
      });
      const result = await controller.startBackup().done;
      expect(result.status).toBe('Succeeded');
      id = result.backupId as string;
    } finally {
      await controller.close();
    }
    const laptopHome = laptop('cert-laptop');
    const listed = await cli(laptopHome, ['--json', 'recovery', 'discover', '--location', share]);
    const [found] = (listed.json as { backups: { id: string; keyReference: string }[] }).backups;
    expect(found?.id).toBe(id);
    expect(found?.keyReference.toUpperCase()).toContain(right.thumbprint.toUpperCase());

    const wrongCertificate = await cli(laptopHome, [
      '--json',
      'recovery',
      'verify',
      id,
      '--location',
      share,
      '--pfx',
      stranger.pfx,
      '--pfx-password',
      join(root, 'cert-b-password'),
    ]);
    expect(wrongCertificate.code).toBe(2);
    writeFileSync(join(root, 'cert-b-password'), 'other pfx password');
    const refused = await cli(laptopHome, [
      '--json',
      'recovery',
      'verify',
      id,
      '--location',
      share,
      '--pfx',
      stranger.pfx,
      '--pfx-password',
      join(root, 'cert-b-password'),
    ]);
    expect(refused.code).toBe(5);
    expect(errorOf(refused.json).code).toBe('RECOVERY_WRONG_KEY');
    expect(errorOf(refused.json).message.toUpperCase()).toContain(right.thumbprint.toUpperCase());
    const badPassword = await cli(laptopHome, [
      '--json',
      'recovery',
      'verify',
      id,
      '--location',
      share,
      '--pfx',
      right.pfx,
      '--pfx-password',
      join(root, 'cert-b-password'),
    ]);
    expect(badPassword.code).toBe(5);
    const opened = await cli(laptopHome, [
      '--json',
      'recovery',
      'verify',
      id,
      '--location',
      share,
      '--pfx',
      right.pfx,
      '--pfx-password',
      passwordFile,
    ]);
    expect(opened.stderr).toBe('');
    expect(opened.code).toBe(0);
  });
});

function listPacks(share: string): string[] {
  const names: string[] = [];
  for (const folder of readdirSync(join(share, 'data'))) {
    for (const pack of readdirSync(join(share, 'data', folder))) {
      if (!pack.startsWith('.') && statSync(join(share, 'data', folder, pack)).isFile())
        names.push(join('data', folder, pack));
    }
  }
  return names;
}

function listFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .map((name) => join(folder, name))
    .filter((path) => statSync(path).isFile());
}
