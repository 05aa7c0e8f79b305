import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDirectory, restoreBackup } from '../../electron/repository/index.js';
import { INDEX_PART_BLOBS } from '../../electron/repository/writer.js';
import { makeRepo, noise, type TestRepo } from './helpers.js';

// 2 KiB files fill a 16 MiB pack with about 8,000 blobs: the first index file is written once
// three packs are, and the files beyond make a second.
const FILE_BYTES = 2048;
const FILES = INDEX_PART_BLOBS + 9600;

let t: TestRepo;
let folder: string;
beforeAll(async () => {
  t = await makeRepo();
  folder = join(t.dir, 'many');
  const bytes = noise(FILES * FILE_BYTES, 'many small files');
  for (let group = 0; group * 1000 < FILES; group++) {
    mkdirSync(join(folder, `group-${group}`), { recursive: true });
    for (let i = group * 1000; i < Math.min(FILES, (group + 1) * 1000); i++) {
      writeFileSync(
        join(folder, `group-${group}`, `file-${i}`),
        bytes.subarray(i * FILE_BYTES, (i + 1) * FILE_BYTES),
      );
    }
  }
}, 60_000);
afterAll(async () => {
  await t.cleanup();
});

describe('index files a backup writes', () => {
  it('names its packs in an index file per INDEX_PART_BLOBS blobs, all of them read back', async () => {
    const written = await backupDirectory(t.repo, folder);
    expect(await readdir(join(t.dir, 'repo', 'index'))).toHaveLength(2);
    const report = await t.repo.check({ readData: true });
    expect(report.damage).toEqual([]);
    const out = join(t.dir, 'out');
    await restoreBackup(t.repo, written.id, out);
    for (const i of [0, INDEX_PART_BLOBS, FILES - 1]) {
      const name = join(`group-${Math.floor(i / 1000)}`, `file-${i}`);
      expect((await readFile(join(out, name))).equals(await readFile(join(folder, name)))).toBe(
        true,
      );
    }
  }, 60_000);
});
