/**
 * Folder backups and restores (`lifeboat repo backup DIR`, `lifeboat repo restore ID --to DIR`):
 * a folder maps to one component whose artifacts are the files, named by relative path.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { availableParallelism } from 'node:os';
import { CommonErrors } from '../../shared/errors.js';
import { RepoErrors } from './errors.js';
import { eachOf, runLanes, type StopFlag } from './lanes.js';
import type { BackupReader, Repository } from './repository.js';
import type { ArtifactRecord, BackupSource, Manifest, ProgressListener } from './types.js';

/** Files sent to a worker at once: their time is opens and reads, so a batch saves round trips. */
const FILES_PER_BATCH = 64;
/** Files the walk may have found ahead of the batches (a few batches' worth per lane). */
const QUEUED_FILES = 4096;
/** Batches in flight: two per worker, so each has the next one queued when it ends one. */
const BATCHES_IN_FLIGHT = 2 * Math.max(1, availableParallelism());
/**
 * Files of several chunks restored at once; each has a few chunks read ahead and up to two 1 MiB
 * batches on their way to its worker, so this bounds restore memory.
 */
const RESTORES_IN_FLIGHT = 4;

export interface DirectoryBackupOptions {
  /** Component name (default `files`). */
  readonly component?: string;
  /** Default: `{ kind: 'directory', id: <absolute path>, version: '1', labels: {} }`. */
  readonly source?: BackupSource;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  readonly lockWaitMs?: number;
}

interface FileEntry {
  readonly path: string;
  readonly name: string;
}

/**
 * Regular files under `root`, named with `/` separators, as they are found: a folder's files
 * in name order, then its sub-folders in order. Symbolic links are not followed. Only folders are
 * listed here; the workers look at each file (size, time) when they take it, so listing a large
 * tree costs the main thread one call per folder, and backing up starts before it is listed.
 */
async function* walkFiles(folder: string, prefix = ''): AsyncGenerator<FileEntry> {
  const entries = await readdir(folder, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.isFile()) yield { path: join(folder, entry.name), name: prefix + entry.name };
  }
  for (const entry of entries) {
    if (entry.isDirectory()) yield* walkFiles(join(folder, entry.name), `${prefix}${entry.name}/`);
  }
}

/**
 * Files found and not yet taken: the walk adds, lanes take batches. The walk is faster than the
 * workers, so it waits while QUEUED_FILES are queued: a tree of any size is held a few thousand
 * files at a time, not whole.
 */
class FileQueue {
  private readonly files: FileEntry[] = [];
  /** Index of the next file to take (slicing off the front each time is linear in the length). */
  private head = 0;
  private waiting: (() => void)[] = [];
  private room: (() => void) | undefined;
  private ended = false;

  /** Queues a file; resolves once there is room for the next. */
  async add(file: FileEntry): Promise<void> {
    this.files.push(file);
    this.waiting.shift()?.();
    while (this.files.length - this.head >= QUEUED_FILES && !this.ended) {
      await new Promise<void>((resolve) => (this.room = resolve));
    }
  }

  /** No more files: every lane waiting is woken, and gets what is left, then undefined. */
  end(): void {
    this.ended = true;
    for (const wake of this.waiting) wake();
    this.waiting = [];
    this.room?.();
  }

  /** Up to `count` files, waiting for at least one; undefined once all are taken. */
  async take(count: number): Promise<FileEntry[] | undefined> {
    while (this.head === this.files.length && !this.ended) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.head === this.files.length) return undefined;
    const batch = this.files.slice(this.head, this.head + count);
    this.head += batch.length;
    // Taken entries are released in blocks, so the array neither grows forever nor is shifted.
    if (this.head >= QUEUED_FILES) {
      this.files.splice(0, this.head);
      this.head = 0;
    }
    this.room?.();
    this.room = undefined;
    return batch;
  }
}

/** The newest backup of the same source in the current epoch, whose files may be reused. */
async function findParent(repo: Repository, source: BackupSource): Promise<Manifest | undefined> {
  // Labels only (no decryption of every manifest); the chosen one is verified when loaded.
  const candidates = (await repo.listBackups({ verify: false })).filter(
    (b) =>
      b.source.id === source.id && b.source.kind === source.kind && b.epoch === repo.currentEpoch,
  );
  const newest = candidates[0];
  if (newest === undefined) return undefined;
  // A damaged parent only means every file is read again; the backup itself must not fail.
  return repo.loadManifest(newest.id).catch((error: unknown) => {
    if (RepoErrors.is(error, 'REPO_DAMAGED')) return undefined;
    throw error;
  });
}

