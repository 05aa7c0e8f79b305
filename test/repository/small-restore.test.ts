import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupDirectory, restoreBackup } from '../../electron/repository/index.js';
import { planRanges, type SmallFile } from '../../electron/repository/small-restore.js';
import {
  packObjectName,
  type BlobLocation,
  type LoadedIndex,
} from '../../electron/repository/store.js';
import { makeRepo, noise, sha256, type TestRepo } from './helpers.js';

const id = (n: number) => n.toString(16).padStart(64, '0');

function indexOf(blobs: Record<string, Omit<BlobLocation, 'epoch' | 'rawLength' | 'compression'>>) {
  const map = new Map<string, BlobLocation>();
  for (const [chunk, at] of Object.entries(blobs))
    map.set(chunk, { ...at, rawLength: at.length, compression: 0, epoch: 1 });
  return { blobs: map, packs: new Map(), files: [], damaged: [] } as LoadedIndex;
}

const file = (name: string, chunks: [string, number][]): SmallFile => ({
  artifact: { name, size: chunks.reduce((s, [, n]) => s + n, 0), sha256: '0'.repeat(64), chunks },
  path: `/out/${name}`,
  label: `files/${name}`,
});

describe('planning small-file reads (pure)', () => {
  it('groups by pack in offset order, splits at 2 MiB and at gaps over 64 KiB, empty files apart', () => {
    const KiB = 1024;
    const index = indexOf({
      [id(1)]: { pack: 'b', offset: 0, length: 10 * KiB },
      [id(2)]: { pack: 'a', offset: 5000 * KiB, length: 10 * KiB },
      [id(3)]: { pack: 'a', offset: 0, length: 10 * KiB },
      [id(4)]: { pack: 'a', offset: 20 * KiB, length: 4000 * KiB },
      [id(5)]: { pack: 'a', offset: 5100 * KiB, length: 10 * KiB },
    });
    const files = [1, 2, 3, 4, 5].map((n) => file(`f${n}`, [[id(n), 1]]));
    const ranges = planRanges([...files, file('empty', [])], index);
    expect(
      ranges.map((r) => [r.pack, r.start / KiB, r.end / KiB, r.files.map((f) => f.artifact.name)]),
    ).toEqual([
      [undefined, 0, 0, ['empty']],
      ['a', 0, 10, ['f3']],
      ['a', 20, 4020, ['f4']],
      ['a', 5000, 5010, ['f2']],
      ['a', 5100, 5110, ['f5']],
      ['b', 0, 10, ['f1']],
    ]);
  });

  it('names a chunk no index holds', () => {
    expect(() => planRanges([file('lost', [[id(9), 1]])], indexOf({}))).toThrow(
      expect.objectContaining({ code: 'REPO_DATA_MISSING' }),
    );
  });
});

describe('restoring small files pack by pack', () => {
  let t: TestRepo;
  beforeEach(async () => {
    t = await makeRepo();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function folder(count: number): Promise<string> {
    const src = join(t.dir, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    for (let i = 0; i < count; i++) {
      await writeFile(join(src, i % 2 ? 'sub' : '', `f-${i}.bin`), noise(1000 + i * 37, `f${i}`));
    }
    await writeFile(join(src, 'empty'), '');
    return src;
  }

  it('restores every file whole, with its time, empty ones included', async () => {
    const src = await folder(300);
    const backup = await t.repo.loadManifest((await backupDirectory(t.repo, src)).id);
    const out = join(t.dir, 'out');
    await restoreBackup(t.repo, backup.id, out);
    for (const artifact of backup.components[0]?.artifacts ?? []) {
      const restored = await readFile(join(out, artifact.name));
      expect(sha256(restored)).toBe(artifact.sha256);
      const { mtimeMs } = await stat(join(out, artifact.name));
      expect(Math.abs(mtimeMs - (artifact.modified ?? 0))).toBeLessThan(1); // a time in ms, as a double
    }
    expect(await readdir(join(out, 'sub'))).toHaveLength(150);
  });

  it('refuses a damaged blob: its file is never created, and every file written is whole', async () => {
    const src = await folder(300);
    const backup = await t.repo.loadManifest((await backupDirectory(t.repo, src)).id);
    const artifacts = backup.components[0]?.artifacts ?? [];
    const victim = artifacts[200];
    if (victim === undefined) throw new Error('no victim');
    const location = (await t.repo.loadIndex()).blobs.get(victim.chunks[0]?.[0] ?? '');
    if (location === undefined) throw new Error('victim not indexed');
    const pack = join(t.dir, 'repo', packObjectName(location.pack));
    const bytes = await readFile(pack);
    bytes[location.offset + 40] = (bytes[location.offset + 40] as number) ^ 0x10;
    await writeFile(pack, bytes);

    const out = join(t.dir, 'out');
    await expect(restoreBackup(t.repo, backup.id, out)).rejects.toMatchObject({
      code: 'REPO_DAMAGED',
      message: expect.stringContaining(victim.name),
    });
    await expect(readFile(join(out, victim.name))).rejects.toMatchObject({ code: 'ENOENT' });
    for (const artifact of artifacts) {
      const restored = await readFile(join(out, artifact.name)).catch(() => undefined);
      if (restored !== undefined) expect(sha256(restored)).toBe(artifact.sha256);
    }
  });
});
