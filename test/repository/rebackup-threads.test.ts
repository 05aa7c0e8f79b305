import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backupDirectory, restoreBackup } from '../../electron/repository/index.js';
import { startModuleWorker } from '../../electron/repository/threads.js';
import { makeRepo, type TestRepo } from './helpers.js';

vi.mock(import('../../electron/repository/threads.js'), async (importOriginal) => {
  const real = await importOriginal();
  return { ...real, startModuleWorker: vi.fn(real.startModuleWorker) };
});

/** Threads started since the last call, by module. */
function started(): string[] {
  const calls = vi.mocked(startModuleWorker).mock.calls.map(([module]) => module);
  vi.mocked(startModuleWorker).mockClear();
  return calls.sort();
}

describe('threads of a folder re-backup', () => {
  let t: TestRepo;
  beforeEach(async () => {
    t = await makeRepo();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('starts no crypto worker when nothing changed, and starts them at the first change', async () => {
    const src = join(t.dir, 'src');
    await mkdir(src);
    for (let i = 0; i < 20; i++) await writeFile(join(src, `f-${i}`), `file ${i}`);
    await backupDirectory(t.repo, src);
    expect(started()).toContain('worker'); // a first backup starts them at once

    const unchanged = await backupDirectory(t.repo, src);
    expect(started()).toEqual(['walk-thread']);
    expect(unchanged.components[0]).toMatchObject({ status: 'Succeeded', artifactCount: 20 });

    await writeFile(join(src, 'f-3'), 'file 3, changed');
    const changed = await backupDirectory(t.repo, src);
    expect(started()).toContain('worker');
    const out = join(t.dir, 'out');
    await restoreBackup(t.repo, changed.id, out);
    expect(await readFile(join(out, 'f-3'), 'utf8')).toBe('file 3, changed');
    expect(await readFile(join(out, 'f-4'), 'utf8')).toBe('file 4');
  });
});
