import { mkdir, open, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as pause } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lineOf } from '../../electron/repository/artifact-list.js';
import { backupDirectory, restoreBackup } from '../../electron/repository/index.js';
import { orderedBatches } from '../../electron/repository/lanes.js';
import { manifestObjectName, openManifest } from '../../electron/repository/manifest.js';
import { packObjectName } from '../../electron/repository/store.js';
import { makeRepo, sha256, source, type TestRepo } from './helpers.js';

/** 0 .. n-1, in runs of uneven lengths (1, 2, ... 13, then again). */
async function* count(n: number) {
  for (let i = 0, length = 1; i < n; i += length, length = (length % 13) + 1) {
    yield Array.from({ length: Math.min(length, n - i) }, (_, k) => i + k);
  }
}

describe('ordered batches', () => {
  it('emits results in batch order however the batches finish, holding few ahead', async () => {
    const emitted: number[] = [];
    let started = 0;
    let maxAhead = 0;
    await orderedBatches(
      count(1000),
      { size: 7, lanes: 4, ahead: 3 },
      async (batch) => {
        started++;
        maxAhead = Math.max(maxAhead, started - emitted.length / 7 - 4);
        await pause((batch[0] as number) % 5);
        return batch;
      },
      async (batch) => {
        emitted.push(...batch);
      },
    );
    expect(emitted).toEqual([...Array(1000).keys()]);
    expect(maxAhead).toBeLessThanOrEqual(4);
  });

  it('starts no batch after a failure, and throws it once the running ones settle', async () => {
    let running = 0;
    let startedAfter = 0;
    let failed = false;
    const outcome = orderedBatches(
      count(10_000),
      { size: 10, lanes: 4, ahead: 8 },
      async (batch) => {
        if (failed) startedAfter++;
        running++;
        await pause(2);
        running--;
        if (batch[0] === 300) {
          failed = true;
          throw new Error('batch 30 failed');
        }
        return batch;
      },
      async () => undefined,
    );
    await expect(outcome).rejects.toThrow('batch 30 failed');
    expect(running).toBe(0);
    expect(startedAfter).toBeLessThanOrEqual(3);
  });
});

