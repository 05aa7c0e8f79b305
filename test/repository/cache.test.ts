import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RepositoryCache } from '../../electron/repository/cache.js';
import { CompactIndex } from '../../electron/repository/compact-index.js';
import { deriveEpochKeys } from '../../electron/repository/crypto.js';
import {
  backupDirectory,
  openRepository,
  restoreBackup,
  type Repository,
} from '../../electron/repository/index.js';
import { makeRepo, noise, type TestRepo } from './helpers.js';

const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
const indexName = (n: number) => `index/${hex(n)}`;
const keys = deriveEpochKeys(randomBytes(32), randomBytes(16), 1);
const held = new Map([[1, keys]]);
const compact = CompactIndex.encode(1, [
  { id: hex(0xaa), size: 100, blobs: [[hex(0xbb), 0, 50, 80, 1]] },
]);

let t: TestRepo;
beforeEach(async () => {
  t = await makeRepo();
});
afterEach(async () => {
  await t.cleanup();
});

describe('workstation cache of index files', () => {
  it('gives back an index entry only under its own name, whole, with a key held', async () => {
    const cache = new RepositoryCache(join(t.dir, 'cache'), 'repo-1');
    await cache.writeIndex(indexName(1), compact, keys);
    expect((await cache.readIndex(indexName(1), held))?.packs()).toEqual(compact.packs());
    const folder = join(t.dir, 'cache', 'repo-1', 'index');
    // Renamed to another index's name: the seal binds the name.
    await writeFile(join(folder, hex(2)), await readFile(join(folder, hex(1))));
    expect(await cache.readIndex(indexName(2), held)).toBeUndefined();
    const other = new Map([[1, deriveEpochKeys(randomBytes(32), randomBytes(16), 1)]]);
    expect(await cache.readIndex(indexName(1), other)).toBeUndefined();
    const bytes = await readFile(join(folder, hex(1)));
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 1;
    await writeFile(join(folder, hex(1)), bytes);
    expect(await cache.readIndex(indexName(1), held)).toBeUndefined();
    expect(await cache.readIndex('manifests/whatever', held)).toBeUndefined();
  });

  it('keeps the entries still listed and young temporaries; removes the rest', async () => {
    const cache = new RepositoryCache(join(t.dir, 'cache'), 'repo-1');
    for (const n of [1, 2, 3]) await cache.writeIndex(indexName(n), compact, keys);
    const folder = join(t.dir, 'cache', 'repo-1', 'index');
    await writeFile(join(folder, `${hex(4)}.young.tmp`), 'a write under way');
    await writeFile(join(folder, `${hex(5)}.old.tmp`), 'a write cut short');
    const anHourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(folder, `${hex(5)}.old.tmp`), anHourAgo, anHourAgo);
    await cache.retainIndexes(new Set([indexName(1), indexName(3)]));
    expect((await readdir(folder)).sort()).toEqual([hex(1), hex(3), `${hex(4)}.young.tmp`]);
  });

  it('never fails: a cache that cannot be written is no cache', async () => {
    await writeFile(join(t.dir, 'not-a-folder'), 'a file where the cache folder would be');
    const cache = new RepositoryCache(join(t.dir, 'not-a-folder'), 'repo-1');
    await expect(cache.writeIndex(indexName(1), compact, keys)).resolves.toBeUndefined();
    await expect(cache.writeListSummary('list', Buffer.from('x'))).resolves.toBeUndefined();
    expect(await cache.readIndex(indexName(1), held)).toBeUndefined();
    expect(await cache.readListSummary('list')).toBeUndefined();
    await expect(cache.retainIndexes(new Set())).resolves.toBeUndefined();
  });
});

