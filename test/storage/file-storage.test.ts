import { mkdtemp, readdir, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileStorage, storageError, type Storage } from '../../electron/storage/index.js';

let root: string;
let storage: Storage;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lb-storage-'));
  storage = await openFileStorage(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('filesystem storage', () => {
  it('writes whole objects, reads them whole and by range, lists by prefix, deletes', async () => {
    await storage.put('data/ab/abcd', [Buffer.from('hello '), Buffer.from('world')]);
    await storage.put('index/1', Buffer.from('x'));
    expect((await storage.get('data/ab/abcd')).toString()).toBe('hello world');
    expect((await storage.get('data/ab/abcd', { offset: 6, length: 5 })).toString()).toBe('world');
    expect((await storage.list('data/')).map((o) => o.name)).toEqual(['data/ab/abcd']);
    expect((await storage.list('')).map((o) => o.name)).toEqual(['data/ab/abcd', 'index/1']);
    expect((await storage.stat('index/1'))?.size).toBe(1);
    await storage.delete('index/1');
    await storage.delete('index/1'); // absent: not an error
    expect(await storage.stat('index/1')).toBeUndefined();
  });

  it('replaces an object atomically and leaves no temporary file behind', async () => {
    await storage.put('locks/a', Buffer.from('one'));
    await storage.put('locks/a', Buffer.from('two'));
    expect((await storage.get('locks/a')).toString()).toBe('two');
    expect(await readdir(join(root, 'locks'))).toEqual(['a']);
  });

  it('refuses names that could escape the location', async () => {
    for (const name of ['../x', 'a/../../x', '/etc/passwd', '.hidden', 'a//b', '']) {
      await expect(storage.put(name, Buffer.from('x'))).rejects.toMatchObject({
        code: 'STORAGE_INVALID_NAME',
      });
    }
  });

  it('hides temporaries from listings and sweeps old ones', async () => {
    await storage.put('data/aa/1', Buffer.from('x'));
    const temp = join(root, 'data', 'aa', '.lbtmp-dead');
    await writeFile(temp, 'partial');
    await utimes(temp, new Date(0), new Date(0));
    expect((await storage.list('data/')).map((o) => o.name)).toEqual(['data/aa/1']);
    expect(await storage.sweepTemporaries(60_000)).toBe(1);
    expect(await readdir(join(root, 'data', 'aa'))).toEqual(['1']);
  });

  it('names a missing object or folder with a typed error', async () => {
    await expect(storage.get('manifests/nope')).rejects.toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
    await expect(openFileStorage(join(root, 'missing'))).rejects.toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
  });

  it('reports access denied from a location it cannot write', async () => {
    // As root, permissions do not stop writes, but sysfs does; otherwise a read-only folder does.
    const denied = process.getuid?.() === 0 ? await openFileStorage('/sys') : storage;
    if (denied === storage) await import('node:fs/promises').then((fs) => fs.chmod(root, 0o500));
    await expect(denied.put('probe-object', Buffer.from('x'))).rejects.toMatchObject({
      code: 'STORAGE_ACCESS_DENIED',
    });
  });

  it('probes a location: write, read back, delete, free space', async () => {
    const probe = await storage.probe();
    expect(probe).toMatchObject({ writable: true, readBack: true, deleted: true });
    expect(probe.space?.available).toBeGreaterThan(0);
    expect(await storage.list('')).toEqual([]);
  });

  it('maps system errors to the four operator-facing families', () => {
    const of = (code: string) =>
      storageError(Object.assign(new Error(code), { code }), 'x', '/share').code;
    expect(of('ENOSPC')).toBe('STORAGE_FULL');
    expect(of('EDQUOT')).toBe('STORAGE_FULL');
    expect(of('EACCES')).toBe('STORAGE_ACCESS_DENIED');
    expect(of('EROFS')).toBe('STORAGE_ACCESS_DENIED');
    expect(of('ENOENT')).toBe('STORAGE_NOT_FOUND');
    expect(of('EHOSTDOWN')).toBe('STORAGE_UNREACHABLE');
    expect(of('ESTALE')).toBe('STORAGE_UNREACHABLE');
    expect(of('EWHATEVER')).toBe('STORAGE_IO');
  });
});
