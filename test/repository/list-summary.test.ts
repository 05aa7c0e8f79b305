import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveEpochKeys } from '../../electron/repository/crypto.js';
import { ListSummaryBuilder, openListSummary } from '../../electron/repository/list-summary.js';

const repositoryId = randomBytes(16);
const keys = deriveEpochKeys(randomBytes(32), repositoryId, 2);
const held = new Map([[2, keys]]);
const indexFiles = [`index/${'ab'.repeat(32)}`, `index/${'01'.repeat(32)}`];

function sealed(lines: [string, number, number][], identity = 'list one'): Buffer {
  const builder = new ListSummaryBuilder();
  for (const [name, size, modified] of lines) builder.add(name, size, modified);
  return builder.seal(keys, identity, indexFiles);
}

describe('list summary (pure)', () => {
  const lines: [string, number, number][] = [
    ['a.json', 10, 1_700_000_000_123.5],
    ['b/ü.sql', 0, 1_700_000_001_000],
    ['c', 2 ** 40, Number.NaN],
  ];

  it('opens to the lines, epoch and index files it was sealed with', () => {
    const summary = openListSummary(sealed(lines), 'list one', held);
    expect(summary).toBeDefined();
    expect(summary?.epoch).toBe(2);
    expect(summary?.indexFiles).toEqual(indexFiles);
    expect(summary?.names).toEqual(['a.json', 'b/ü.sql', 'c']);
    expect([...(summary?.sizes ?? [])]).toEqual([10, 0, 2 ** 40]);
    expect([...(summary?.modified ?? [])]).toEqual([1_700_000_000_123.5, 1_700_000_001_000, NaN]);
  });

  it('grows past its first buffer', () => {
    const many = Array.from({ length: 5000 }, (_, n): [string, number, number] => [
      `file-${String(n).padStart(6, '0')}`,
      n,
      n * 1000,
    ]);
    expect(openListSummary(sealed(many), 'list one', held)?.names.length).toBe(5000);
  });

  it('opens to nothing for another list, a flipped byte, a key not held or names out of order', () => {
    const bytes = sealed(lines);
    const flipped = Buffer.from(bytes);
    flipped[12] = (flipped[12] ?? 0) ^ 1;
    const otherKey = new Map([[2, deriveEpochKeys(randomBytes(32), repositoryId, 2)]]);
    expect(openListSummary(bytes, 'list two', held)).toBeUndefined();
    expect(openListSummary(flipped, 'list one', held)).toBeUndefined();
    expect(openListSummary(bytes.subarray(0, bytes.length - 1), 'list one', held)).toBeUndefined();
    expect(openListSummary(bytes, 'list one', otherKey)).toBeUndefined();
    expect(openListSummary(bytes, 'list one', new Map())).toBeUndefined();
    const unordered = sealed([lines[1]!, lines[0]!]);
    expect(openListSummary(unordered, 'list one', held)).toBeUndefined();
  });
});
