/**
 * Repository locks (docs/repository-format.md section 8): shared for backup, restore and check,
 * exclusive for forget, prune and key changes. A live lock is never broken; a stale one (not
 * refreshed for 30 minutes, or naming a dead process on this host) is removed.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { boolean, integer, object, oneOf, readShape, string, type ShapeOf } from './shapes.js';
import type { Storage } from '../storage/index.js';
import { RepoErrors } from './errors.js';

export const STALE_AFTER_MS = 30 * 60 * 1000;
const REFRESH_EVERY_MS = 5 * 60 * 1000;

const lockShape = object({
  format: oneOf('lifeboat-lock'),
  version: oneOf(1),
  exclusive: boolean,
  operation: string({ max: 64 }),
  host: string({ max: 256 }),
  pid: integer(),
  created: string(),
  refreshed: string(),
});
export type LockInfo = ShapeOf<typeof lockShape>;

export interface LockOptions {
  readonly exclusive: boolean;
  readonly operation: string;
  /** Keep retrying for this long before failing with REPO_LOCKED (default 0). */
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStale(lock: LockInfo, now = Date.now()): boolean {
  const refreshed = Date.parse(lock.refreshed);
  if (!Number.isFinite(refreshed) || now - refreshed > STALE_AFTER_MS) return true;
  return lock.host === hostname() && lock.pid !== process.pid && !processAlive(lock.pid);
}

/** Every lock at the location; unreadable lock objects are treated as live (never broken blindly). */
export async function listLocks(
  storage: Storage,
): Promise<{ name: string; modified: number; lock: LockInfo | undefined }[]> {
  const out = [];
  for (const object of await storage.list('locks/')) {
    let bytes: Buffer;
    try {
      bytes = await storage.get(object.name);
    } catch (error) {
      if ((error as { code?: string }).code === 'STORAGE_NOT_FOUND') continue; // released meanwhile
      throw error;
    }
    let lock: LockInfo | undefined;
    try {
      lock = readShape(lockShape, JSON.parse(bytes.toString('utf8')));
    } catch {
      lock = undefined; // not a lock Lifeboat wrote: treated as live until it is 30 minutes old
    }
    out.push({ name: object.name, modified: object.modified, lock });
  }
  return out;
}

function describe(lock: LockInfo | undefined): string {
  if (lock === undefined) return 'an unreadable lock';
  return `${lock.operation} by process ${lock.pid} on ${lock.host} (${lock.exclusive ? 'exclusive' : 'shared'}, since ${lock.created})`;
}

export class RepositoryLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    private readonly storage: Storage,
    readonly name: string,
    private info: LockInfo,
  ) {}

  /** Takes a lock, waiting up to `waitMs` for conflicting holders; REPO_LOCKED names the holder. */
  static async acquire(storage: Storage, options: LockOptions): Promise<RepositoryLock> {
    const deadline = Date.now() + (options.waitMs ?? 0);
    const now = new Date().toISOString();
    const info: LockInfo = {
      format: 'lifeboat-lock',
      version: 1,
      exclusive: options.exclusive,
      operation: options.operation,
      host: hostname(),
      pid: process.pid,
      created: now,
      refreshed: now,
    };
    const name = `locks/${randomBytes(16).toString('hex')}`;
    for (;;) {
      options.signal?.throwIfAborted();
      await storage.put(name, Buffer.from(JSON.stringify(info)));
      const conflict = await findConflict(storage, name, options);
      if (conflict === undefined) {
        const lock = new RepositoryLock(storage, name, info);
        lock.startRefreshing();
        return lock;
      }
      await storage.delete(name);
      if (Date.now() >= deadline) {
        throw RepoErrors.create(
          'REPO_LOCKED',
          `The repository is locked: ${describe(conflict ?? undefined)}.`,
          {
            details: conflict
              ? { host: conflict.host, pid: conflict.pid, operation: conflict.operation }
              : undefined,
          },
        );
      }
      // Random back-off so two processes that saw each other do not retry in lock-step.
      await sleep(200 + Math.floor(Math.random() * 600), undefined, { signal: options.signal });
    }
  }

  private startRefreshing(): void {
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_EVERY_MS);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    if (this.released) return;
    this.info = { ...this.info, refreshed: new Date().toISOString() };
    await this.storage.put(this.name, Buffer.from(JSON.stringify(this.info)));
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.storage.delete(this.name);
  }
}

/**
 * A conflicting live lock (null if unreadable), or undefined. Exclusive conflicts with all; and
 * backups conflict with each other: one writer at a time, so a second backup waits or names the first.
 */
async function findConflict(
  storage: Storage,
  own: string,
  { exclusive, operation }: LockOptions,
): Promise<LockInfo | undefined | null> {
  for (const { name, modified, lock } of await listLocks(storage)) {
    if (name === own) continue;
    const staleUnreadable = lock === undefined && Date.now() - modified > STALE_AFTER_MS;
    if (staleUnreadable || (lock !== undefined && isStale(lock))) {
      await storage.delete(name);
      continue;
    }
    const bothBackups = operation === 'backup' && lock?.operation === 'backup';
    if (exclusive || lock === undefined || lock.exclusive || bothBackups) return lock ?? null;
  }
  return undefined;
}
