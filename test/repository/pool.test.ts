import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CHUNKER } from '../../electron/repository/chunker.js';
import { deriveEpochKeys, openBlob } from '../../electron/repository/crypto.js';
import { CryptoPool, SourceError, type HeldChunk } from '../../electron/repository/pool.js';
import { noise, sha256 } from './helpers.js';

const keys = deriveEpochKeys(randomBytes(32), randomBytes(16), 1);
let pool: CryptoPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('crypto pool ingest sessions', () => {
  it('chunks a stream in order, and every reported chunk seals to a blob that opens', async () => {
    pool = new CryptoPool(keys, DEFAULT_CHUNKER, 2);
    const data = noise(5_000_000, 'pool');
    const held: HeldChunk[] = [];
    const sealed: Promise<{ blob: Buffer; compression: 0 | 1 }>[] = [];
    // A session stalls once its window is full until chunks are credited: seal as they come.
    const result = await pool.ingest(
      {
        pieces: (async function* () {
          yield data.subarray(0, 1_234_567);
          yield data.subarray(1_234_567);
        })(),
      },
      (chunk) => {
        held.push(chunk);
        sealed.push(pool!.seal(chunk).finally(() => pool?.credit(chunk)));
      },
    );
    expect(result).toEqual({ size: data.length, sha256: sha256(data) });
    expect(held.reduce((sum, c) => sum + c.length, 0)).toBe(data.length);
    let offset = 0;
    for (const [i, chunk] of held.entries()) {
      const { blob, compression } = await (sealed[i] as (typeof sealed)[number]);
      const opened = openBlob(keys, blob, Buffer.from(chunk.id, 'hex'), compression, chunk.length);
      expect(opened.ok && opened.plain.equals(data.subarray(offset, offset + chunk.length))).toBe(
        true,
      );
      offset += chunk.length;
    }
  });

  it('keeps the chunks a failed source already reported, so they can still be sealed', async () => {
    pool = new CryptoPool(keys, DEFAULT_CHUNKER, 1);
    const held: HeldChunk[] = [];
    let firstChunk = () => undefined as void;
    const reported = new Promise<void>((resolve) => (firstChunk = resolve));
    // Fails only once a chunk was reported, so the failure meets chunks still held.
    const failing = async function* () {
      yield noise(3_000_000, 'partial');
      await reported;
      throw new Error('connection reset');
    };
    const outcome = await pool
      .ingest({ pieces: failing() }, (chunk) => {
        held.push(chunk);
        firstChunk();
      })
      .catch((error: unknown) => error);
    expect(held.length).toBeGreaterThan(0);
    expect(outcome).toBeInstanceOf(SourceError);
    // Another artifact may have been deduplicated against these: they must still be storable.
    for (const chunk of held) await expect(pool.seal(chunk)).resolves.toHaveProperty('blob');
  });

  it('reports a file it cannot read as a source failure', async () => {
    pool = new CryptoPool(keys, DEFAULT_CHUNKER, 1);
    await expect(
      pool.ingest({ path: '/nonexistent/lifeboat' }, () => undefined),
    ).rejects.toBeInstanceOf(SourceError);
  });
});
