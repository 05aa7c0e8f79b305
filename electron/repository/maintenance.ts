/**
 * `forget` (retention over manifests) and `prune` (reclaiming unreferenced data), both under
 * an exclusive lock (docs/repository-format.md section 10).
 */
import { CommonErrors } from '../../shared/errors.js';
import { listIdentity } from './artifact-list.js';
import { RepoErrors } from './errors.js';
import { RepositoryLock } from './locks.js';
import {
  manifestObjectName,
  openManifest,
  readManifestLabel,
  type ManifestLabel,
} from './manifest.js';
import type { Repository } from './repository.js';
import {
  packIdOf,
  packObjectName,
  readPackHeader,
  readPackTrailer,
  writeIndex,
  type LoadedIndex,
} from './store.js';
import type { PackRecord } from './records.js';
import type { BackupSummary, ForgetResult, PruneResult, RetentionPolicy } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Interrupted writes leave temporaries; younger ones may belong to a write still running elsewhere. */
const TEMPORARY_GRACE_MS = 60 * 60 * 1000;

/**
 * Which backups a policy keeps, per source: those within `keepWithinDays`, the `keepLast`
 * newest, and always the newest good one (Succeeded, else PartialSucceeded). Pure.
 */
export function planRetention<
  T extends Pick<BackupSummary, 'id' | 'created' | 'status' | 'source'>,
>(backups: readonly T[], policy: RetentionPolicy, now = Date.now()): { keep: T[]; remove: T[] } {
  const { keepLast, keepWithinDays } = policy;
  const valid = (n: number | undefined) => n === undefined || (Number.isFinite(n) && n >= 0);
  if (
    (keepLast === undefined && keepWithinDays === undefined) ||
    !valid(keepLast) ||
    !valid(keepWithinDays)
  ) {
    throw CommonErrors.create(
      'INVALID_INPUT',
      'A retention policy needs keepLast and/or keepWithinDays, each 0 or more.',
    );
  }
  const keep: T[] = [];
  const remove: T[] = [];
  const bySource = new Map<string, T[]>();
  for (const backup of backups) {
    const key = `${backup.source.kind}\u0000${backup.source.id}`;
    bySource.set(key, [...(bySource.get(key) ?? []), backup]);
  }
  for (const group of bySource.values()) {
    group.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
    const newestGood =
      group.find((b) => b.status === 'Succeeded') ??
      group.find((b) => b.status === 'PartialSucceeded');
    group.forEach((backup, position) => {
      const recent =
        keepWithinDays !== undefined && now - Date.parse(backup.created) <= keepWithinDays * DAY_MS;
      const last = keepLast !== undefined && position < keepLast;
      (recent || last || backup === newestGood ? keep : remove).push(backup);
    });
  }
  return { keep, remove };
}

export async function runForget(
  repo: Repository,
  policy: RetentionPolicy,
  options: { dryRun?: boolean },
): Promise<ForgetResult> {
  const dryRun = options.dryRun === true;
  const lock = await RepositoryLock.acquire(repo.storage, {
    exclusive: !dryRun,
    operation: 'forget',
  });
  try {
    const backups = await repo.listBackups();
    const { keep, remove } = planRetention(backups, policy);
    if (!dryRun)
      for (const backup of remove) await repo.storage.delete(manifestObjectName(backup.id));
    return { dryRun, removed: remove, kept: keep };
  } finally {
    await lock.release();
  }
}

interface PackFacts {
  readonly size: number;
  readonly epoch: number | undefined;
  readonly record: PackRecord | undefined;
}

export async function runPrune(
  repo: Repository,
  options: { dryRun?: boolean },
): Promise<PruneResult> {
  const dryRun = options.dryRun === true;
  const storage = repo.storage;
  const lock = await RepositoryLock.acquire(storage, { exclusive: !dryRun, operation: 'prune' });
  try {
    const index = await repo.loadIndexFromStorage();
    if (index.damaged.length > 0) {
      throw RepoErrors.create(
        'REPO_DAMAGED',
        `Prune refused: ${index.damaged.length} index file(s) are damaged (${index.damaged[0]?.[0]}). Run \`lifeboat repo check\` first.`,
      );
    }
    const facts = await packFacts(repo, index.packs);
    const { used, livingEpochs } = await collectUsage(repo, withUnindexed(index, facts));
    const current = repo.currentEpoch;
    // An epoch may lose data only if its key is held, or if no backup needs it any more.
    const reclaimable = (epoch: number | undefined) =>
      epoch !== undefined &&
      (repo.epochKeys(epoch) !== undefined || (!livingEpochs.has(epoch) && epoch !== current));
    const keepPacks: PackRecord[] = [];
    const deletePacks: string[] = [];
    let bytesFreed = 0;
    let bytesKept = 0;
    for (const [packId, fact] of facts) {
      const live =
        fact.record === undefined ? undefined : fact.record.blobs.some(([id]) => used.has(id));
      const unreadable = fact.epoch === undefined && !index.packs.has(packId);
      const deadEpoch = fact.epoch !== undefined && repo.epochKeys(fact.epoch) === undefined;
      if (unreadable || (reclaimable(fact.epoch) && (live === false || deadEpoch))) {
        deletePacks.push(packId);
        bytesFreed += fact.size;
      } else {
        bytesKept += fact.size;
        if (fact.record !== undefined && repo.epochKeys(fact.epoch ?? 0) !== undefined)
          keepPacks.push(fact.record);
      }
    }
    const deleteIndexes = index.files.filter(
      (file) => file.compact !== undefined || reclaimable(file.epoch),
    );
    if (!dryRun) {
      for (const epoch of repo.openEpochs) {
        const packs = keepPacks.filter((record) => facts.get(record.id)?.epoch === epoch);
        const keys = repo.epochKeys(epoch);
        if (packs.length > 0 && keys !== undefined) await writeIndex(storage, keys, packs);
      }
      for (const file of deleteIndexes) await storage.delete(file.name);
      for (const packId of deletePacks) await storage.delete(packObjectName(packId));
      await storage.sweepTemporaries(TEMPORARY_GRACE_MS);
      await repo.loadIndex(true);
    }
    return {
      dryRun,
      packsDeleted: deletePacks.length,
      indexesDeleted: deleteIndexes.length,
      bytesFreed,
      packsKept: facts.size - deletePacks.length,
      bytesKept,
    };
  } finally {
    await lock.release();
  }
}

