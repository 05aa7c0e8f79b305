import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statRun } from '../../electron/repository/size-and-time.js';
import { StatHelper } from '../../electron/repository/stat-helper.js';

describe('the walk thread’s stat helper', () => {
  let dir: string;
  let paths: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lb-stat-'));
    paths = ['a', 'b', 'c'].map((name) => join(dir, name));
    for (const [i, path] of paths.entries()) {
      await writeFile(path, 'x'.repeat(i * 10));
      const when = new Date(Date.UTC(2026, 10, i + 1));
      await utimes(path, when, when);
    }
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers runs in order, and once it stops answering its runs are looked at here', async () => {
    const helper = new StatHelper(300);
    try {
      while (!helper.free) await pause(10); // runs are handed only once the thread is up
      helper.hand(paths);
      helper.hand(paths.slice(1));
      expect(helper.next(true)).toEqual(statRun(paths));
      expect(helper.next(true)).toEqual(statRun(paths.slice(1)));
      expect(helper.free).toBe(true); // it answered: not given up

      helper.close(); // a helper that no longer answers
      helper.hand(paths);
      const asked = Date.now();
      expect(helper.next(true)).toEqual(statRun(paths));
      expect(Date.now() - asked).toBeGreaterThanOrEqual(250);
      expect(helper.free).toBe(false); // given up: nothing more is handed to it
    } finally {
      helper.close();
    }
  });
});
