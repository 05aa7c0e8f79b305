import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  listPieces,
  lineOf,
  entriesOfLines,
  reusableSize,
  nameOfLine,
  readListLines,
  sortedByName,
  type ListRef,
} from '../../electron/repository/artifact-list.js';
import { DEFAULT_CHUNKER, FastCdc, gearTable } from '../../electron/repository/chunker.js';
import { chunkIdOf, deriveEpochKeys, sealChunk } from '../../electron/repository/crypto.js';
import { backupDirectory, restoreBackup } from '../../electron/repository/index.js';
import {
  manifestObjectName,
  openManifest,
  sealManifest,
  type StoredManifest,
} from '../../electron/repository/manifest.js';
import type { StoredBlob } from '../../electron/repository/pool.js';
import type { ArtifactRecord } from '../../electron/repository/types.js';
import { makeRepo, readAll, sha256, type TestRepo } from './helpers.js';

const keys = deriveEpochKeys(Buffer.alloc(32, 7), Buffer.alloc(16, 1), 1);

function records(count: number): ArtifactRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `folder-${i % 37}/file-${i}.json`,
    size: 1000 + i,
    sha256: sha256(Buffer.from(`content ${i}`)),
    chunks: [[sha256(Buffer.from(`chunk ${i}`)), 1000 + i]] as const,
    ...(i % 3 === 0 ? { modified: 1_764_000_000_000 + i } : {}),
  }));
}

/** A list cut as a worker cuts it (section 6): its text, chunked and keyed like any artifact. */
function cutList(sorted: readonly ArtifactRecord[]) {
  const chunker = new FastCdc(gearTable(keys.chunker), DEFAULT_CHUNKER);
  const sha = createHash('sha256');
  const chunks: { id: string; plain: Buffer }[] = [];
  const keep = (view: Buffer) => {
    const plain = Buffer.from(view);
    chunks.push({ id: chunkIdOf(keys.chunkId, plain).toString('hex'), plain });
  };
  let size = 0;
  for (const piece of listPieces(sorted)) {
    const bytes = Buffer.from(piece);
    sha.update(bytes);
    size += bytes.length;
    chunker.push(bytes, keep);
  }
  chunker.finish(keep);
  const ref: ListRef = {
    count: sorted.length,
    size,
    sha256: sha.digest('hex'),
    chunks: chunks.map(({ id, plain }) => [id, plain.length]),
  };
  return { ref, chunks };
}

/** A list's records, read back entry by entry. */
async function readList(
  ref: ListRef,
  blobs: AsyncIterable<StoredBlob>,
  where: string,
): Promise<ArtifactRecord[]> {
  const records: ArtifactRecord[] = [];
  for await (const entries of entriesOfLines(readListLines(ref, blobs, keys, where), where)) {
    for (const { record, line } of entries) {
      expect(line.endsWith('\n')).toBe(true);
      records.push(record);
    }
  }
  return records;
}

/** The sealed blobs of a cut list, as a pack read would return them. */
async function* blobsOf(chunks: readonly { id: string; plain: Buffer }[]) {
  for (const { id, plain } of chunks) {
    const { blob, compression } = sealChunk(keys.data, Buffer.from(id, 'hex'), plain);
    const stored: StoredBlob = { id, blob, compression, rawLength: plain.length, object: 'pack' };
    yield stored;
  }
}

describe('artifact lists (pure)', () => {
  it('round-trips thousands of records across several chunks, in name order', async () => {
    const sorted = sortedByName(records(30_000));
    const { ref, chunks } = cutList(sorted);
    expect(chunks.length).toBeGreaterThan(1);
    expect(ref.count).toBe(30_000);
    expect(await readList(ref, blobsOf(chunks), 'list')).toEqual(sorted);
  });

  it('cuts equal lists into equal chunks, and a one-record change leaves most chunks alone', () => {
    const sorted = sortedByName(records(30_000));
    const first = cutList(sorted);
    expect(cutList(sortedByName(records(30_000))).ref).toEqual(first.ref);
    const changed = sorted.map((r, i) => (i === 20_000 ? { ...r, size: r.size + 1 } : r));
    const second = cutList(changed);
    const before = new Set(first.ref.chunks.map(([id]) => id));
    const fresh = second.ref.chunks.filter(([id]) => !before.has(id));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.length).toBeLessThan(second.ref.chunks.length);
  });

  it('refuses a refused chunk, a wrong SHA-256, a wrong count, and names out of order', async () => {
    const sorted = sortedByName(records(50));
    const { ref, chunks } = cutList(sorted);
    const read = (r: ListRef, c = chunks) => readList(r, blobsOf(c), 'the list');
    const tampered = chunks.map(({ id, plain }, i) => {
      const copy = Buffer.from(plain);
      if (i === 0) copy.writeUInt8((copy.readUInt8(5) ^ 1) & 0xff, 5);
      return { id, plain: copy };
    });
    await expect(read(ref, tampered)).rejects.toMatchObject({ code: 'REPO_DAMAGED' });
    await expect(read({ ...ref, sha256: '0'.repeat(64) })).rejects.toThrow(/SHA-256/);
    await expect(read({ ...ref, count: 49 })).rejects.toThrow(/holds 50 records, not 49/);
    const unsorted = cutList([...sorted].reverse());
    await expect(read(unsorted.ref, unsorted.chunks)).rejects.toThrow(/out of order/);
  });
});

