import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkTable } from '../../electron/repository/chunk-table.js';
import { DEFAULT_CHUNKER } from '../../electron/repository/chunker.js';
import { deriveEpochKeys, openBlob } from '../../electron/repository/crypto.js';
import {
  CryptoPool,
  SourceError,
  type Ingested,
  type PoolOptions,
} from '../../electron/repository/pool.js';
import {
  FILE_FAILED,
  FILE_LARGE,
  FILE_STORED,
  type FinishedPack,
} from '../../electron/repository/worker-protocol.js';
import { noise, sha256 } from './helpers.js';

const keys = deriveEpochKeys(randomBytes(32), randomBytes(16), 1);
let pool: CryptoPool | undefined;
let dir: string | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A pool whose packs are kept (copied) and handed back at once, unless `hold` says not yet. */
function startPool(options: PoolOptions & { hold?: () => boolean } = {}) {
  const packs: { pack: FinishedPack; blobs: Buffer }[] = [];
  const held: (() => void)[] = [];
  pool = new CryptoPool(keys, DEFAULT_CHUNKER, {
    packSize: 1024 * 1024,
    ...options,
    onPack: (pack, recycle) => {
      packs.push({ pack, blobs: Buffer.from(Buffer.from(pack.bytes, 0, pack.blobBytes)) });
      if (options.hold?.() === true) held.push(recycle);
      else recycle();
    },
  });
  return { pool, packs, release: () => held.splice(0).forEach((recycle) => recycle()) };
}

/** The plaintext of `ingested` as read back from the packs, every blob opened and verified. */
function readBack(packs: { pack: FinishedPack; blobs: Buffer }[], ingested: Ingested): Buffer {
  const where = new Map<string, { blobs: Buffer; entry: FinishedPack['entries'][number] }>();
  for (const { pack, blobs } of packs)
    for (const entry of pack.entries) where.set(entry[0], { blobs, entry });
  return Buffer.concat(
    ingested.chunks.map(([id]) => {
      const found = where.get(id);
      if (found === undefined) throw new Error(`chunk ${id} is in no pack`);
      const [, offset, length, rawLength, compression] = found.entry;
      const blob = found.blobs.subarray(offset, offset + length);
      const opened = openBlob(keys, blob, Buffer.from(id, 'hex'), compression, rawLength);
      if (!opened.ok) throw new Error(opened.error);
      return opened.plain;
    }),
  );
}

async function* piecesOf(data: Buffer, cut: number) {
  yield data.subarray(0, cut);
  yield data.subarray(cut);
}

describe('crypto pool ingest', () => {
  it('chunks a stream in order into packs whose blobs open to the same bytes', async () => {
    const { pool, packs } = startPool({ size: 2 });
    const data = noise(5_000_000, 'pool');
    const result = await pool.ingest(piecesOf(data, 1_234_567));
    await pool.flush();
    expect(result.size).toBe(data.length);
    expect(result.sha256).toBe(sha256(data));
    expect(result.chunks.reduce((sum, [, length]) => sum + length, 0)).toBe(data.length);
    expect(readBack(packs, result).equals(data)).toBe(true);
    // Every pack's id is the SHA-256 of its blobs and trailer.
    for (const { pack, blobs } of packs)
      expect(sha256(Buffer.concat([blobs, Buffer.from(pack.trailer)]))).toBe(pack.id);
  });

  it('stores a chunk once however many workers cut it at once (the shared table)', async () => {
    const table = ChunkTable.create(1000);
    const { pool, packs } = startPool({ size: 2, table });
    const data = noise(6_000_000, 'same');
    const results = await Promise.all([
      pool.ingest(piecesOf(data, 100)),
      pool.ingest(piecesOf(data, 3_000_000)),
    ]);
    await pool.flush();
    expect(results[0]?.chunks).toEqual(results[1]?.chunks);
    const stored = packs.flatMap(({ pack }) => pack.entries.map(([id]) => id));
    expect(stored.sort()).toEqual([...new Set(results[0]?.chunks.map(([id]) => id))].sort());
  });

  it('keeps what a failed source stored, so an artifact that shares it stays whole', async () => {
    const table = ChunkTable.create(1000);
    const { pool, packs } = startPool({ size: 1, table });
    const shared = noise(3_000_000, 'shared');
    const failing = async function* () {
      yield shared;
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('connection reset');
    };
    await expect(pool.ingest(failing())).rejects.toBeInstanceOf(SourceError);
    const whole = await pool.ingest(piecesOf(shared, 10));
    await pool.flush();
    expect(readBack(packs, whole).equals(shared)).toBe(true);
  });

  it('pauses while its pack buffers are away, and goes on when they come back', async () => {
    let holding = true;
    const { pool, packs, release } = startPool({ size: 1, hold: () => holding });
    const data = noise(12_000_000, 'pause');
    let done = false;
    const ingesting = pool.ingest(piecesOf(data, 1)).then((result) => {
      done = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Two buffers at most: one being filled, one handed over (and held here).
    expect(packs.length).toBeLessThanOrEqual(2);
    expect(done).toBe(false);
    holding = false;
    release();
    const result = await ingesting;
    await pool.flush();
    expect(readBack(packs, result).equals(data)).toBe(true);
  });
});

describe('crypto pool files', () => {
  it('answers each file: stored, large (unread) or failed, in order', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lb-pool-'));
    const table = ChunkTable.create(10);
    const { pool, packs } = startPool({ size: 1, table });
    const when = new Date('2026-11-01T10:00:00Z');
    const small = noise(300_000, 'small');
    await writeFile(join(dir, 'small'), small);
    await writeFile(join(dir, 'tiny'), 'tiny file');
    await utimes(join(dir, 'tiny'), when, when);
    await writeFile(join(dir, 'large'), noise(2_000_000, 'large'));
    await mkdir(join(dir, 'folder'));
    const names = ['small', 'tiny', 'large', 'missing', 'folder'];
    const answer = await pool.ingestFiles(
      { files: names.map((name) => join(dir!, name)).join('\0'), deferAbove: 1024 * 1024 },
      { weight: 1 },
    );
    expect([...answer.outcomes].map(Number)).toEqual([
      FILE_STORED,
      FILE_STORED,
      FILE_LARGE,
      FILE_FAILED,
      FILE_FAILED,
    ]);
    expect(answer.failed.map((f) => f.code)).toEqual(['ENOENT', 'EISDIR']);
    expect(answer.stats.split(',').map(Number).slice(0, 6)).toEqual([
      small.length,
      expect.any(Number),
      9,
      when.getTime(),
      2_000_000,
      expect.any(Number),
    ]);
    const [read] = answer.stored;
    if (read === undefined) throw new Error('not stored');
    expect(read.sha256).toBe(sha256(small));
    await pool.flush();
    expect(readBack(packs, { size: small.length, ...read }).equals(small)).toBe(true);
  });
});
