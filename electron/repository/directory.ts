/**
 * Folder backups and restores (`lifeboat repo backup DIR`, `lifeboat repo restore ID --to DIR`):
 * a folder maps to one component whose artifacts are the files, named by relative path.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { CommonErrors } from '../../shared/errors.js';
import { RepoErrors } from './errors.js';
import { eachOf, runLanes } from './lanes.js';
import type { BackupReader, Repository } from './repository.js';
import type { ListRef } from './artifact-list.js';
import { FolderWalk, type WalkedFile } from './walk.js';
import type {
  ArtifactRecord,
  BackupSource,
  ListLine,
  PreviousLine,
  ProgressListener,
  SortedFile,
  SummarisedLine,
  WrittenBackup,
} from './types.js';
import type { ListSummary } from './list-summary.js';

/**
 * Files of several chunks restored at once; each has a few chunks read ahead and up to two 1 MiB
 * batches on their way to its worker, so this bounds restore memory.
 */
const RESTORES_IN_FLIGHT = 3;
/** List chunks (a few thousand files each) being restored at once. */
const WINDOWS_IN_FLIGHT = 2;

export interface DirectoryBackupOptions {
  /** Component name (default `files`). */
  readonly component?: string;
  /** Default: `{ kind: 'directory', id: <absolute path>, version: '1', labels: {} }`. */
  readonly source?: BackupSource;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  readonly lockWaitMs?: number;
}

/** The newest backup of the same source in the current epoch, whose files may be reused. */
async function findParent(repo: Repository, source: BackupSource): Promise<string | undefined> {
  // Labels only (no decryption of every manifest); the chosen one is verified when read.
  const candidates = (await repo.listBackups({ verify: false })).filter(
    (b) =>
      b.source.id === source.id && b.source.kind === source.kind && b.epoch === repo.currentEpoch,
  );
  return candidates[0]?.id;
}

/**
 * The component's list in the parent backup: its lines, where it is stored (if it is a stored
 * list), and this workstation's summary of it, if it has one to trust.
 */
interface ParentList {
  readonly lines: () => AsyncIterable<ListLine[]>;
  readonly ref: ListRef | undefined;
  readonly summary: ListSummary | undefined;
}

/**
 * The component's list in the parent backup, if its manifest opens (else, damaged or forgotten
 * since it was found, its files are read again).
 */
async function parentList(
  repo: Repository,
  parent: string | undefined,
  component: string,
): Promise<ParentList | undefined> {
  if (parent === undefined) return undefined;
  try {
    const { stored, index } = await repo.loadStoredManifest(parent);
    const found = stored.components.find((c) => c.name === component);
    if (found === undefined) return undefined;
    const summary = found.list === undefined ? undefined : await repo.listSummary(found.list);
    return { lines: () => repo.listLines(stored, found, index), ref: found.list, summary };
  } catch (error) {
    if (isDamage(error) || RepoErrors.is(error, 'REPO_BACKUP_NOT_FOUND')) return undefined;
    throw error;
  }
}

const isDamage = (error: unknown) =>
  RepoErrors.is(error, 'REPO_DAMAGED') || RepoErrors.is(error, 'REPO_DATA_MISSING');

/**
 * The parent list's lines, in name order: from its summary if there is one, else read as they
 * are needed (the records are parsed only for the files found unchanged). A damaged parent only
 * means files are read again: the lines end where the damage is found (those before it came from
 * chunks each verified).
 */
async function* previousLines(list: ParentList | undefined): AsyncGenerator<PreviousLine[]> {
  if (list === undefined) return;
  if (list.summary !== undefined) {
    yield* summarisedLines(list.summary);
    return;
  }
  try {
    yield* list.lines();
  } catch (error) {
    if (!isDamage(error)) throw error;
  }
}

/** Lines made from a summary as the join reaches them. */
const SUMMARISED_LINES = 1024;

function* summarisedLines(summary: ListSummary): Generator<SummarisedLine[]> {
  const { names, sizes, modified } = summary;
  for (let from = 0; from < names.length; from += SUMMARISED_LINES) {
    const lines: SummarisedLine[] = [];
    for (let index = from; index < Math.min(from + SUMMARISED_LINES, names.length); index++) {
      lines.push({
        name: names[index] as string,
        index,
        size: sizes[index] as number,
        modified: modified[index] as number,
      });
    }
    yield lines;
  }
}

/** Walked files joined with their parent lines (both in name order): the same name pairs. */
async function* withPrevious(
  runs: AsyncIterable<WalkedFile[]>,
  parent: AsyncGenerator<PreviousLine[]>,
): AsyncGenerator<SortedFile[]> {
  let lines: PreviousLine[] = [];
  let at = 0;
  let ended = false;
  /** Skips the lines before `name`: false when the chunk read so far ran out first. */
  const skipTo = (name: string): boolean => {
    while (at < lines.length && (lines[at] as PreviousLine).name < name) at++;
    return at < lines.length || ended;
  };
  try {
    for await (const run of runs) {
      for (const file of run) {
        while (!skipTo(file.name)) {
          const next = await parent.next();
          if (next.done === true) ended = true;
          else [lines, at] = [next.value, 0];
        }
        const line = lines[at];
        if (line?.name === file.name) file.previous = line;
      }
      yield run;
    }
  } finally {
    await parent.return(undefined);
  }
}

