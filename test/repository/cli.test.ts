import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../electron/cli/main.js';
import { noise } from './helpers.js';

let dir: string;

async function lifeboat(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(['--home', join(dir, 'home'), ...argv], {
    stdout,
    stderr,
    stdin: new PassThrough(),
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-cli-'));
  await mkdir(join(dir, 'src', 'nested'), { recursive: true });
  await writeFile(join(dir, 'src', 'keys.bin'), noise(400_000, 'keys'));
  await writeFile(
    join(dir, 'src', 'nested', 'plans.json'),
    JSON.stringify({ plans: Array.from({ length: 5000 }, (_, i) => ({ i })) }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lifeboat repo', () => {
  it('init, backup, list, restore, check, forget, key rotate: exit codes and output', async () => {
    const repo = ['--repo', join(dir, 'repo')];
    const key = join(dir, 'operator.key');
    expect((await lifeboat('repo', 'init', ...repo, '--generate-key', key)).code).toBe(0);
    expect((await readFile(key, 'utf8')).trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const backup = await lifeboat('repo', 'backup', ...repo, '--key-file', key, join(dir, 'src'));
    expect(backup.code).toBe(0);
    const id = backup.out.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await lifeboat('--json', 'repo', 'list', ...repo);
    expect(JSON.parse(listed.out)).toMatchObject([
      { id, status: 'Succeeded', verified: false, epoch: 1 },
    ]);

    const restored = await lifeboat(
      'repo',
      'restore',
      id,
      ...repo,
      '--key-file',
      key,
      '--to',
      join(dir, 'out'),
    );
    expect(restored.code).toBe(0);
    expect(
      (await readFile(join(dir, 'out', 'nested', 'plans.json'))).equals(
        await readFile(join(dir, 'src', 'nested', 'plans.json')),
      ),
    ).toBe(true);
    expect(
      (await readFile(join(dir, 'out', 'keys.bin'))).equals(
        await readFile(join(dir, 'src', 'keys.bin')),
      ),
    ).toBe(true);

    const check = await lifeboat(
      '--json',
      'repo',
      'check',
      ...repo,
      '--key-file',
      key,
      '--read-data-subset',
      '0.5',
    );
    expect(check.code).toBe(0);
    expect(JSON.parse(check.out)).toMatchObject({ ok: true, packsRead: 1 });

    const wrong = join(dir, 'wrong.key');
    await lifeboat('repo', 'init', '--repo', join(dir, 'other'), '--generate-key', wrong);
    const refused = await lifeboat(
      'repo',
      'restore',
      id,
      ...repo,
      '--key-file',
      wrong,
      '--to',
      join(dir, 'out2'),
    );
    expect(refused.code).toBe(5);
    expect(refused.err).toMatch(/REPO_WRONG_KEY.*key epoch 1/);

    const dry = await lifeboat(
      '--json',
      'repo',
      'forget',
      ...repo,
      '--key-file',
      key,
      '--keep-last',
      '0',
      '--dry-run',
      '--prune',
    );
    expect(JSON.parse(dry.out)).toMatchObject({ dryRun: true, removed: [] }); // the newest good backup stays

    expect(
      (
        await lifeboat(
          'repo',
          'key',
          'rotate',
          ...repo,
          '--key-file',
          key,
          '--generate-key',
          join(dir, 'new.key'),
        )
      ).code,
    ).toBe(0);
    const usage = await lifeboat(
      '--json',
      'repo',
      'key',
      'list',
      ...repo,
      '--key-file',
      join(dir, 'new.key'),
    );
    expect(JSON.parse(usage.out)).toMatchObject([
      { epoch: 1, backups: [id] },
      { epoch: 2, current: true },
    ]);
  });

  it('refuses usage errors and a repository inside another with non-zero exits', async () => {
    expect((await lifeboat('repo', 'backup', '--repo', join(dir, 'repo'))).code).toBe(2);
    const nested = await lifeboat(
      'repo',
      'init',
      '--repo',
      join(dir, 'repo', 'inner'),
      '--generate-key',
      join(dir, 'x.key'),
    );
    expect(nested.code).toBe(2);
    expect(nested.err).toMatch(/inside the repository/);
    const missing = await lifeboat('repo', 'list', '--repo', join(dir, 'nowhere'));
    expect(missing.code).toBe(6);
    expect(missing.err).toMatch(/STORAGE_NOT_FOUND/);
  });
});
