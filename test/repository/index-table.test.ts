import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { locateBlobs } from '../../electron/repository/store.js';
import { makeRepo, noise, source, type TestRepo } from './helpers.js';

describe('the index blob table', () => {
  let t: TestRepo;
  beforeEach(async () => {
    t = await makeRepo();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function backUp(name: string) {
    const w = await t.repo.startBackup({ source });
    const record = await w.addArtifact('files', name, Readable.from([noise(300_000, name)]));
    await w.commit();
    return record.chunks.map(([id]) => id);
  }

  it('locates a few chunks without the whole table, and agrees with it once built', async () => {
    const [first] = await backUp('a');
    await backUp('b');
    const index = await t.repo.loadIndex(true);
    const few = locateBlobs(index, [first ?? '']);
    expect([...few.keys()]).toEqual([first]);
    const whole = index.blobs; // built now
    expect(whole.size).toBeGreaterThan(few.size);
    expect(whole.get(first ?? '')).toEqual(few.get(first ?? ''));
    expect(locateBlobs(index, [first ?? ''])).toBe(whole);
  });

  it('a reloaded index extends a built table with what was written since', async () => {
    const [first] = await backUp('a');
    const before = await t.repo.loadIndex(true);
    expect(before.blobs.has(first ?? '')).toBe(true);
    const [second] = await backUp('b');
    const after = await t.repo.loadIndex(true);
    expect(after.blobs.has(first ?? '')).toBe(true);
    expect(after.blobs.has(second ?? '')).toBe(true);
    expect(locateBlobs(after, [second ?? '']).has(second ?? '')).toBe(true);
  });
});
