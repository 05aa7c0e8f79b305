/**
 * `check` and `verifyBackup` (docs/repository-format.md section 10): structure, and optionally
 * every blob (or a rolling subset of packs). The report names every damaged backup and the
 * object that damages it.
 */
import { availableParallelism } from 'node:os';
import { RepoErrors } from './errors.js';
import { BufferPool } from './buffers.js';
import { listIdentity } from './artifact-list.js';
import { eachOf, runLanes } from './lanes.js';
import {
  manifestObjectName,
  openManifest,
  readManifestLabel,
  type StoredManifest,
} from './manifest.js';
import { PackReaders } from './pack-readers.js';
import type { Repository } from './repository.js';
import {
  packIdOf,
  packObjectName,
  readPackHeader,
  type BlobLocation,
  type LoadedIndex,
} from './store.js';
import type { CheckOptions, CheckReport, Damage, ProgressListener, VerifyReport } from './types.js';

type Problem = Damage['problem'];

/**
 * Which backup components use which chunk, to name what a damaged object affects. Chunks are
 * used by *sources*, each a set of users (`backup/component`): an unchanged component's list is
 * the same list in every backup, so it is one source that every such backup joins, and it is
 * read once however many backups share it. A chunk keeps the number of its one source or the
 * list of them: a check of many backups of tens of thousands of files holds an entry per chunk,
 * not a set per chunk.
 */
class Usage {
  private readonly names: string[] = [];
  private readonly sources: number[][] = [];
  private readonly byChunk = new Map<string, number | number[]>();
  /** Lists read whole, by their SHA-256 and chunks: their source. */
  private readonly lists = new Map<string, number>();

  /** A new source whose first user is `name`. */
  source(name: string): number {
    return this.sources.push([this.names.push(name) - 1]) - 1;
  }

  /** The source of a list (`listIdentity`) read whole before, with `name` joining it; or undefined. */
  joinList(identity: string, name: string): number | undefined {
    const source = this.lists.get(identity);
    if (source !== undefined) this.sources[source]?.push(this.names.push(name) - 1);
    return source;
  }

  /** Records that the list `identity` was read whole as `source`. */
  listRead(identity: string, source: number): void {
    this.lists.set(identity, source);
  }

  add(source: number, chunks: readonly (readonly [string, number])[]): void {
    for (const [id] of chunks) {
      const sources = this.byChunk.get(id);
      if (sources === undefined) this.byChunk.set(id, source);
      else if (typeof sources === 'number') {
        if (sources !== source) this.byChunk.set(id, [sources, source]);
      } else if (!sources.includes(source)) sources.push(source);
    }
  }

  chunks(): IterableIterator<string> {
    return this.byChunk.keys();
  }

  /** The users of a chunk (none if it is not used); each user is in one source only. */
  usersOf(id: string): string[] {
    const sources = this.byChunk.get(id);
    if (sources === undefined) return [];
    return (typeof sources === 'number' ? [sources] : sources).flatMap((source) =>
      (this.sources[source] ?? []).map((n) => this.names[n] as string),
    );
  }
}

/**
 * Records the chunks a backup uses: each component's list and, read from it entry by entry,
 * its artifacts'. A list that cannot be read damages its component; a missing one is named by
 * the index check. A list already read whole in this check is not read again.
 */
async function recordUsage(
  repo: Repository,
  manifest: StoredManifest,
  index: LoadedIndex,
  usage: Usage,
  damage: DamageLog,
): Promise<void> {
  for (const component of manifest.components) {
    const name = `${manifest.id}/${component.name}`;
    const list = component.list;
    const identity = list === undefined ? undefined : listIdentity(list);
    if (identity !== undefined && usage.joinList(identity, name) !== undefined) continue;
    const source = usage.source(name);
    if (list !== undefined) usage.add(source, list.chunks);
    try {
      for await (const entries of repo.listEntries(manifest, component, index)) {
        for (const { record } of entries) usage.add(source, record.chunks);
      }
      if (identity !== undefined) usage.listRead(identity, source);
    } catch (error) {
      if (RepoErrors.is(error, 'REPO_DATA_MISSING')) continue;
      if (!RepoErrors.is(error, 'REPO_DAMAGED')) throw error;
      const object = error.details?.['object'];
      damage.note(
        typeof object === 'string' ? object : manifestObjectName(manifest.id),
        'corrupt',
        error.message,
        [name],
      );
    }
  }
}

class DamageLog {
  private readonly items = new Map<
    string,
    { problem: Problem; detail: string; components: Set<string> }
  >();
  note(object: string, problem: Problem, detail: string, components: Iterable<string> = []): void {
    let item = this.items.get(object);
    if (item === undefined)
      this.items.set(object, (item = { problem, detail, components: new Set() }));
    for (const c of components) item.components.add(c);
  }
  list(): Damage[] {
    return [...this.items.entries()].map(([object, item]) => {
      const components = [...item.components].sort();
      return {
        object,
        problem: item.problem,
        detail: item.detail,
        components,
        backups: [...new Set(components.map((c) => c.slice(0, c.indexOf('/'))))],
      };
    });
  }
}

