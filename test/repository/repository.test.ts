import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  initRepository,
  isInsideRepository,
  listBackupsWithoutKey,
  openRepository,
  generateOperatorKey,
  type ProgressEvent,
} from '../../electron/repository/index.js';
import { openFileStorage } from '../../electron/storage/index.js';
import {
  makeCertificate,
  makeRepo,
  noise,
  readAll,
  sha256,
  source,
  sqlDump,
  streamOf,
  type TestRepo,
} from './helpers.js';

let t: TestRepo;
beforeEach(async () => {
  t = await makeRepo();
});
afterEach(async () => {
  await t.cleanup();
});

describe('backup and restore', () => {
  it('round-trips artifacts, resumes from an offset, and dedups an unchanged re-backup', async () => {
    const big = Buffer.concat([noise(3_000_000, 'a'), sqlDump(60_000, 'b')]);
    const small = Buffer.from('{"users":[]}');
    const events: ProgressEvent[] = [];
    const w = await t.repo.startBackup({
      source,
      onProgress: (e) => events.push(e),
      expectedTotal: big.length + small.length,
    });
    const record = await w.addArtifact('identity', 'dump.sql', streamOf(big), {
      expectedSize: big.length,
      expectedSha256: sha256(big),
    });
    await w.addArtifact('rbac', 'roles.json', Readable.from([small]));
    w.setComponentResult('identity', { status: 'Succeeded', meta: { digest: 'd1' } });
    const manifest = await w.commit();
    expect(record.sha256).toBe(sha256(big));
    expect(manifest.status).toBe('Succeeded');
    expect(manifest.components.find((c) => c.name === 'identity')?.meta).toEqual({ digest: 'd1' });
    expect(manifest.storedBytes).toBeLessThan(big.length); // the SQL part compressed
    expect(events.at(-1)).toMatchObject({ phase: 'backup', bytesDone: big.length + small.length });

    const whole = await readAll(await t.repo.openArtifact(manifest.id, 'identity', 'dump.sql'));
    expect(whole.equals(big)).toBe(true);
    const offset = 1_234_567;
    const tail = await readAll(
      await t.repo.openArtifact(manifest.id, 'identity', 'dump.sql', { offset }),
    );
    expect(tail.equals(big.subarray(offset))).toBe(true);
    expect(
      (await readAll(await t.repo.openArtifact(manifest.id, 'rbac', 'roles.json'))).equals(small),
    ).toBe(true);

    const again = await t.repo.startBackup({ source });
    await again.addArtifact('identity', 'dump.sql', streamOf(big));
    const second = await again.commit();
    expect(second.storedBytes).toBe(0);
    expect((await t.repo.loadManifest(second.id)).components[0]?.artifacts[0]?.chunks).toEqual(
      record.chunks,
    );
  });

  it('fails only the component whose artifact does not match what the source announced', async () => {
    const w = await t.repo.startBackup({ source });
    await w.addArtifact('identity', 'a', Readable.from([Buffer.from('good')]));
    await expect(
      w.addArtifact('keyvault', 'b', Readable.from([Buffer.from('short')]), { expectedSize: 99 }),
    ).rejects.toMatchObject({
      code: 'REPO_ARTIFACT_MISMATCH',
    });
    const broken = new Readable({
      read() {
        this.destroy(new Error('rack connection reset'));
      },
    });
    await expect(w.addArtifact('rbac', 'c', broken)).rejects.toMatchObject({
      code: 'REPO_ARTIFACT_READ',
    });
    w.setComponentResult('keyvault', { status: 'Succeeded' }); // a recorded failure is not overwritten
    const manifest = await w.commit();
    expect(manifest.status).toBe('PartialSucceeded');
    const status = Object.fromEntries(manifest.components.map((c) => [c.name, c.status]));
    expect(status).toEqual({ identity: 'Succeeded', keyvault: 'Failed', rbac: 'Failed' });
    expect(manifest.components.find((c) => c.name === 'keyvault')?.reason).toMatch(
      /expected 99 bytes/,
    );
  });

  it('lists a backup only after commit, and an aborted one never', async () => {
    const w = await t.repo.startBackup({ source });
    await w.addArtifact('c', 'a', streamOf(noise(500_000, 'x')));
    expect(await t.repo.listBackups()).toEqual([]);
    await w.abort();
    expect(await t.repo.listBackups()).toEqual([]);
    await expect(w.commit()).rejects.toMatchObject({ code: 'REPO_WRITER_CLOSED' });
  });

  it('stops on cancellation and releases the lock', async () => {
    const controller = new AbortController();
    const w = await t.repo.startBackup({ source, signal: controller.signal });
    const endless = new Readable({
      read() {
        this.push(noise(65536, String(Math.random())));
      },
    });
    setTimeout(() => controller.abort(), 200);
    await expect(w.addArtifact('c', 'a', endless)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await t.storage.list('locks/')).toEqual([]);
    expect(await t.repo.listBackups()).toEqual([]);
  });
});

