import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CHUNKER,
  FastCdc,
  gearTable,
  type ChunkerParams,
} from '../../electron/repository/chunker.js';

const params: ChunkerParams = { min: 2048, avg: 8192, max: 32768 };
const gear = gearTable(Buffer.alloc(32, 7));

function chunk(data: Buffer, pieces = 1, table = gear): Buffer[] {
  const cdc = new FastCdc(table, params);
  const out: Buffer[] = [];
  const step = Math.ceil(data.length / pieces);
  const keep = (view: Buffer) => out.push(Buffer.from(view));
  for (let i = 0; i < data.length; i += step) cdc.push(data.subarray(i, i + step), keep);
  cdc.finish(keep);
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

/**
 * The algorithm as docs/repository-format.md section 5 states it, byte by byte in plain
 * JavaScript: the reference the WebAssembly scan must agree with, cut for cut.
 */
function referenceCuts(data: Buffer, table: Uint32Array, p: ChunkerParams): number[] {
  const bits = Math.round(Math.log2(p.avg));
  const small = ~((1 << (32 - (bits + 2))) - 1) >>> 0;
  const large = ~((1 << (32 - (bits - 2))) - 1) >>> 0;
  const lengths: number[] = [];
  let start = 0;
  while (start < data.length) {
    let h = 0;
    let cut = Math.min(data.length - start, p.max);
    for (let i = p.min; i < cut; i++) {
      h = ((h << 1) + (table[data[start + i] as number] as number)) >>> 0;
      if ((h & (i < p.avg ? small : large)) === 0) {
        cut = i + 1;
        break;
      }
    }
    lengths.push(cut);
    start += cut;
  }
  return lengths;
}

describe('FastCDC against the documented algorithm', () => {
  it('cuts where the format document says, with small and default parameters', () => {
    const text = Buffer.from('INSERT INTO t VALUES (1, "lifeboat");\n'.repeat(400_000));
    for (const [p, data] of [
      [params, randomBytes(3_000_000)],
      [params, text.subarray(0, 2_000_000)],
      [DEFAULT_CHUNKER, Buffer.concat([randomBytes(9_000_000), text])],
    ] as const) {
      const cdc = new FastCdc(gear, p);
      const lengths: number[] = [];
      const keep = (view: Buffer) => lengths.push(view.length);
      for (let i = 0; i < data.length; i += 999_983) cdc.push(data.subarray(i, i + 999_983), keep);
      cdc.finish(keep);
      expect(lengths).toEqual(referenceCuts(data, gear, p));
    }
  });
});
