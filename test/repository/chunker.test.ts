import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FastCdc, gearTable, type ChunkerParams } from '../../electron/repository/chunker.js';

const params: ChunkerParams = { min: 2048, avg: 8192, max: 32768 };
const gear = gearTable(Buffer.alloc(32, 7));

function chunk(data: Buffer, pieces = 1, table = gear): Buffer[] {
  const cdc = new FastCdc(table, params);
  const out: Buffer[] = [];
  const step = Math.ceil(data.length / pieces);
  for (let i = 0; i < data.length; i += step) out.push(...cdc.push(data.subarray(i, i + step)));
  const last = cdc.finish();
  if (last) out.push(last);
  return out;
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('FastCDC', () => {
  const data = randomBytes(1024 * 1024);

  it('reassembles exactly, respects min and max, and averages near the target', () => {
    const chunks = chunk(data);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(params.min);
      expect(c.length).toBeLessThanOrEqual(params.max);
    }
    const average = data.length / chunks.length;
    expect(average).toBeGreaterThan(params.avg * 0.6);
    expect(average).toBeLessThan(params.avg * 1.6);
  });

  it('cuts the same way however the stream is split', () => {
    expect(chunk(data, 1).map(digest)).toEqual(chunk(data, 97).map(digest));
  });

  it('finds the same chunks after an insertion near the start (content-defined)', () => {
    const shifted = Buffer.concat([randomBytes(100), data]);
    const before = new Set(chunk(data).map(digest));
    const after = chunk(shifted).map(digest);
    const shared = after.filter((d) => before.has(d)).length;
    expect(shared / after.length).toBeGreaterThan(0.9);
  });

  it('cuts elsewhere under another key (the gear table is keyed)', () => {
    const other = chunk(data, 1, gearTable(Buffer.alloc(32, 8))).map((c) => c.length);
    expect(other).not.toEqual(chunk(data).map((c) => c.length));
  });

  it('forces a cut at max on data without boundaries', () => {
    const flat = Buffer.alloc(100_000);
    const lengths = chunk(flat).map((c) => c.length);
    expect(lengths.slice(0, -1).every((n) => n === params.max || n >= params.min)).toBe(true);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(flat.length);
  });
});