describe('folder restore', () => {
  it('stops when cancelled, leaving no partial file under any name', async () => {
    const { backupDirectory, restoreBackup } = await import('../../electron/repository/index.js');
    const { mkdir, readdir, writeFile } = await import('node:fs/promises');
    const src = `${t.dir}/src`;
    await mkdir(src);
    for (let i = 0; i < 6; i++) await writeFile(`${src}/big-${i}.bin`, noise(3_000_000, `f${i}`));
    const backup = await backupDirectory(t.repo, src);
    const controller = new AbortController();
    const out = `${t.dir}/out`;
    const restoring = restoreBackup(t.repo, backup.id, out, {
      signal: controller.signal,
      onProgress: (event) => {
        if (event.bytesDone > 0) controller.abort();
      },
    });
    await expect(restoring).rejects.toThrow();
    const left = await readdir(out);
    expect(left.filter((name) => name.endsWith('.lifeboat-partial'))).toEqual([]);
    expect(left.length).toBeLessThan(6);
    // Whatever was completed is whole: every file left has its full size.
    for (const name of left) expect((await readFile(`${out}/${name}`)).length).toBe(3_000_000);
  });
});

describe('discovery and keys', () => {
  it('lists backups without a key, then names the key epoch a wrong key lacks', async () => {
    const w = await t.repo.startBackup({ source });
    w.setComponentResult('deployment', { status: 'Skipped', reason: 'not configured' });
    await w.addArtifact('identity', 'a', Readable.from([Buffer.from('x')]));
    const manifest = await w.commit();
    const [summary] = await listBackupsWithoutKey(t.storage);
    expect(summary).toMatchObject({
      id: manifest.id,
      status: 'Succeeded',
      source: { kind: 'rack', id: 'stamp-1', version: '1.2.3' },
      components: { deployment: 'Skipped', identity: 'Succeeded' },
      size: 1,
      epoch: 1,
      verified: false,
    });
    expect(summary?.keys[0]).toMatchObject({ epoch: 1, kind: 'operator' });
    await expect(
      openRepository(t.storage, { operatorKey: generateOperatorKey() }),
    ).rejects.toMatchObject({
      code: 'REPO_WRONG_KEY',
      message: expect.stringContaining(`key epoch 1 (operator key ${summary?.keys[0]?.keyId})`),
    });
    expect((await t.repo.listBackups())[0]?.verified).toBe(true);
  });

  it('rotates to a new epoch: new backups need the new key, old ones their old key', async () => {
    const first = await t.repo.startBackup({ source });
    await first.addArtifact('c', 'a', Readable.from([Buffer.from('epoch one')]));
    const old = await first.commit();
    const newKey = generateOperatorKey();
    const rotated = await t.repo.rotateKey({ operatorKey: newKey });
    expect(rotated.epoch).toBe(2);
    const second = await t.repo.startBackup({ source });
    await second.addArtifact('c', 'a', Readable.from([Buffer.from('epoch one')]));
    const fresh = await second.commit();
    expect(fresh.epoch).toBe(2);
    expect(fresh.storedBytes).toBeGreaterThan(0); // no dedup across epochs by design

    const onlyNew = await openRepository(t.storage, { operatorKey: newKey });
    await expect(onlyNew.loadManifest(old.id)).rejects.toMatchObject({
      code: 'REPO_WRONG_KEY',
      message: expect.stringContaining('key epoch 1'),
    });
    expect((await readAll(await onlyNew.openArtifact(fresh.id, 'c', 'a'))).toString()).toBe(
      'epoch one',
    );
    const onlyOld = await openRepository(t.storage, { operatorKey: t.key });
    await expect(onlyOld.startBackup({ source })).rejects.toMatchObject({
      code: 'REPO_KEY_NOT_CURRENT',
    });
    const usage = await onlyNew.keyUsage();
    expect(usage.map((u) => [u.epoch, u.backups, u.current])).toEqual([
      [1, [old.id], false],
      [2, [fresh.id], true],
    ]);
    await onlyNew.close();
    await onlyOld.close();
  });

  it('certificate mode: writes with the vault master key, reads with the .pfx, refuses by thumbprint', async () => {
    const cert = makeCertificate(t.dir, 'pfx-pass');
    const cer = await readFile(cert.cer);
    const storage = await openFileStorage(`${t.dir}/cert-repo`, { create: true });
    const init = await initRepository(storage, { wrapping: { certificate: cer } });
    const writer = await openRepository(storage, { epoch: init.epoch, masterKey: init.masterKey });
    const w = await writer.startBackup({ source });
    await w.addArtifact('ca', 'root.cer', Readable.from([cer]));
    const manifest = await w.commit();
    await writer.close();

    const [summary] = await listBackupsWithoutKey(storage);
    expect(summary?.keys[0]).toMatchObject({ kind: 'certificate', keyId: cert.thumbprint });
    const reader = await openRepository(storage, {
      pfx: await readFile(cert.pfx),
      password: Buffer.from('pfx-pass'),
    });
    expect(
      (await readAll(await reader.openArtifact(manifest.id, 'ca', 'root.cer'))).equals(cer),
    ).toBe(true);
    await reader.close();
    await expect(
      openRepository(storage, { pfx: await readFile(cert.pfx), password: Buffer.from('wrong') }),
    ).rejects.toMatchObject({
      code: 'REPO_PFX_PASSWORD',
    });
    const other = makeCertificate(`${t.dir}`, 'x'); // overwrites the files: a different certificate
    await expect(
      openRepository(storage, { pfx: await readFile(other.pfx), password: Buffer.from('x') }),
    ).rejects.toMatchObject({
      code: 'REPO_WRONG_KEY',
      message: expect.stringContaining(`the certificate with thumbprint ${cert.thumbprint}`),
    });
    await expect(
      openRepository(storage, { epoch: 1, masterKey: generateOperatorKey() }),
    ).rejects.toMatchObject({ code: 'REPO_WRONG_KEY' });
  });

  it('refuses a second init and finds the repository around a path', async () => {
    await expect(
      initRepository(t.storage, { wrapping: { operatorKey: t.key } }),
    ).rejects.toMatchObject({ code: 'REPO_ALREADY_EXISTS' });
    expect(await isInsideRepository(`${t.dir}/repo/data/ab`)).toBe(`${t.dir}/repo`);
    expect(await isInsideRepository(t.dir)).toBeUndefined();
    const elsewhere = await openFileStorage(t.dir);
    await expect(listBackupsWithoutKey(elsewhere)).rejects.toMatchObject({
      code: 'REPO_NOT_A_REPOSITORY',
    });
  });
});

