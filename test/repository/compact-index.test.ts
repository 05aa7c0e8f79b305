import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CompactIndex } from '../../electron/repository/compact-index.js';
import type { PackRecord } from '../../electron/repository/records.js';
import type { BlobLocation } from '../../electron/repository/store.js';

const hex = (text: string) => createHash('sha256').update(text).digest('hex');

const packs: PackRecord[] = [
  {
    id: hex('pack 1'),
    size: 4_000_000,
    blobs: [
      [hex('chunk a'), 0, 1000, 2500, 1],
      [hex('chunk b'), 1000, 3_000_000, 3_000_000, 0],
    ],
  },
  { id: hex('pack 2'), size: 0xffff_ffff, blobs: [[hex('chunk c'), 7, 11, 13, 0]] },
  { id: hex('pack 3 (empty)'), size: 60, blobs: [] },
];

describe('compact index (pure)', () => {
  it('gives back the packs it was made of, after a trip through its bytes', () => {
    const index = CompactIndex.decode(Buffer.from(CompactIndex.encode(7, packs).bytes));
    expect(index.epoch).toBe(7);
    expect(index.packs()).toEqual(packs);
    expect(index.packSummaries()).toEqual(packs.map(({ id, size }) => ({ id, size })));
    const ids = index.blobIds();
    const read = Array.from({ length: ids.count }, (_, n) =>
      ids.bytes.toString('hex', ids.first + n * ids.stride, ids.first + n * ids.stride + 32),
    );
    expect(read).toEqual([hex('chunk a'), hex('chunk b'), hex('chunk c')]);
  });

  it('adds every location, or only those asked for, naming pack and epoch', () => {
    const index = CompactIndex.encode(3, packs);
    const all = new Map<string, BlobLocation>();
    index.addLocations(all);
    expect([...all.keys()]).toEqual([hex('chunk a'), hex('chunk b'), hex('chunk c')]);
    expect(all.get(hex('chunk c'))).toEqual({
      pack: hex('pack 2'),
      offset: 7,
      length: 11,
      rawLength: 13,
      compression: 0,
      epoch: 3,
    });
    const some = new Map<string, BlobLocation>();
    // Same first four bytes as chunk b, different id: the prefix filter must not be the test.
    const lookalike = hex('chunk b').slice(0, 8) + hex('other').slice(8);
    index.addLocations(some, new Set([hex('chunk b'), lookalike, hex('not indexed')]));
    expect([...some.keys()]).toEqual([hex('chunk b')]);
    expect(some.get(hex('chunk b'))).toMatchObject({ pack: hex('pack 1'), offset: 1000 });
  });

  it('refuses bytes that are not a whole, consistent compact index', () => {
    const bytes = CompactIndex.encode(1, packs).bytes;
    const withByte = (at: number, value: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = value;
      return copy;
    };
    const bad: [string, Buffer][] = [
      ['another magic', withByte(0, 0x58)],
      ['another version', withByte(4, 2)],
      ['cut short', bytes.subarray(0, bytes.length - 1)],
      ['a byte too many', Buffer.concat([bytes, Buffer.alloc(1)])],
      ['a compression code not 0 or 1', withByte(bytes.length - 1, 2)],
      ['blob counts that disagree', withByte(17 + 32 + 7, 3)], // pack 1 claims 3 blobs
      ['empty', Buffer.alloc(0)],
    ];
    for (const [why, wrong] of bad)
      expect(() => CompactIndex.decode(wrong), why).toThrow(RangeError);
  });

  it('refuses to encode an id that is not 64 hex digits or a value past 32 bits', () => {
    const pack = packs[0]!;
    expect(() => CompactIndex.encode(1, [{ ...pack, id: 'zz' }])).toThrow(RangeError);
    expect(() => CompactIndex.encode(1, [{ ...pack, size: 2 ** 32 }])).toThrow(RangeError);
    expect(() =>
      CompactIndex.encode(1, [{ ...pack, blobs: [[hex('x'), 2 ** 32, 1, 1, 0]] }]),
    ).toThrow(RangeError);
  });
});