describe('folder backups with a workstation cache', () => {
  let repo: Repository;
  const src = () => join(t.dir, 'src');
  const cacheFolder = () => join(t.dir, 'cache');

  beforeEach(async () => {
    repo = await openRepository(t.storage, { operatorKey: t.key }, { cacheFolder: cacheFolder() });
    await mkdir(join(src(), 'sub'), { recursive: true });
    for (let n = 0; n < 40; n++) await writeFile(join(src(), `file-${n}.bin`), noise(2000, `${n}`));
    await writeFile(join(src(), 'sub', 'config.json'), '{"quota": 10}');
  });
  afterEach(async () => {
    await repo.close();
  });

  /** Backs the folder up, counting readings of the last list; restores it and reads it back. */
  async function backUp() {
    const readings = vi.spyOn(repo, 'listLines');
    const written = await backupDirectory(repo, src());
    const calls = readings.mock.calls.length;
    readings.mockRestore();
    const out = join(t.dir, `out-${written.id}`);
    await restoreBackup(repo, written.id, out);
    const list = (await repo.loadStoredManifest(written.id)).stored.components[0]?.list;
    return {
      written,
      listReadings: calls,
      list,
      read: (name: string) => readFile(join(out, name)),
    };
  }

  it('keeps the index file a backup writes, so the next one need not read it back', async () => {
    await backupDirectory(repo, src());
    const [name] = await readdir(join(t.dir, 'repo', 'index'));
    expect(await readdir(join(cacheFolder(), repo.id, 'index'))).toEqual([name]);
  });

  it('decides an unchanged folder from the summary, without reading the last list', async () => {
    const first = await backUp();
    const lists = await readdir(join(cacheFolder(), repo.id, 'lists'));
    expect(lists).toHaveLength(1);
    expect(await readdir(join(cacheFolder(), repo.id, 'index'))).toHaveLength(1);
    const second = await backUp();
    expect(second.listReadings).toBe(0);
    expect(second.list).toBeDefined();
    expect(second.list).toEqual(first.list); // the same list, referenced again
    expect(second.written.storedBytes).toBeLessThan(first.written.storedBytes / 10);
    expect((await second.read('sub/config.json')).toString()).toBe('{"quota": 10}');
  });

  it('reads a changed file again, and writes the new list with the unchanged lines', async () => {
    await backUp();
    await writeFile(join(src(), 'file-7.bin'), noise(2001, 'changed')); // another size
    const sameSize = join(src(), 'sub', 'config.json');
    await writeFile(sameSize, '{"quota": 99}'); // same size, another time
    const later = new Date(Date.now() + 5000);
    await utimes(sameSize, later, later);
    const changed = await backUp();
    expect(changed.listReadings).toBe(1); // read forward for the copied lines
    expect(await changed.read('file-7.bin')).toEqual(noise(2001, 'changed'));
    expect(await changed.read('file-8.bin')).toEqual(noise(2000, '8'));
    expect((await changed.read('sub/config.json')).toString()).toBe('{"quota": 99}');
    expect(await readdir(join(cacheFolder(), repo.id, 'lists'))).toHaveLength(1); // replaced
    expect((await backUp()).listReadings).toBe(0);
    expect((await repo.check({ readData: true })).ok).toBe(true);
  });

  it('reads the last list when the summary is tampered with or its index files were replaced', async () => {
    await backUp();
    const lists = join(cacheFolder(), repo.id, 'lists');
    const [summary] = await readdir(lists);
    const bytes = await readFile(join(lists, summary!));
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    await writeFile(join(lists, summary!), bytes);
    expect((await backUp()).listReadings).toBe(1);
    expect((await backUp()).listReadings).toBe(0); // the summary was written again
    await repo.prune(); // every index file is written anew
    const afterPrune = await backUp();
    expect(afterPrune.listReadings).toBe(1);
    expect((await afterPrune.read('file-3.bin')).equals(noise(2000, '3'))).toBe(true);
  });

  it('is never trusted by check: a damaged index file on the storage is found though cached', async () => {
    await backUp();
    const [index] = await readdir(join(t.dir, 'repo', 'index'));
    const path = join(t.dir, 'repo', 'index', index!);
    const bytes = await readFile(path);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
    await writeFile(path, bytes);
    expect((await repo.check()).ok).toBe(false);
  });
});