describe('folder backups', () => {
  it('adds files read by a worker; an unreadable one fails its component, not the backup', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const big = Buffer.concat([sqlDump(80_000, 'f'), noise(2_500_000, 'g')]);
    await mkdir(`${t.dir}/files/folder`, { recursive: true });
    await writeFile(`${t.dir}/files/big.sql`, big);
    const files = async function* () {
      yield [{ name: 'big.sql', path: `${t.dir}/files/big.sql` }];
      // Opens, then fails on the first read (EISDIR): the failure after opening is handled too.
      yield [
        { name: 'folder', path: `${t.dir}/files/folder` },
        { name: 'gone', path: `${t.dir}/files/missing` },
      ];
    };
    const w = await t.repo.startBackup({ source });
    await w.addSortedFiles('identity', files());
    await w.addArtifact('rbac', 'roles.json', streamOf(Buffer.from('{}')));
    const written = await w.commit();
    expect(written.status).toBe('PartialSucceeded');
    expect(written.components[0]).toMatchObject({ status: 'Failed', artifactCount: 1 });
    expect(written.components[0]?.reason).toMatch(
      /folder: reading it failed.*gone: reading it failed/,
    );
    const manifest = await t.repo.loadManifest(written.id);
    const [record] = manifest.components[0]?.artifacts ?? [];
    expect(record).toMatchObject({ name: 'big.sql', size: big.length, sha256: sha256(big) });
    expect(record?.chunks.length).toBeGreaterThan(1);
    const reader = await t.repo.openBackup(manifest.id);
    expect(sha256(await readAll(await reader.openArtifact('identity', 'big.sql')))).toBe(
      sha256(big),
    );
    await reader.close();
  });

  it('stores a chunk another artifact deduplicated against even when its own source fails', async () => {
    const shared = noise(3_000_000, 'shared');
    // The source fails right after its bytes went out, while its chunks may still be sealing.
    const failing = async function* () {
      yield shared;
      throw new Error('rack connection reset');
    };
    const w = await t.repo.startBackup({ source });
    const [failed, kept] = await Promise.allSettled([
      w.addArtifact('identity', 'a', failing()),
      w.addArtifact('keyvault', 'b', streamOf(shared)),
    ]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { code: 'REPO_ARTIFACT_READ' } });
    expect(kept.status).toBe('fulfilled');
    const manifest = await w.commit();
    const report = await t.repo.check({ readData: true });
    expect(report.ok).toBe(true);
    const reader = await t.repo.openBackup(manifest.id);
    expect(sha256(await readAll(await reader.openArtifact('keyvault', 'b')))).toBe(sha256(shared));
    await reader.close();
  });

  it('reuses files with the same size and time unread, and reads changed ones', async () => {
    const { mkdir, writeFile, utimes, readFile: read } = await import('node:fs/promises');
    const { backupDirectory, restoreBackup } = await import('../../electron/repository/index.js');
    const src = `${t.dir}/src`;
    await mkdir(`${src}/sub`, { recursive: true });
    await writeFile(`${src}/same.txt`, 'original');
    await writeFile(`${src}/sub/changed.txt`, 'before');
    const when = new Date('2026-11-01T10:00:00Z'); // whole seconds: utimes keeps them exactly
    await utimes(`${src}/same.txt`, when, when);
    const first = await backupDirectory(t.repo, src);
    await writeFile(`${src}/same.txt`, 'ORIGINAL'); // same size; time put back: a files cache cannot tell
    await utimes(`${src}/same.txt`, when, when);
    await writeFile(`${src}/sub/changed.txt`, 'after, longer');
    const second = await backupDirectory(t.repo, src);
    const listed = (await t.repo.loadManifest(second.id)).components[0]?.artifacts;
    expect(listed?.map((a) => a.name)).toEqual(['same.txt', 'sub/changed.txt']);
    await restoreBackup(t.repo, second.id, `${t.dir}/out`);
    expect(await read(`${t.dir}/out/same.txt`, 'utf8')).toBe('original'); // reused, not read
    expect(await read(`${t.dir}/out/sub/changed.txt`, 'utf8')).toBe('after, longer');
    expect(first.id).not.toBe(second.id);
    await expect(restoreBackup(t.repo, second.id, `${t.dir}/out`)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});
