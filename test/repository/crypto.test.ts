import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  blobAad,
  compressChunk,
  decompress,
  deriveEpochKeys,
  gcmOpen,
  gcmSeal,
  openEnvelope,
  readEnvelopeHead,
  sealEnvelope,
} from '../../electron/repository/crypto.js';
import { CompressStream } from 'zstd-napi';
import { planRetention } from '../../electron/repository/maintenance.js';
import { deriveStatus } from '../../electron/repository/manifest.js';

const keys = deriveEpochKeys(randomBytes(32), randomBytes(32), 1);

describe('envelope', () => {
  it('shows its label without a key and opens with the key', () => {
    const sealed = sealEnvelope(2, { epoch: 1, id: 'x' }, keys.metadata, { hello: 'world' });
    const head = readEnvelopeHead(sealed, 'manifests/x');
    expect(head.label).toEqual({ epoch: 1, id: 'x' });
    expect(openEnvelope(sealed, head, keys.metadata, 'manifests/x')).toEqual({ hello: 'world' });
  });

  it('detects a changed label (it is associated data)', () => {
    const sealed = sealEnvelope(2, { epoch: 1, status: 'Failed' }, keys.metadata, {});
    const tampered = Buffer.from(sealed.toString('latin1').replace('Failed', 'Faile!'), 'latin1');
    const head = readEnvelopeHead(tampered, 'm');
    expect(() => openEnvelope(tampered, head, keys.metadata, 'm')).toThrow(/failed authentication/);
  });

  it('refuses another epoch key', () => {
    const other = deriveEpochKeys(randomBytes(32), randomBytes(32), 2);
    const sealed = sealEnvelope(1, { epoch: 1 }, keys.metadata, {});
    expect(() => openEnvelope(sealed, readEnvelopeHead(sealed, 'i'), other.metadata, 'i')).toThrow(
      /REPO_DAMAGED|authentication/,
    );
  });
});

describe('blobs', () => {
  it('binds the chunk id and compression flag', () => {
    const id = randomBytes(32);
    const blob = gcmSeal(keys.data, Buffer.from('chunk'), blobAad(id, 0));
    expect(gcmOpen(keys.data, blob, blobAad(id, 0))?.toString()).toBe('chunk');
    expect(gcmOpen(keys.data, blob, blobAad(randomBytes(32), 0))).toBeUndefined();
    expect(gcmOpen(keys.data, blob, blobAad(id, 1))).toBeUndefined();
  });

  it('stores incompressible data raw and compressible data compressed', () => {
    expect(compressChunk(randomBytes(100_000)).compression).toBe(0);
    const text = compressChunk(Buffer.from('INSERT INTO t VALUES (1);\n'.repeat(5000)));
    expect(text.compression).toBe(1);
    expect(text.stored.length).toBeLessThan(5000);
    expect(
      decompress(text.stored, 1).equals(Buffer.from('INSERT INTO t VALUES (1);\n'.repeat(5000))),
    ).toBe(true);
  });

  it('reads frames without a recorded content size (as written before November 2026)', async () => {
    const plain = Buffer.from('{"subscription":"x"}\n'.repeat(20_000));
    const stream = new CompressStream();
    const parts: Buffer[] = [];
    stream.on('data', (part: Buffer) => parts.push(part));
    const done = new Promise((resolve) => stream.on('end', resolve));
    stream.end(plain);
    await done;
    const frame = Buffer.concat(parts);
    expect(frame.readUInt8(4) & 0xe0).toBe(0); // descriptor: no content size field, not single-segment
    expect(decompress(frame, 1).equals(plain)).toBe(true);
  });
});

describe('status and retention rules', () => {
  it('derives the backup status from component statuses', () => {
    expect(deriveStatus(['Succeeded', 'Skipped'])).toBe('Succeeded');
    expect(deriveStatus(['Succeeded', 'Failed'])).toBe('PartialSucceeded');
    expect(deriveStatus(['Failed', 'Skipped'])).toBe('Failed');
    expect(deriveStatus([])).toBe('Failed');
  });

  it('keeps the last N and those within N days per source, and always the newest good one', () => {
    const now = Date.parse('2026-11-25T00:00:00Z');
    const day = 86_400_000;
    const b = (
      id: string,
      daysAgo: number,
      status: 'Succeeded' | 'Failed' | 'PartialSucceeded',
      source = 'r1',
    ) => ({
      id,
      created: new Date(now - daysAgo * day).toISOString(),
      status,
      source: { kind: 'rack', id: source, version: '1' },
    });
    const backups = [
      b('f1', 1, 'Failed'),
      b('f2', 2, 'Failed'),
      b('ok', 10, 'Succeeded'),
      b('old', 20, 'Succeeded'),
      b('other', 30, 'Succeeded', 'r2'),
    ];
    const plan = planRetention(backups, { keepLast: 1 }, now);
    expect(plan.keep.map((x) => x.id).sort()).toEqual(['f1', 'ok', 'other']);
    expect(plan.remove.map((x) => x.id).sort()).toEqual(['f2', 'old']);
    const within = planRetention(backups, { keepWithinDays: 3, keepLast: 0 }, now);
    expect(within.keep.map((x) => x.id).sort()).toEqual(['f1', 'f2', 'ok', 'other']);
    expect(() => planRetention(backups, {}, now)).toThrow(/retention policy/);
  });
});
