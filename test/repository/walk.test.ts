import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderWalk, type WalkedFile } from '../../electron/repository/walk.js';

async function all(walk: FolderWalk): Promise<WalkedFile[][]> {
  const runs: WalkedFile[][] = [];
  for await (const run of walk.runs()) runs.push(run);
  return runs;
}

describe('the folder walk thread', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lb-walk-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists regular files in list order, with sizes and times only when asked', async () => {
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'b', 'inner'), 'abc');
    await writeFile(join(dir, 'b.txt'), 'hello');
    await writeFile(join(dir, 'a'), '');
    await symlink(join(dir, 'a'), join(dir, 'link'));
    const when = new Date('2026-11-01T10:00:00Z');
    const { utimes } = await import('node:fs/promises');
    await utimes(join(dir, 'b.txt'), when, when);

    const statted = new FolderWalk(dir);
    statted.decide(true);
    const files = (await all(statted)).flat();
    // 'b' sorts as 'b/', after 'b.txt'; the symbolic link is skipped.
    expect(files.map((f) => f.name)).toEqual(['a', 'b.txt', 'b/inner']);
    expect(files.map((f) => f.path)).toEqual([
      join(dir, 'a'),
      join(dir, 'b.txt'),
      join(dir, 'b', 'inner'),
    ]);
    expect(files.map((f) => f.size)).toEqual([0, 5, 3]);
    expect(files[1]?.modified).toBe(when.getTime());

    const listed = new FolderWalk(dir);
    listed.decide(false);
    const names = (await all(listed)).flat();
    expect(names.map((f) => [f.name, f.size, f.modified])).toEqual([
      ['a', undefined, undefined],
      ['b.txt', undefined, undefined],
      ['b/inner', undefined, undefined],
    ]);
  });

  it('cuts a large folder into runs of at most 256 files', async () => {
    for (let i = 0; i < 600; i++) await writeFile(join(dir, `f-${String(i).padStart(3, '0')}`), '');
    const walk = new FolderWalk(dir);
    walk.decide(false);
    expect((await all(walk)).map((run) => run.length)).toEqual([256, 256, 88]);
  });

  it('in a large folder, a second thread looks at runs too, and every file keeps its own', async () => {
    const { lstat } = await import('node:fs/promises');
    const names: string[] = [];
    for (const folder of ['a', 'b']) {
      await mkdir(join(dir, folder));
      for (let i = 0; i < 3000; i++) {
        const name = `${folder}/f-${String(i).padStart(4, '0')}`;
        await writeFile(join(dir, name), 'x'.repeat(i % 97));
        names.push(name);
      }
    }
    const walk = new FolderWalk(dir, 4);
    walk.decide(true);
    const files: WalkedFile[] = [];
    for await (const run of walk.runs()) {
      // The helper thread starts once 2048 files were looked at; the walk waits for room while
      // it starts up, then hands it runs.
      if (files.length === 10 * 256) await pause(2000);
      files.push(...run);
    }
    expect(files.map((f) => f.name)).toEqual(names);
    for (const file of files) {
      const info = await lstat(file.path);
      expect([file.size, file.modified], file.name).toEqual([info.size, info.mtimeMs]);
    }
    expect(walk.helpedRuns).toBeGreaterThan(0);
  });

  it('runs no further ahead than allowed, and stops when the reader does', async () => {
    for (let i = 0; i < 10; i++) {
      await mkdir(join(dir, `d${i}`));
      await writeFile(join(dir, `d${i}`, 'f'), `${i}`);
    }
    const walk = new FolderWalk(dir, 2);
    walk.decide(true);
    for (let waited = 0; walk.waiting < 2 && waited < 10_000; waited += 20) await pause(20);
    await pause(300); // unchecked, the walk of 10 small folders would be long over
    expect(walk.waiting).toBe(2);
    const runs = walk.runs();
    expect((await runs.next()).value).toHaveLength(1);
    // The thread is blocked waiting for room: ending the reading ends it.
    await expect(runs.return(undefined)).resolves.toMatchObject({ done: true });
  });

  it('a folder that cannot be read stops the walk with a coded error naming it', async () => {
    const gone = join(dir, 'missing');
    const walk = new FolderWalk(gone);
    walk.decide(false);
    await expect(all(walk)).rejects.toMatchObject({
      code: 'REPO_ARTIFACT_READ',
      message: expect.stringContaining(gone),
    });
  });
});
