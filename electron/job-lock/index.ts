/**
 * One job at a time, across processes: the desktop app and the `lifeboat` command may be
 * started together on one profile folder, and the second start must be refused naming the
 * running job. Backups, verify and prune (electron/controller/) and every recovery that writes
 * to a rack (electron/recovery/) take it. The lock is a small JSON file under `<home>/jobs/`,
 * created with O_EXCL so only one process wins. A holder that died (same host, pid gone) leaves
 * a stale lock that the next acquirer clears.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { JobLockErrors } from './errors.js';

export { JobLockErrors };

const holderSchema = z.object({
  jobId: z.string().min(1),
  kind: z.string().min(1),
  pid: z.number().int().positive(),
  host: z.string(),
  startedAt: z.string(),
  token: z.string(),
});
export type JobLockHolder = Omit<z.infer<typeof holderSchema>, 'token'>;

export interface JobLock {
  readonly jobId: string;
  /** Removes the lock if this process still holds it. Safe to call twice. */
  release(): void;
}

export function jobLockPath(home: string): string {
  return join(home, 'jobs', 'job.lock');
}

/** Takes the profile's job lock for `jobId`, or throws BACKUP_JOB_RUNNING naming the holder. */
export function acquireJobLock(home: string, jobId: string, kind: string): JobLock {
  const path = jobLockPath(home);
  mkdirSync(join(home, 'jobs'), { recursive: true });
  const token = randomUUID();
  const body = {
    jobId,
    kind,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    token,
  };
  // Two attempts: the second follows the removal of a dead holder's lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(body), { flag: 'wx', mode: 0o600 });
      return { jobId, release: () => releaseIfOurs(path, token) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    // Released between our create and our read: another process may hold a new lock by now,
    // which must never be removed; try the create again.
    if (holder === RELEASED) continue;
    if (holder === null && isFresh(path)) {
      // Another process created the file and has not finished writing it yet.
      throw JobLockErrors.create('BACKUP_JOB_RUNNING', 'Another job is starting at this moment.');
    }
    if (holder !== null && isAlive(holder)) {
      throw JobLockErrors.create(
        'BACKUP_JOB_RUNNING',
        `Job ${holder.jobId} (${holder.kind}) is running (process ${holder.pid} on ${holder.host}, started ${holder.startedAt}).`,
        { details: { jobId: holder.jobId, kind: holder.kind, pid: holder.pid } },
      );
    }
    rmSync(path, { force: true });
  }
  throw JobLockErrors.create('BACKUP_JOB_RUNNING', 'Another job took the job lock at this moment.');
}

/** The running job, or null; a dead holder counts as none. */
export function currentJob(home: string): JobLockHolder | null {
  const holder = readHolder(jobLockPath(home));
  if (holder === null || holder === RELEASED || !isAlive(holder)) return null;
  const { token: _token, ...visible } = holder;
  return visible;
}

const RELEASED = Symbol('released');

/** The holder; null for a lock that cannot be read as one; RELEASED when there is no lock. */
function readHolder(path: string): z.infer<typeof holderSchema> | null | typeof RELEASED {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? RELEASED : null;
  }
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    // A lock half-written by a process killed mid-write holds nothing worth keeping.
    return null;
  }
}

/**
 * A lock from another host (a profile on a shared folder) cannot be checked, so it is
 * respected; on this host a missing pid means the holder died.
 */
function isAlive(holder: z.infer<typeof holderSchema>): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isFresh(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 5_000;
  } catch {
    return false;
  }
}

function releaseIfOurs(path: string, token: string): void {
  const holder = readHolder(path);
  if (holder !== null && holder !== RELEASED && holder.token === token)
    rmSync(path, { force: true });
}
