import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkTable } from '../../electron/repository/chunk-table.js';

const id = (n: number) => createHash('sha256').update(`chunk ${n}`).digest();

describe('chunk table (pure)', () => {
  it('answers first to the first claim of an id, present after, and has() agrees', () => {
    const table = ChunkTable.create(100);
    expect(table.has(id(1))).toBe(false);
    expect(table.claim(id(1))).toBe('first');
    expect(table.claim(id(1))).toBe('present');
    expect(table.has(id(1))).toBe(true);
    expect(table.has(id(2))).toBe(false);
    expect(table.size).toBe(1);
  });

  it('finds ids whose home slots collide, as another thread sees the same buffer', () => {
    const table = ChunkTable.create(10);
    // Ids sharing their first four bytes share a home slot and probe past each other.
    const twins = [1, 2, 3].map((n) => Buffer.concat([Buffer.alloc(4, 7), id(n).subarray(4)]));
    for (const twin of twins) expect(table.claim(twin)).toBe('first');
    const seen = ChunkTable.attach(table.buffer);
    for (const twin of twins) expect(seen.claim(twin)).toBe('present');
    expect(seen.has(Buffer.concat([Buffer.alloc(4, 7), id(4).subarray(4)]))).toBe(false);
  });

  it('says full past three quarters, so the caller stores the chunk rather than loses it', () => {
    const table = ChunkTable.create(10); // the smallest table: 1024 slots
    const answers = Array.from({ length: 900 }, (_, n) => table.claim(id(n)));
    expect(answers.slice(0, 768).every((a) => a === 'first')).toBe(true);
    expect(answers.slice(768).every((a) => a === 'full')).toBe(true);
    expect(table.claim(id(5))).toBe('present');
  });

  it('claims ids read in place from a larger buffer, the same as ids on their own', () => {
    const table = ChunkTable.create(10);
    const packed = Buffer.concat([
      Buffer.alloc(5),
      id(1),
      Buffer.alloc(13),
      id(2),
      Buffer.alloc(13),
    ]);
    expect(table.claimAt(packed, 5)).toBe('first');
    expect(table.claimAt(packed, 5 + 45)).toBe('first');
    expect(table.claim(id(2))).toBe('present');
    expect(table.claimAt(packed, 5)).toBe('present');
    expect(table.has(id(3))).toBe(false);
    expect(table.size).toBe(2);
  });

  it('refuses an id that is not 32 bytes', () => {
    expect(() => ChunkTable.create(10).claim(Buffer.alloc(16))).toThrow(RangeError);
    expect(() => ChunkTable.create(10).claimAt(Buffer.alloc(40), 9)).toThrow(RangeError);
  });
});
