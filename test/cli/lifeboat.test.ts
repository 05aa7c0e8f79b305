/**
 * The `lifeboat` config/backup/key/audit/catalog groups, run as a program from source against a
 * real lab rack and a real folder, with secrets passed only through files and stdin.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentJob } from '../../electron/job-lock/index.js';
import { startLabRack, type LabRack } from '../helpers/lab-rack.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'electron', 'cli', 'bin.ts');
let rack: LabRack;
let root: string;
let home: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function lifeboat(args: readonly string[], stdin?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, '--home', home, ...args], {
      cwd: ROOT,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

const json = (run: Run) => JSON.parse(run.stdout) as Record<string, unknown>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lifeboat-cli-'));
  home = join(root, 'home');
  env = { ...process.env, LIFEBOAT_HOME: '' };
  if (process.env['LIFEBOAT_TEST_KEYRING'] !== '1') {
    // Without the test keyring the vault is passphrase-protected; the variable names a file.
    writeFileSync(join(root, 'vault-pass'), 'a long enough test passphrase');
    env['LIFEBOAT_VAULT_PASSPHRASE_FILE'] = join(root, 'vault-pass');
  }
  rack = await startLabRack({ scale: 'small' });
});

afterAll(async () => {
  await rack?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('lifeboat config, backup, key, audit and catalog', () => {
  it('makes a key file once, mode 0600, and refuses to overwrite it', async () => {
    const file = join(root, 'backup.key');
    const made = await lifeboat(['key', 'new', '--out', file, '--json']);
    expect(made.code).toBe(0);
    expect(json(made)['keyId']).toMatch(/^[0-9a-f]{16}$/);
    expect(readFileSync(file, 'ascii')).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await lifeboat(['key', 'new', '--out', file])).code).toBe(2);
  });

  it('shows an unconfigured profile and refuses values outside the documented ranges', async () => {
    const shown = await lifeboat(['config', 'show', '--json']);
    expect(shown.code).toBe(0);
    expect(json(shown)['configured']).toBe(false);
    const bad = await lifeboat(['config', 'set', 'frequency', '3', '--json']);
    expect(bad.code).toBe(2);
    expect((json(bad)['error'] as { code: string }).code).toBe('CONFIG_INVALID');
  });

  it('enables backup with secrets from a file and stdin, then backs up and lists', async () => {
    writeFileSync(join(root, 'rack.pass'), rack.password);
    const enabled = await lifeboat(
      [
        'config',
        'enable',
        '--json',
        '--location',
        join(root, 'share'),
        '--key',
        join(root, 'backup.key'),
        '--rack',
        rack.url,
        '--fingerprint',
        rack.fingerprint,
        '--rack-user',
        rack.username,
        '--rack-password',
        '-',
        '--frequency',
        '8',
        '--retention',
        '3',
      ],
      rack.password,
    );
    expect(enabled.stderr).toBe('');
    expect(enabled.code).toBe(0);
    expect(json(enabled)).toMatchObject({
      configured: true,
      schedule: { frequencyHours: 8, retentionDays: 3 },
    });
    const backup = await lifeboat(['backup', 'start', '--wait', '--json']);
    expect(backup.code).toBe(0);
    const result = json(backup);
    expect(result['status']).toBe('Succeeded');
    const id = result['backupId'] as string;
    const listed = await lifeboat(['backup', 'list', '--json']);
    expect((JSON.parse(listed.stdout) as { backupId: string }[])[0]?.backupId).toBe(id);
    const shown = await lifeboat(['backup', 'show', id, '--json']);
    const components = json(shown)['components'] as { digest: string | null }[];
    expect(components).toHaveLength(10);
    expect(components.every((c) => /^[0-9a-f]{64}$/.test(c.digest ?? ''))).toBe(true);
    const verified = await lifeboat(['backup', 'verify', id, '--read-data', '--json']);
    expect(verified.code).toBe(0);
    expect(json(verified)['ok']).toBe(true);
  });

  it('refuses a second start while a background backup runs, naming its job id', async () => {
    await rack.setFaults({ latencyMs: 200 });
    const started = await lifeboat(['backup', 'start', '--json']);
    expect(started.code).toBe(0);
    const jobId = json(started)['jobId'] as string;
    const second = await lifeboat(['backup', 'start', '--wait']);
    expect(second.code).toBe(4);
    expect(second.stderr).toContain(jobId);
    await rack.setFaults({});
    const deadline = Date.now() + 60_000;
    while (currentJob(home) !== null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(currentJob(home)).toBeNull();
  });

  it('exits 10 on PartialSucceeded, and prunes only with --yes', async () => {
    await rack.setFaults({ failComponent: { component: 'rbac', status: 503, times: 0 } });
    const partial = await lifeboat(['backup', 'start', '--wait', '--json']);
    await rack.setFaults({});
    expect(partial.code).toBe(10);
    expect(json(partial)['status']).toBe('PartialSucceeded');
    const dry = await lifeboat(['backup', 'prune', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(json(dry)['deleted']).toEqual([]);
  });

  it('rotates the key, verifies the audit chain and rebuilds the catalog', async () => {
    const rotated = await lifeboat(
      ['key', 'rotate', '--key', '-', '--json'],
      Buffer.from(Buffer.alloc(32, 9).toString('base64')),
    );
    expect(rotated.code).toBe(0);
    expect(json(rotated)['oldKeys']).toHaveLength(1);
    const audit = await lifeboat(['audit', 'verify', '--json']);
    expect(audit.code).toBe(0);
    expect(json(audit)['ok']).toBe(true);
    const rebuilt = await lifeboat(['catalog', 'rebuild', '--json']);
    expect(rebuilt.code).toBe(0);
    expect(json(rebuilt)['backups']).toBeGreaterThanOrEqual(3);
  });
});