describe('list line names (pure)', () => {
  it('reads the name a line begins with, escapes and all, and nothing from a malformed line', () => {
    const names = ['plain.txt', 'quote"in', 'back\\slash', 'tab\there', 'üñí/ç😀', 'a","size":1'];
    for (const name of names) {
      const line = `${JSON.stringify({ name, size: 0, sha256: '0'.repeat(64), chunks: [] })}\n`;
      expect(nameOfLine(line)).toBe(name);
    }
    for (const bad of ['', '{"size":0}', '{"name":"unterminated', '{"name": "spaced"}', '["x"]']) {
      expect(nameOfLine(bad)).toBeUndefined();
    }
  });
});

describe('reusing a file from its last line (pure)', () => {
  const id = (text: string) => sha256(Buffer.from(text));
  const line = lineOf({
    name: 'a.json',
    size: 10,
    sha256: id('whole'),
    chunks: [
      [id('one'), 4],
      [id('two'), 6],
    ],
    modified: 1_764_000_000_000,
  });
  const everyChunk = () => true;

  it('reuses a line of the same size and time whose chunks are stored and add up', () => {
    expect(reusableSize(line, 10, 1_764_000_000_000, everyChunk)).toBe(10);
  });

  it('reads the file again otherwise', () => {
    expect(reusableSize(line, 11, 1_764_000_000_000, everyChunk)).toBeUndefined();
    expect(reusableSize(line, 10, 1_764_000_000_001, everyChunk)).toBeUndefined();
    // A chunk no longer stored in this epoch (pruned, or its index lost).
    expect(reusableSize(line, 10, 1_764_000_000_000, (c) => c !== id('two'))).toBeUndefined();
    const short = line.replace(',6]', ',5]');
    expect(reusableSize(short, 10, 1_764_000_000_000, everyChunk)).toBeUndefined();
    const timeless = lineOf({ name: 'a.json', size: 10, sha256: id('whole'), chunks: [] });
    expect(reusableSize(timeless, 10, 1_764_000_000_000, everyChunk)).toBeUndefined();
    expect(reusableSize('{"name":"a.json"', 10, 1_764_000_000_000, everyChunk)).toBeUndefined();
  });
});

describe('artifact lists in a repository', () => {
  let t: TestRepo;
  beforeEach(async () => {
    t = await makeRepo();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const objects = async (folder: string) =>
    (await readdir(join(t.dir, 'repo', folder), { recursive: true })).length;

  async function folderOf(count: number): Promise<string> {
    const src = join(t.dir, 'src');
    await mkdir(src, { recursive: true });
    const when = new Date('2026-11-01T10:00:00Z');
    for (let i = 0; i < count; i++) {
      const path = join(src, `file-${String(i).padStart(5, '0')}.txt`);
      await writeFile(path, `file ${i}\n`);
      await utimes(path, when, when);
    }
    return src;
  }

  it('an unchanged re-backup of thousands of files stores no pack and no index, only a small manifest', async () => {
    const src = await folderOf(3000);
    const first = await backupDirectory(t.repo, src);
    const [packs, indexes] = [await objects('data'), await objects('index')];
    const second = await backupDirectory(t.repo, src);
    expect(second.storedBytes).toBe(0);
    expect([await objects('data'), await objects('index')]).toEqual([packs, indexes]);
    const manifestBytes = (await stat(join(t.dir, 'repo', manifestObjectName(second.id)))).size;
    expect(manifestBytes).toBeLessThan(2048);
    const loaded = await t.repo.loadManifest(second.id);
    const before = await t.repo.loadManifest(first.id);
    expect(loaded.components[0]?.artifacts).toEqual(before.components[0]?.artifacts);
    expect(loaded.components[0]?.artifacts).toHaveLength(3000);
    expect(second.components[0]?.artifactCount).toBe(3000);
  });

  it('a damaged list chunk: the structural check names the component, loading refuses', async () => {
    const src = await folderOf(20);
    const backup = await backupDirectory(t.repo, src);
    const name = manifestObjectName(backup.id);
    const bytes = await t.storage.get(name);
    const epochKeys = t.repo.epochKeys(backup.epoch);
    if (epochKeys === undefined) throw new Error('no keys');
    const stored = openManifest(bytes, epochKeys, name);
    const [listChunk] = stored.components[0]?.list?.chunks ?? [];
    const location = (await t.repo.loadIndex(true)).blobs.get(listChunk?.[0] ?? '');
    if (location === undefined) throw new Error('list chunk not indexed');
    const pack = join(t.dir, 'repo', 'data', location.pack.slice(0, 2), location.pack);
    const handle = await open(pack, 'r+');
    const at = location.offset + 20;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    await handle.write(Buffer.of((byte[0] as number) ^ 0x40), 0, 1, at);
    await handle.close();

    const report = await t.repo.check();
    expect(report.damagedBackups).toEqual([backup.id]);
    expect(report.damage[0]?.components).toEqual([`${backup.id}/files`]);
    await expect(t.repo.loadManifest(backup.id)).rejects.toMatchObject({ code: 'REPO_DAMAGED' });
    await expect(t.repo.prune()).rejects.toMatchObject({ code: 'REPO_DAMAGED' });
  });

  it('still reads a manifest that lists its artifacts inline (pre-release writers)', async () => {
    const src = await folderOf(5);
    const backup = await t.repo.loadManifest((await backupDirectory(t.repo, src)).id);
    const epochKeys = t.repo.epochKeys(backup.epoch);
    if (epochKeys === undefined) throw new Error('no keys');
    const inline: StoredManifest = { ...backup, id: randomUUID() };
    await t.storage.put(manifestObjectName(inline.id), sealManifest(inline, epochKeys));
    const loaded = await t.repo.loadManifest(inline.id);
    expect(loaded.components).toEqual(backup.components);
    const out = join(t.dir, 'out');
    await restoreBackup(t.repo, inline.id, out);
    expect(
      (await readAll((await open(join(out, 'file-00003.txt'))).createReadStream())).toString(),
    ).toBe('file 3\n');
  });
});
