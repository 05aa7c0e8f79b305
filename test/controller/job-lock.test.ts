import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  JobLockErrors,
  acquireJobLock,
  currentJob,
  jobLockPath,
} from '../../electron/job-lock/index.js';

const home = () => mkdtempSync(join(tmpdir(), 'lifeboat-lock-'));

describe('cross-process job lock', () => {
  it('refuses a second job naming the running one, and frees on release', () => {
    const dir = home();
    const first = acquireJobLock(dir, 'job-1', 'backup');
    let caught: unknown;
    try {
      acquireJobLock(dir, 'job-2', 'backup');
    } catch (error) {
      caught = error;
    }
    expect(JobLockErrors.is(caught, 'BACKUP_JOB_RUNNING')).toBe(true);
    expect((caught as Error).message).toContain('job-1');
    expect(currentJob(dir)?.jobId).toBe('job-1');
    first.release();
    first.release();
    expect(currentJob(dir)).toBeNull();
    acquireJobLock(dir, 'job-3', 'prune').release();
  });

  it('refuses a job held by another live process, and clears a dead holder', async () => {
    const dir = home();
    // A real second process takes the lock and stays alive until told to stop.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('${join(process.cwd(), 'electron/job-lock/index.ts')}').then((m) => { m.acquireJobLock(process.argv[1], 'app-job', 'backup'); console.log('held'); setInterval(() => {}, 1000); });`,
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(() => acquireJobLock(dir, 'cli-job', 'backup')).toThrow(/app-job/);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // The holder died without releasing: its lock is stale and is cleared.
    expect(currentJob(dir)).toBeNull();
    const lock = acquireJobLock(dir, 'cli-job', 'backup');
    expect(currentJob(dir)?.jobId).toBe('cli-job');
    lock.release();
  });

  it('clears an old unreadable lock left by a crash mid-write', () => {
    const dir = home();
    acquireJobLock(dir, 'x', 'backup').release();
    writeFileSync(jobLockPath(dir), '{"jobId":');
    utimesSync(jobLockPath(dir), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    acquireJobLock(dir, 'y', 'backup').release();
  });

  it('never lets two processes hold the lock together while they take and release it', async () => {
    const dir = home();
    const log = join(dir, 'sections.log');
    writeFileSync(log, '');
    const fixture = join(import.meta.dirname, 'fixtures', 'lock-contender.ts');
    const contender = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, log, '150'], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        child.on('exit', resolve);
      });
    expect(await Promise.all([contender(), contender()])).toEqual([0, 0]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(600);
    for (let i = 0; i < lines.length; i += 2) {
      const holder = lines[i]?.replace('enter ', '');
      // Each section is entered and left by one process before anyone else enters.
      expect(`${lines[i]} / ${lines[i + 1]}`).toBe(`enter ${holder} / exit ${holder}`);
    }
  });
});