describe('folder backups in list order', () => {
  let t: TestRepo;
  beforeEach(async () => {
    t = await makeRepo();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('walks names the way lists sort them: dots, digits, dashes, capitals, accents, nesting', async () => {
    const src = join(t.dir, 'src');
    const names = ['a.txt', 'a/b.txt', 'a/z/y', 'a0', 'a-b', 'A', 'ä', 'b/c/d/e', 'b.c', 'b0/x'];
    for (const name of names) {
      await mkdir(join(src, name, '..'), { recursive: true });
      await writeFile(join(src, name), `content of ${name}`);
    }
    const written = await backupDirectory(t.repo, src);
    expect(written.components[0]).toMatchObject({ status: 'Succeeded', artifactCount: 10 });
    const listed = (await t.repo.loadManifest(written.id)).components[0]?.artifacts ?? [];
    expect(listed.map((a) => a.name)).toEqual([...names].sort());
    const out = join(t.dir, 'out');
    await restoreBackup(t.repo, written.id, out);
    for (const name of names) {
      expect(await readFile(join(out, name), 'utf8')).toBe(`content of ${name}`);
    }
  });

  it('refuses names out of order, and a streamed component takes no other artifact', async () => {
    const src = join(t.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'a'), 'a');
    await writeFile(join(src, 'b'), 'b');
    const unordered = async function* () {
      yield [{ name: 'b', path: join(src, 'b') }];
      yield [{ name: 'a', path: join(src, 'a') }];
    };
    const w = await t.repo.startBackup({ source });
    await expect(w.addSortedFiles('files', unordered())).rejects.toMatchObject({
      code: 'REPO_INVALID_NAME',
    });
    const again = await t.repo.startBackup({ source });
    const inOrder = async function* () {
      yield [{ name: 'a', path: join(src, 'a') }];
    };
    await again.addSortedFiles('files', inOrder());
    await expect(
      again.addArtifact('files', 'later', Readable.from([Buffer.from('x')])),
    ).rejects.toMatchObject({ code: 'REPO_INVALID_NAME' });
    await again.abort();
  });

  it('reuses a last line only when its chunks are stored: else the file is read', async () => {
    const src = join(t.dir, 'src');
    await mkdir(src);
    const when = new Date('2026-11-01T10:00:00Z');
    const lastLine = (name: string, content: string, chunk: string) => ({
      name,
      index: name === 'same' ? 0 : 1,
      line: lineOf({
        name,
        size: content.length,
        sha256: sha256(Buffer.from(content)),
        chunks: [[chunk, content.length]],
        modified: when.getTime(),
      }),
    });
    await writeFile(join(src, 'same'), 'same text');
    await writeFile(join(src, 'stale'), 'new text!');
    await utimes(join(src, 'same'), when, when);
    await utimes(join(src, 'stale'), when, when);
    const first = await backupDirectory(t.repo, src);
    const [stored] = (await t.repo.loadManifest(first.id)).components[0]?.artifacts ?? [];
    const storedChunk = stored?.chunks[0]?.[0] ?? '';
    // 'stale' has the size and time its line says, but the line names a chunk never stored.
    const files = async function* () {
      yield [
        {
          name: 'same',
          path: join(src, 'same'),
          previous: lastLine('same', 'same text', storedChunk),
        },
        {
          name: 'stale',
          path: join(src, 'stale'),
          previous: lastLine('stale', 'old text!', sha256(Buffer.from('pruned'))),
        },
      ];
    };
    const w = await t.repo.startBackup({ source });
    await w.addSortedFiles('files', files());
    const second = await w.commit();
    const artifacts = (await t.repo.loadManifest(second.id)).components[0]?.artifacts;
    expect(artifacts?.map((a) => [a.name, a.sha256])).toEqual([
      ['same', sha256(Buffer.from('same text'))],
      ['stale', sha256(Buffer.from('new text!'))], // read, not copied from its line
    ]);
  });

  it('a folder of thousands of unreadable files still makes a readable manifest', async () => {
    const missing = async function* () {
      for (let i = 0; i < 2000; i++) {
        const name = `gone-${String(i).padStart(4, '0')}.json`;
        yield [{ name, path: join(t.dir, 'nowhere', name) }];
      }
    };
    const w = await t.repo.startBackup({ source });
    await w.addSortedFiles('files', missing());
    await w.addArtifact('rbac', 'roles.json', Readable.from([Buffer.from('{}')]));
    const written = await w.commit();
    const component = (await t.repo.loadManifest(written.id)).components[0];
    expect(component?.status).toBe('Failed');
    expect(component?.reason?.length).toBeLessThanOrEqual(4096);
    expect(component?.reason).toMatch(/^gone-\d{4}\.json: reading it failed .*; and \d+ more$/);
  });

  it('a cancelled folder backup stops, lists nothing and releases the lock', async () => {
    const src = join(t.dir, 'src');
    await mkdir(src);
    for (let i = 0; i < 400; i++) await writeFile(join(src, `f-${i}`), `file ${i}`.repeat(500));
    const controller = new AbortController();
    const backingUp = backupDirectory(t.repo, src, {
      signal: controller.signal,
      onProgress: (event) => {
        if (event.bytesDone > 0) controller.abort();
      },
    });
    await expect(backingUp).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await t.repo.listBackups()).toEqual([]);
    const after = await backupDirectory(t.repo, src);
    expect(after.components[0]).toMatchObject({ status: 'Succeeded', artifactCount: 400 });
  });

  it('a damaged last backup only means files are read again', async () => {
    const src = join(t.dir, 'src');
    await mkdir(src);
    for (let i = 0; i < 50; i++) await writeFile(join(src, `f-${i}`), `file ${i}`);
    const first = await backupDirectory(t.repo, src);
    // Damage the first backup's list chunk (the one of its manifest's component).
    const name = manifestObjectName(first.id);
    const keys = t.repo.epochKeys(first.epoch);
    if (keys === undefined) throw new Error('no keys');
    const stored = openManifest(await t.storage.get(name), keys, name);
    const listChunk = stored.components[0]?.list?.chunks[0]?.[0] ?? '';
    const location = (await t.repo.loadIndex(true)).blobs.get(listChunk);
    if (location === undefined) throw new Error('list chunk not indexed');
    const handle = await open(join(t.dir, 'repo', packObjectName(location.pack)), 'r+');
    await handle.write(Buffer.of(0xff), 0, 1, location.offset + 30);
    await handle.close();

    // (One file changes, so the new list is new bytes, not the damaged chunk deduplicated.)
    await writeFile(join(src, 'f-7'), 'file 7, changed');
    const second = await backupDirectory(t.repo, src);
    expect(second.status).toBe('Succeeded');
    const out = join(t.dir, 'out');
    await restoreBackup(t.repo, second.id, out);
    for (let i = 0; i < 50; i++) {
      const content = i === 7 ? 'file 7, changed' : `file ${i}`;
      expect(sha256(await readFile(join(out, `f-${i}`)))).toBe(sha256(Buffer.from(content)));
    }
  });
});