/**
 * Backs up a folder as one component; unchanged files (same size and time) are reused unread.
 * Its list is written as the files complete (`BackupWriter.addSortedFiles`): memory does not
 * grow with the number of files.
 */
export async function backupDirectory(
  repo: Repository,
  folder: string,
  options: DirectoryBackupOptions = {},
): Promise<WrittenBackup> {
  const root = resolve(folder);
  const info = await stat(root).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw CommonErrors.create('INVALID_INPUT', `${root} is not a folder.`);
  }
  const component = options.component ?? 'files';
  const source = options.source ?? { kind: 'directory', id: root, version: '1', labels: {} };
  // The walk starts first, and the writer next: the folder is walked, and the workers load,
  // while the repository is opened and the last backup looked up.
  const walk = new FolderWalk(root);
  try {
    // Looked up before the lock, so that the walk knows at once whether to take sizes and
    // times (only to compare with a last backup's lines). Should it be forgotten before the
    // lock is taken, its files are read again.
    const parent = await findParent(repo, source);
    walk.decide(parent !== undefined);
    const writer = await repo.startBackup({
      source,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
      startWorkers: parent === undefined ? 'at-once' : 'when-needed',
    });
    try {
      let count = 0;
      const counted = async function* () {
        for await (const run of walk.runs()) {
          count += run.length;
          yield run;
        }
      };
      const last = await parentList(repo, parent, component);
      await writer.addSortedFiles(
        component,
        withPrevious(counted(), previousLines(last)),
        last?.ref !== undefined
          ? { ref: last.ref, lines: last.lines, summarised: last.summary !== undefined }
          : undefined,
      );
      writer.setComponentResult(component, {
        status: 'Succeeded',
        meta: { files: String(count) },
      });
      return await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  } finally {
    await walk.stop();
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

/** What a folder restore restored. */
export interface RestoreResult {
  readonly id: string;
  readonly files: number;
  readonly bytes: number;
}

/**
 * Restores a backup into an empty (or new) folder, verifying every chunk and each file's SHA-256.
 * With several components each goes into a sub-folder of its name. The backup's lists are read
 * a chunk's worth of files at a time: memory does not grow with the number of files.
 */
export async function restoreBackup(
  repo: Repository,
  id: string,
  to: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
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
): Promise<RestoreResult> {
  const { id } = reader.manifest;
  const components = reader.manifest.components.filter(
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
  const total = options.component === undefined ? reader.manifest.size : undefined;
  const started = Date.now();
  let done = 0;
  let files = 0;
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
  const folders = new Set<string>([root]);
  // A list chunk's files at a time, the next one's while the last one's are still restoring.
  const windows = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const settle = (work: Promise<void>) => {
    windows.add(work);
    work.then(
      () => windows.delete(work),
      (error: unknown) => {
        windows.delete(work);
        failure ??= { error };
      },
    );
  };
  try {
    for (const component of components) {
      const place = (artifact: ArtifactRecord) =>
        targetPath(
          root,
          components.length === 1 ? [artifact.name] : [component.name, artifact.name],
        );
      for await (const entries of reader.entries(component.name)) {
        const targets: RestoreTarget[] = [];
        for (const { record } of entries) {
          const path = place(record);
          const folder = dirname(path);
          // Each folder is created once, not once per file.
          if (!folders.has(folder)) {
            await mkdir(folder, { recursive: true });
            folders.add(folder);
          }
          targets.push({ artifact: record, path, label: `${component.name}/${record.name}` });
        }
        settle(restoreTargets(reader, targets, options.signal, progress));
        files += targets.length;
        while (windows.size >= WINDOWS_IN_FLIGHT && failure === undefined) {
          await Promise.race(windows).catch(() => undefined);
        }
        if (failure !== undefined) break;
      }
      if (failure !== undefined) break;
    }
  } finally {
    // Nothing is still being written when this returns or throws.
    await Promise.allSettled([...windows]);
  }
  if (failure !== undefined) throw failure.error;
  return { id, files, bytes: done };
}

interface RestoreTarget {
  readonly artifact: ArtifactRecord;
  readonly path: string;
  /** `component/name`, for messages. */
  readonly label: string;
}

/**
 * Restores files: those of one chunk (most small files) pack by pack, many per read; the others
 * each by a worker, written under a temporary name, checked, then renamed.
 */
async function restoreTargets(
  reader: BackupReader,
  targets: readonly RestoreTarget[],
  signal: AbortSignal | undefined,
  progress: (bytes: number, component?: string, artifact?: string) => void,
): Promise<void> {
  const signalled = signal ? { signal } : {};
  const small = reader.restoreSmallFiles(
    targets.filter(({ artifact }) => artifact.chunks.length <= 1),
    { ...signalled, onBytes: (bytes) => progress(bytes) },
  );
  const large = targets.filter(({ artifact }) => artifact.chunks.length > 1);
  const each = runLanes(eachOf(large), RESTORES_IN_FLIGHT, async ({ artifact, path, label }) => {
    await reader.restoreFile(
      artifact,
      label,
      { path, temp: `${path}.lifeboat-partial` },
      {
        ...signalled,
        onBytes: (bytes) => progress(bytes, undefined, label),
      },
    );
  });
  // Both settle before the first failure is thrown: nothing is left being written behind it.
  const [first, second] = await Promise.allSettled([small, each]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
}
