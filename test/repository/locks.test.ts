import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepositoryLock, isStale, listLocks } from '../../electron/repository/locks.js';
import { openFileStorage, type Storage } from '../../electron/storage/index.js';

let dir: string;
let storage: Storage;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-locks-'));
  storage = await openFileStorage(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (so it is certainly not alive). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

function lockBody(overrides: Record<string, unknown>) {
  const now = new Date().toISOString();
  return {
    format: 'lifeboat-lock',
    version: 1,
    exclusive: true,
    operation: 'prune',
    host: hostname(),
    pid: process.pid,
    created: now,
    refreshed: now,
    ...overrides,
  };
}

describe('locks', () => {
  it('never breaks a live lock: exclusive waits for shared and names it', async () => {
    const shared = await RepositoryLock.acquire(storage, { exclusive: false, operation: 'check' });
    await expect(
      RepositoryLock.acquire(storage, { exclusive: true, operation: 'prune' }),
    ).rejects.toMatchObject({
      code: 'REPO_LOCKED',
      message: expect.stringContaining(`check by process ${process.pid} on ${hostname()}`),
    });
    const also = await RepositoryLock.acquire(storage, { exclusive: false, operation: 'restore' });
    await shared.release();
    await also.release();
    const exclusive = await RepositoryLock.acquire(storage, {
      exclusive: true,
      operation: 'prune',
    });
    await exclusive.release();
    expect(await listLocks(storage)).toEqual([]);
  });

  it('clears the lock of a dead process on this host, and one not refreshed for 30 minutes', async () => {
    const pid = deadPid();
    await storage.put('locks/dead', Buffer.from(JSON.stringify(lockBody({ pid }))));
    const old = new Date(Date.now() - 31 * 60_000).toISOString();
    await storage.put(
      'locks/old',
      Buffer.from(JSON.stringify(lockBody({ host: 'elsewhere', pid: 1, refreshed: old }))),
    );
    const fresh = lockBody({ host: 'elsewhere', pid: 1 });
    expect(isStale(fresh as never)).toBe(false);
    const lock = await RepositoryLock.acquire(storage, { exclusive: true, operation: 'prune' });
    expect((await listLocks(storage)).map((l) => l.name)).toEqual([lock.name]);
    await lock.release();
    await storage.put('locks/live', Buffer.from(JSON.stringify(fresh)));
    await expect(
      RepositoryLock.acquire(storage, { exclusive: true, operation: 'prune' }),
    ).rejects.toMatchObject({ code: 'REPO_LOCKED' });
  });
});
