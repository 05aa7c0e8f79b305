import { spawn, execFileSync } from 'node:child_process';
import { readdir, readFile, stat, truncate, unlink, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  encodeOperatorKey,
  initRepository,
  openRepository,
  restoreBackup,
} from '../../electron/repository/index.js';
import { openFileStorage, storageError, type Storage } from '../../electron/storage/index.js';
import { makeRepo, noise, readAll, source, streamOf, type TestRepo } from './helpers.js';

let t: TestRepo;
beforeEach(async () => {
  t = await makeRepo();
});
afterEach(async () => {
  await t.cleanup();
});

async function backupOf(data: Buffer, component = 'identity') {
  const w = await t.repo.startBackup({ source });
  await w.addArtifact(component, 'data.bin', streamOf(data));
  return w.commit();
}

/** The pack files under data/, largest first. */
async function packFiles(): Promise<string[]> {
  const root = join(t.dir, 'repo', 'data');
  const out: { path: string; size: number }[] = [];
  for (const shard of await readdir(root)) {
    for (const file of await readdir(join(root, shard))) {
      const path = join(root, shard, file);
      out.push({ path, size: (await stat(path)).size });
    }
  }
  return out.sort((a, b) => b.size - a.size).map((f) => f.path);
}

describe('damage is named and refused, never returned', () => {
  it('a flipped byte in a pack: check --read-data names the backup; restore refuses it', async () => {
    const damaged = await backupOf(noise(1_500_000, 'victim'));
    const [pack] = await packFiles();
    const healthy = await backupOf(noise(600_000, 'healthy'), 'rbac');
    const bytes = await readFile(pack as string);
    bytes[1000] = (bytes[1000] as number) ^ 0x01;
    await writeFile(pack as string, bytes);

    const report = await t.repo.check({ readData: true });
    expect(report.ok).toBe(false);
    expect(report.damagedBackups).toEqual([damaged.id]);
    expect(report.damage[0]?.components).toEqual([`${damaged.id}/identity`]);
    await expect(
      readAll(await t.repo.openArtifact(damaged.id, 'identity', 'data.bin')),
    ).rejects.toMatchObject({ code: 'REPO_DAMAGED' });
    expect((await readAll(await t.repo.openArtifact(healthy.id, 'rbac', 'data.bin'))).length).toBe(
      600_000,
    );
    expect((await t.repo.verifyBackup(healthy.id, { readData: true })).ok).toBe(true);
    // A folder restore refuses it too, and leaves nothing behind, under any name.
    const out = join(t.dir, 'restored');
    await expect(restoreBackup(t.repo, damaged.id, out)).rejects.toMatchObject({
      code: 'REPO_DAMAGED',
    });
    expect(await readdir(out)).toEqual([]);
    expect((await t.repo.verifyBackup(damaged.id, { readData: true })).damagedComponents).toEqual([
      'identity',
    ]);
  });

  it('backups sharing an unchanged list: check reads it once and names every one of them', async () => {
    const data = noise(1_500_000, 'shared');
    const first = await backupOf(data);
    const second = await backupOf(data);
    const [pack] = await packFiles();
    const bytes = await readFile(pack as string);
    bytes[1000] = (bytes[1000] as number) ^ 0x01;
    await writeFile(pack as string, bytes);
    const listReads = vi.spyOn(t.repo, 'listEntries');

    const report = await t.repo.check({ readData: true });
    expect(listReads).toHaveBeenCalledTimes(1);
    expect(report.damagedBackups).toEqual([first.id, second.id].sort());
    expect(report.damage[0]?.components).toEqual(
      [`${first.id}/identity`, `${second.id}/identity`].sort(),
    );
  });

  it('prune keeps what a list shared by backups names, and frees what only forgotten backups held', async () => {
    const shared = noise(900_000, 'shared');
    const own = noise(900_000, 'own');
    await backupOf(noise(900_000, 'gone'));
    const first = await backupOf(shared);
    const second = await backupOf(shared);
    const last = await backupOf(own); // a list of its own, after the shared one was counted
    expect((await t.repo.forget({ keepLast: 3 })).removed).toHaveLength(1);
    expect((await t.repo.prune()).packsDeleted).toBeGreaterThan(0);
    expect((await t.repo.check({ readData: true })).ok).toBe(true);
    const expected: [string, Buffer][] = [
      [first.id, shared],
      [second.id, shared],
      [last.id, own],
    ];
    for (const [id, data] of expected) {
      const restored = await readAll(await t.repo.openArtifact(id, 'identity', 'data.bin'));
      expect(restored.equals(data)).toBe(true);
    }
  });

  it('a truncated pack: even the structural check names the backup; restore refuses', async () => {
    const damaged = await backupOf(noise(1_000_000, 'victim'));
    const [pack] = await packFiles();
    await truncate(pack as string, 500_000);
    const report = await t.repo.check();
    expect(report.damagedBackups).toEqual([damaged.id]);
    expect(report.damage[0]).toMatchObject({
      problem: 'corrupt',
      object: expect.stringMatching(/^data\//),
    });
    // The backup's artifact list lies in the same pack: opening it already refuses.
    await expect(
      t.repo.openArtifact(damaged.id, 'identity', 'data.bin').then(readAll),
    ).rejects.toMatchObject({
      code: expect.stringMatching(/REPO_DAMAGED|REPO_DATA_MISSING/),
    });
  });

  it('a deleted index: check names the backups, restore refuses, prune re-indexes the surviving packs', async () => {
    const data = noise(700_000, 'indexed');
    const backup = await backupOf(data);
    for (const index of await readdir(join(t.dir, 'repo', 'index')))
      await unlink(join(t.dir, 'repo', 'index', index));
    const report = await t.repo.check();
    expect(report.damagedBackups).toEqual([backup.id]);
    expect(report.damage[0]?.object).toMatch(/^index \(for data\//);
    await expect(
      t.repo.openArtifact(backup.id, 'identity', 'data.bin').then(readAll),
    ).rejects.toMatchObject({ code: 'REPO_DATA_MISSING' });
    const pruned = await t.repo.prune();
    expect(pruned.packsDeleted).toBe(0);
    expect((await t.repo.check({ readData: true })).ok).toBe(true);
    expect(
      (await readAll(await t.repo.openArtifact(backup.id, 'identity', 'data.bin'))).equals(data),
    ).toBe(true);
  });

  it('a manifest the storage returns altered is withdrawn: the backup fails and is not listed', async () => {
    const storage = await openFileStorage(join(t.dir, 'repo'));
    const altering = new Proxy(storage, {
      get(target, property, receiver) {
        if (property !== 'get') return Reflect.get(target, property, receiver) as unknown;
        return async (name: string, range?: { offset: number; length: number }) => {
          const bytes = await target.get(name, range);
          if (name.startsWith('manifests/'))
            bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
          return bytes;
        };
      },
    });
    const repo = await openRepository(altering, { operatorKey: t.key });
    const w = await repo.startBackup({ source });
    await w.addArtifact('identity', 'data.bin', streamOf(noise(10_000, 'x')));
    await expect(w.commit()).rejects.toMatchObject({ code: 'REPO_DAMAGED' });
    expect(await t.repo.listBackups()).toEqual([]);
    await repo.close();
  });

  it('a tampered manifest label: check names it, listing drops it, loading refuses it', async () => {
    const backup = await backupOf(Buffer.from('payload'));
    const path = join(t.dir, 'repo', 'manifests', backup.id);
    const bytes = await readFile(path);
    await writeFile(
      path,
      Buffer.from(bytes.toString('latin1').replace('"1.2.3"', '"9.9.9"'), 'latin1'),
    );
    expect((await t.repo.check()).damagedBackups).toEqual([backup.id]);
    expect(await t.repo.listBackups()).toEqual([]);
    await expect(t.repo.loadManifest(backup.id)).rejects.toMatchObject({ code: 'REPO_DAMAGED' });
  });
});

/** Wraps a real storage and fails writes with a real-looking ENOSPC once `limit` bytes were written. */
function fillingUp(inner: Storage, limit: number): Storage {
  let written = 0;
  return Object.assign(Object.create(inner) as Storage, {
    async put(name: string, data: Buffer | readonly Buffer[]) {
      const size = (Buffer.isBuffer(data) ? [data] : data).reduce(
        (sum, part) => sum + part.length,
        0,
      );
      written += size;
      if (written > limit)
        throw storageError(
          Object.assign(new Error('no space'), { code: 'ENOSPC' }),
          name,
          inner.location,
        );
      return inner.put(name, data);
    },
  });
}

function mountSmallFilesystem(dir: string, size: string): (() => void) | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return () => execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
}

describe('location full', () => {
  it('a small real filesystem: STORAGE_FULL, older backups intact (or an injected ENOSPC where mounting is not allowed)', async () => {
    const mountPoint = join(t.dir, 'small');
    await mkdir(mountPoint);
    const unmount = mountSmallFilesystem(mountPoint, '6m');
    try {
      const key = t.key;
      let storage: Storage = await openFileStorage(mountPoint);
      if (unmount === undefined) storage = fillingUp(storage, 6 * 1024 * 1024);
      await initRepository(storage, { wrapping: { operatorKey: key } });
      const repo = await openRepository(storage, { operatorKey: key });
      const first = await repo.startBackup({ source });
      await first.addArtifact('c', 'small', streamOf(noise(1_000_000, 'fits')));
      const kept = await first.commit();
      const second = await repo.startBackup({ source });
      // The location fills while a pack is flushed: during addArtifact or, for the last pack, at commit.
      const attempt = (async () => {
        await second.addArtifact('c', 'big', streamOf(noise(10_000_000, 'too big')));
        return second.commit();
      })();
      await expect(attempt).rejects.toMatchObject({
        code: 'STORAGE_FULL',
        hint: expect.stringContaining('existing backups are intact'),
      });
      await expect(second.commit()).rejects.toMatchObject({ code: 'REPO_WRITER_CLOSED' });
      expect((await repo.listBackups()).map((b) => b.id)).toEqual([kept.id]);
      expect((await readAll(await repo.openArtifact(kept.id, 'c', 'small'))).length).toBe(
        1_000_000,
      );
      expect((await repo.check({ readData: true })).ok).toBe(true);
      await repo.close();
    } finally {
      unmount?.();
    }
  });
});

describe('concurrency and crashes', () => {
  it('two backups at once: the second fails naming the holder, or waits for it', async () => {
    const first = await t.repo.startBackup({ source });
    await expect(t.repo.startBackup({ source })).rejects.toMatchObject({
      code: 'REPO_LOCKED',
      message: expect.stringContaining(`backup by process ${process.pid}`),
    });
    const waiting = t.repo.startBackup({ source, lockWaitMs: 20_000 });
    await first.addArtifact('c', 'a', Readable.from([Buffer.from('one')]));
    await first.commit();
    const second = await waiting;
    await second.addArtifact('c', 'a', Readable.from([Buffer.from('two')]));
    await second.commit();
    expect(await t.repo.listBackups()).toHaveLength(2);
  });

  it('SIGKILL at random moments, many times: the repository checks clean and the next backup succeeds', async () => {
    const keyFile = join(t.dir, 'op.key');
    await writeFile(keyFile, encodeOperatorKey(t.key));
    const fixture = new URL('./fixtures/backup-forever.ts', import.meta.url).pathname;
    const delays: number[] = [];
    const committed: string[] = [];
    let cutMidCommit = 0;
    for (let round = 0; round < 6; round++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fixture, join(t.dir, 'repo'), keyFile],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const delay = Math.floor(Math.random() * 1500);
      delays.push(delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const lines = output.split('\n');
      committed.push(...lines.filter((l) => l.startsWith('committed ')).map((l) => l.slice(10)));
      if (
        lines.filter((l) => l.startsWith('committing ')).length >
        lines.filter((l) => l.startsWith('committed ')).length
      )
        cutMidCommit++;
    }
    const context = `kill delays ${delays.join(',')} ms, ${committed.length} backups committed, ${cutMidCommit} cut mid-commit`;
    const report = await t.repo.check({ readData: true });
    expect(report.damage, context).toEqual([]);
    // Every reported backup is listed; a kill during commit may add one complete, checked backup.
    const listed = (await t.repo.listBackups()).map((b) => b.id);
    expect(listed, context).toEqual(expect.arrayContaining(committed));
    expect(listed.length, context).toBeLessThanOrEqual(committed.length + cutMidCommit);
    const next = await t.repo.startBackup({ source }); // stale locks of the dead processes are cleared
    await next.addArtifact('c', 'a', Readable.from([Buffer.from('after the crashes')]));
    await next.commit();
    await t.repo.prune();
    expect((await t.repo.check({ readData: true })).unindexedPacks, context).toBe(0);
    expect((await t.repo.check({ readData: true })).ok, context).toBe(true);
    await rm(keyFile);
  });
});