/** Backs up a folder as one component; unchanged files (same size and time) are reused unread. */
export async function backupDirectory(
  repo: Repository,
  folder: string,
  options: DirectoryBackupOptions = {},
): Promise<Manifest> {
  const root = resolve(folder);
  const info = await stat(root).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw CommonErrors.create('INVALID_INPUT', `${root} is not a folder.`);
  }
  const component = options.component ?? 'files';
  const source = options.source ?? { kind: 'directory', id: root, version: '1', labels: {} };
  // Started first: its workers load while the last backup's file list is read.
  const writer = await repo.startBackup({
    source,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
  });
  try {
    const parent = await findParent(repo, source);
    const previous = new Map<string, ArtifactRecord>(
      (parent?.components.find((c) => c.name === component)?.artifacts ?? []).map((a) => [
        a.name,
        a,
      ]),
    );
    const queue = new FileQueue();
    const stop: StopFlag = { stopped: false };
    let count = 0;
    const walk = async () => {
      try {
        for await (const file of walkFiles(root)) {
          if (stop.stopped) return;
          count++;
          await queue.add(file);
        }
      } catch (error) {
        stop.stopped = true;
        throw error;
      } finally {
        queue.end();
      }
    };
    const backupBatch = (batch: readonly FileEntry[]) =>
      writer.addFiles(
        component,
        batch.map(({ path, name }) => {
          const old = previous.get(name);
          return old === undefined ? { name, path } : { name, path, previous: old };
        }),
      );
    // All settle first, so no file is still being added when the writer is aborted.
    const outcomes = await Promise.allSettled([
      walk(),
      // Lanes that stopped early (a failure) end the queue too, so the walk never waits on them.
      runLanes(() => queue.take(FILES_PER_BATCH), BATCHES_IN_FLIGHT, backupBatch, stop).finally(
        () => queue.end(),
      ),
    ]);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    writer.setComponentResult(component, {
      status: 'Succeeded',
      meta: { files: String(count) },
    });
    return await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

export interface RestoreOptions {
  /** Restore only this component (its files go straight into the target folder). */
  readonly component?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

/** Where an artifact goes: inside `root`, never outside it whatever its stored name says. */
function targetPath(root: string, parts: readonly string[]): string {
  const path = resolve(root, ...parts.flatMap((part) => part.split('/')));
  if (
    !path.startsWith(root + sep) ||
    parts.some((part) => part.split('/').some((s) => s === '..' || s === ''))
  ) {
    throw RepoErrors.create(
      'REPO_DAMAGED',
      `The stored name ${parts.join('/')} would escape the target folder; refused.`,
    );
  }
  return path;
}

/**
 * Restores a backup into an empty (or new) folder, verifying every chunk and each file's SHA-256.
 * With several components each goes into a sub-folder of its name.
 */
export async function restoreBackup(
  repo: Repository,
  id: string,
  to: string,
  options: RestoreOptions = {},
): Promise<Manifest> {
  const root = resolve(to);
  const reader = await repo.openBackup(id, options.signal ? { signal: options.signal } : {});
  try {
    return await restoreWith(reader, root, options);
  } finally {
    await reader.close();
  }
}

async function restoreWith(
  reader: BackupReader,
  root: string,
  options: RestoreOptions,
): Promise<Manifest> {
  const manifest = reader.manifest;
  const id = manifest.id;
  const components = manifest.components.filter(
    (c) => options.component === undefined || c.name === options.component,
  );
  if (components.length === 0) {
    throw RepoErrors.create(
      'REPO_ARTIFACT_NOT_FOUND',
      `Backup ${id} has no component ${options.component ?? ''}.`,
    );
  }
  const existing = await readdir(root).catch(() => []);
  if (existing.length > 0)
    throw CommonErrors.create(
      'INVALID_INPUT',
      `${root} is not empty; restore into an empty folder.`,
    );
  await mkdir(root, { recursive: true });
  const total = components.reduce((sum, c) => sum + c.artifacts.reduce((s, a) => s + a.size, 0), 0);
  const started = Date.now();
  let done = 0;
  const jobs = components.flatMap((component) =>
    component.artifacts.map((artifact) => ({ component, artifact })),
  );
  type Job = (typeof jobs)[number];
  const folders = new Set<string>([root]);
  const prepare = async ({ component, artifact }: Job) => {
    const parts = components.length === 1 ? [artifact.name] : [component.name, artifact.name];
    const path = targetPath(root, parts);
    const folder = dirname(path);
    // Each folder is created once, not once per file.
    if (!folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      folders.add(folder);
    }
    return { path, temp: `${path}.lifeboat-partial` };
  };
  const progress = (bytes: number, component?: string, artifact?: string) => {
    done += bytes;
    options.onProgress?.({
      phase: 'restore',
      bytesDone: done,
      bytesTotal: total,
      rate: Math.round(done / Math.max((Date.now() - started) / 1000, 0.001)),
      component,
      artifact,
    });
  };
  const signal = options.signal ? { signal: options.signal } : {};
  const targets = [];
  for (const job of jobs) targets.push({ job, ...(await prepare(job)) });
  // Files of one chunk (most small files) are restored pack by pack, many per read; the others
  // each by a worker, written under a temporary name, checked, then renamed.
  const small = targets.filter(({ job }) => job.artifact.chunks.length <= 1);
  const large = targets.filter(({ job }) => job.artifact.chunks.length > 1);
  await reader.restoreSmallFiles(
    small.map(({ job, path }) => ({
      component: job.component.name,
      name: job.artifact.name,
      path,
    })),
    { ...signal, onBytes: (bytes) => progress(bytes) },
  );
  await runLanes(eachOf(large), RESTORES_IN_FLIGHT, async ({ job, path, temp }) => {
    const onBytes = (bytes: number) => progress(bytes, job.component.name, job.artifact.name);
    await reader.restoreFile(
      job.component.name,
      job.artifact.name,
      { path, temp },
      {
        ...signal,
        onBytes,
      },
    );
  });
  return manifest;
}