interface Scope {
  /** Restrict to one backup (verifyBackup); undefined checks everything. */
  readonly only?: string;
  readonly readData: CheckOptions['readData'];
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export async function runCheck(repo: Repository, scope: Scope): Promise<CheckReport> {
  const storage = repo.storage;
  const damage = new DamageLog();
  const warnings: string[] = [];
  const usage = new Usage();
  const index = await repo.loadIndexFromStorage();
  for (const [name, reason] of index.damaged) damage.note(name, 'corrupt', reason);
  let backupsChecked = 0;
  const manifestNames =
    scope.only === undefined
      ? (await storage.list('manifests/')).map((o) => o.name)
      : [manifestObjectName(scope.only)];
  for (const name of manifestNames) {
    scope.signal?.throwIfAborted();
    const id = name.slice('manifests/'.length);
    try {
      const bytes = await storage.get(name);
      const label = readManifestLabel(bytes, name);
      const keys = repo.epochKeys(label.epoch);
      if (keys === undefined) {
        warnings.push(
          `Backup ${id} was not checked: it needs ${repo.describeKeyFor(label.epoch)}.`,
        );
        continue;
      }
      await recordUsage(repo, openManifest(bytes, keys, name), index, usage, damage);
      backupsChecked++;
    } catch (error) {
      if (
        !RepoErrors.is(error, 'REPO_DAMAGED') &&
        (error as { code?: string }).code !== 'STORAGE_NOT_FOUND'
      )
        throw error;
      damage.note(name, 'corrupt', error instanceof Error ? error.message : String(error), [
        `${id}/*`,
      ]);
    }
  }
  const packs = new Map((await storage.list('data/')).map((o) => [packIdOf(o.name), o.size]));
  const unindexed = [...packs.keys()].filter((id) => !index.packs.has(id));
  await checkChunksIndexed(repo, index, usage, unindexed, damage);
  const referenced = checkPacksPresent(index, usage, packs, damage, scope.only !== undefined);
  const toRead = selectPacks(referenced, scope.readData);
  let blobsRead = 0;
  const blobsByPack = groupByPack(index);
  const reading: PackReading = {
    repo,
    index,
    usage,
    damage,
    readers: new PackReaders(storage),
    // A pack is cut at packSize, before a blob that would overflow it (older writers: after).
    buffers: new BufferPool(PACKS_IN_FLIGHT, repo.config.packSize + repo.config.chunker.max + 4096),
  };
  // Packs are read one per worker at a time: each is verified whole in a worker.
  let done = 0;
  try {
    await runLanes(eachOf(toRead.packs), PACKS_IN_FLIGHT, async (packId) => {
      scope.signal?.throwIfAborted();
      const blobs = blobsByPack.get(packId) ?? [];
      const size = packs.get(packId) ?? 0;
      blobsRead += await readPack(reading, packId, size, blobs);
      scope.onProgress?.({
        phase: 'check',
        bytesDone: ++done,
        bytesTotal: toRead.packs.length,
        rate: 0,
      });
    });
  } finally {
    await reading.readers.close();
  }
  const list = damage.list();
  const damagedBackups = [...new Set(list.flatMap((d) => d.backups))].sort();
  return {
    ok: list.length === 0,
    damage: list,
    damagedBackups,
    backupsChecked,
    packsRead: toRead.packs.length,
    blobsRead,
    unindexedPacks: scope.only === undefined ? unindexed.length : 0,
    nextCursor: toRead.nextCursor,
    warnings,
  };
}

/** Every chunk a backup uses must be indexed; if not, say whether an unindexed pack still holds it. */
async function checkChunksIndexed(
  repo: Repository,
  index: LoadedIndex,
  usage: Usage,
  unindexed: readonly string[],
  damage: DamageLog,
): Promise<void> {
  const missing = [...usage.chunks()].filter((id) => !index.blobs.has(id));
  if (missing.length === 0) return;
  const holders = new Map<string, string>();
  for (const packId of unindexed) {
    const name = packObjectName(packId);
    const size = (await repo.storage.stat(name))?.size ?? 0;
    try {
      for (const [id] of await readPackHeader(repo.storage, name, size, repo.heldKeys))
        holders.set(id, name);
    } catch {
      // an unreadable unindexed pack holds nothing we can name
    }
  }
  for (const id of missing) {
    const users = usage.usersOf(id);
    const holder = holders.get(id);
    if (holder !== undefined) {
      damage.note(
        `index (for ${holder})`,
        'missing',
        'No index names this pack; `lifeboat repo prune` re-indexes it.',
        users,
      );
    } else {
      damage.note(`chunk ${id}`, 'missing', 'No index or pack holds this chunk.', users);
    }
  }
}

/** Referenced packs must exist, and every index entry must lie inside its pack. */
function checkPacksPresent(
  index: LoadedIndex,
  usage: Usage,
  packs: ReadonlyMap<string, number>,
  damage: DamageLog,
  onlyUsed: boolean,
): string[] {
  const usersOf = new Map<string, Set<string>>();
  for (const id of usage.chunks()) {
    const location = index.blobs.get(id);
    if (location === undefined) continue;
    let set = usersOf.get(location.pack);
    if (set === undefined) usersOf.set(location.pack, (set = new Set()));
    for (const user of usage.usersOf(id)) set.add(user);
  }
  const referenced = onlyUsed ? [...usersOf.keys()] : [...index.packs.keys()];
  for (const packId of referenced) {
    const name = packObjectName(packId);
    const size = packs.get(packId);
    const users = usersOf.get(packId) ?? [];
    if (size === undefined) {
      damage.note(name, 'missing', 'The pack is missing.', users);
      continue;
    }
    const expected = index.packs.get(packId)?.size;
    if (expected !== undefined && expected !== size) {
      damage.note(
        name,
        'corrupt',
        `The pack is ${size} bytes; its index says ${expected} (truncated?).`,
        users,
      );
    }
  }
  return referenced.filter((id) => packs.has(id)).sort();
}

/** All packs, or a rolling fraction continuing after `cursor` (packs in name order). */
function selectPacks(sorted: readonly string[], readData: CheckOptions['readData']) {
  if (readData === undefined || readData === false)
    return { packs: [] as string[], nextCursor: undefined };
  if (readData === true) return { packs: [...sorted], nextCursor: undefined };
  const fraction = Math.min(Math.max(readData.fraction, 0), 1);
  const count = Math.min(sorted.length, Math.max(1, Math.ceil(sorted.length * fraction)));
  const cursor = readData.cursor;
  let start = cursor === undefined ? 0 : sorted.findIndex((id) => id > cursor);
  if (start < 0) start = 0;
  const packs = Array.from(
    { length: count },
    (_, i) => sorted[(start + i) % sorted.length] as string,
  );
  return { packs, nextCursor: packs[packs.length - 1] };
}

type Located = [string, BlobLocation];

/** Packs read and verified at once (one per worker; each is held whole, 16 MiB by default). */
const PACKS_IN_FLIGHT = Math.min(4, Math.max(2, availableParallelism()));

function groupByPack(index: LoadedIndex): Map<string, Located[]> {
  const groups = new Map<string, Located[]>();
  for (const entry of index.blobs) {
    const group = groups.get(entry[1].pack);
    if (group === undefined) groups.set(entry[1].pack, [entry]);
    else group.push(entry);
  }
  return groups;
}

/** What reading packs in a check shares. */
interface PackReading {
  readonly repo: Repository;
  readonly index: LoadedIndex;
  readonly usage: Usage;
  readonly damage: DamageLog;
  readonly readers: PackReaders;
  readonly buffers: BufferPool;
}

/** Reads a whole pack: its name is its SHA-256, its header matches, every blob verifies. */
async function readPack(
  { repo, index, usage, damage, readers, buffers }: PackReading,
  packId: string,
  size: number,
  blobs: readonly Located[],
): Promise<number> {
  const name = packObjectName(packId);
  const info = index.packs.get(packId);
  if (info === undefined || repo.epochKeys(info.epoch) === undefined) return 0;
  try {
    await readPackHeader(repo.storage, name, size, repo.heldKeys);
  } catch (error) {
    if (!RepoErrors.is(error, 'REPO_DAMAGED')) throw error;
    const usersOfAll = blobs.flatMap(([id]) => usage.usersOf(id));
    damage.note(name, 'corrupt', error.message, usersOfAll);
  }
  // The whole pack goes to a worker: its SHA-256 and every blob are checked there. It is read
  // into a buffer the worker hands back, so a check of any size allocates PACKS_IN_FLIGHT.
  const buffer = buffers.take(size);
  const pack = await readers.read(name, 0, size, buffer);
  const { sha256, refused, bytes } = await repo.poolFor(info.epoch).verifyPack(
    pack.buffer === buffer.buffer ? buffer : pack,
    pack.length,
    blobs.map(([id, { offset, length, compression, rawLength }]) => ({
      id,
      offset,
      length,
      compression,
      rawLength,
    })),
  );
  buffers.give(bytes);
  if (sha256 !== packId) {
    damage.note(name, 'corrupt', 'The pack content does not match its name.', []);
  }
  for (const { id, error } of refused) {
    damage.note(name, 'corrupt', `A chunk was refused: ${error}.`, usage.usersOf(id));
  }
  return blobs.length;
}

/** Checks one backup: its manifest, its chunks' index entries and packs, and with readData its blobs. */
export async function runVerify(
  repo: Repository,
  id: string,
  scope: Omit<Scope, 'only'>,
): Promise<VerifyReport> {
  await repo.loadManifest(id); // a missing backup or a wrong key is an error, not damage
  const report = await runCheck(repo, { ...scope, only: id });
  const damagedComponents = [...new Set(report.damage.flatMap((d) => d.components))]
    .filter((c) => c.startsWith(`${id}/`))
    .map((c) => c.slice(id.length + 1));
  return { id, ok: report.ok, damage: report.damage, damagedComponents };
}