/**
 * The index plus the blobs of packs no index names (their index was lost): a backup's list may
 * lie only in such a pack, and prune re-indexes them.
 */
function withUnindexed(index: LoadedIndex, facts: ReadonlyMap<string, PackFacts>): LoadedIndex {
  const blobs = new Map(index.blobs);
  for (const [pack, { record, epoch }] of facts) {
    if (index.packs.has(pack) || record === undefined || epoch === undefined) continue;
    for (const [id, offset, length, rawLength, compression] of record.blobs) {
      if (!blobs.has(id)) blobs.set(id, { pack, offset, length, rawLength, compression, epoch });
    }
  }
  return { ...index, blobs };
}

/** Chunks used by the backups this key opens; epochs that still have backups at all. */
async function collectUsage(
  repo: Repository,
  index: LoadedIndex,
): Promise<{ used: Set<string>; livingEpochs: Set<number> }> {
  const used = new Set<string>();
  /** Lists already counted: an unchanged component names the same list in every backup. */
  const listsRead = new Set<string>();
  const livingEpochs = new Set<number>();
  for (const object of await repo.storage.list('manifests/')) {
    const bytes = await repo.storage.get(object.name);
    let label: ManifestLabel;
    try {
      label = readManifestLabel(bytes, object.name);
    } catch (error) {
      throw RepoErrors.create(
        'REPO_DAMAGED',
        `Prune refused: ${object.name} is unreadable. Run \`lifeboat repo check\`.`,
        {
          cause: error,
        },
      );
    }
    livingEpochs.add(label.epoch);
    const keys = repo.epochKeys(label.epoch);
    if (keys === undefined) continue;
    // Damaged (the manifest or a list): prune refuses rather than guess what is still used.
    const manifest = openManifest(bytes, keys, object.name);
    for (const component of manifest.components) {
      if (component.list !== undefined) {
        const identity = listIdentity(component.list);
        if (listsRead.has(identity)) continue; // its chunks are counted already
        listsRead.add(identity);
        for (const [id] of component.list.chunks) used.add(id);
      }
      for await (const entries of repo.listEntries(manifest, component, index)) {
        for (const { record } of entries) for (const [id] of record.chunks) used.add(id);
      }
    }
  }
  return { used, livingEpochs };
}

/** Every pack with its epoch and content: from the index, or from its own header when unindexed. */
async function packFacts(
  repo: Repository,
  indexed: ReadonlyMap<string, { size: number; epoch: number }>,
): Promise<Map<string, PackFacts>> {
  const index = await repo.loadIndex();
  const records = new Map<string, PackRecord>();
  for (const file of index.files)
    for (const record of file.compact?.packs() ?? []) records.set(record.id, record);
  const facts = new Map<string, PackFacts>();
  for (const object of await repo.storage.list('data/')) {
    const packId = packIdOf(object.name);
    const known = indexed.get(packId);
    if (known !== undefined) {
      facts.set(packId, { size: object.size, epoch: known.epoch, record: records.get(packId) });
      continue;
    }
    facts.set(packId, await unindexedPack(repo, object.name, object.size));
  }
  return facts;
}

/** An unindexed pack (left by an interrupted backup, or its index was lost): read its header. */
async function unindexedPack(repo: Repository, name: string, size: number): Promise<PackFacts> {
  let epoch: number | undefined;
  try {
    epoch = (await readPackTrailer(repo.storage, name, size)).head.label.epoch;
  } catch {
    return { size, epoch: undefined, record: undefined };
  }
  if (repo.epochKeys(epoch) === undefined) return { size, epoch, record: undefined };
  try {
    const blobs = await readPackHeader(repo.storage, name, size, repo.heldKeys);
    return { size, epoch, record: { id: packIdOf(name), size, blobs } };
  } catch {
    return { size, epoch: undefined, record: undefined };
  }
}
