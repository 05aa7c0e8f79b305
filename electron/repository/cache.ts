/**
 * What this workstation keeps of a repository so that the next backup need not learn it again,
 * in a folder of its own outside the repository (`<cache>/<repository id>/`):
 *
 * - `index/<index id>`: each index file it has read, in its compact form (`compact-index.ts`),
 *   sealed with the epoch's local-cache key (format section 4). An index file is named by the
 *   SHA-256 of its content and never changes, so its entry stays right for as long as the file
 *   exists; entries of files no longer listed are removed. Sealed rather than only
 *   authenticated, so that a stolen laptop's cache says no more than the storage does.
 * - `lists/<SHA-256 of a list's identity>`: the summary of an artifact list a folder backup
 *   wrote (`list-summary.ts`), authenticated by its own MAC. One per folder: a backup that writes
 *   a new list removes the summary of the list it replaced.
 *
 * Why: a backup that changed nothing spent a quarter of its time decrypting, decompressing,
 * parsing and checking the index (5.7 MB of JSON for 60,000 chunks), and most of the rest reading
 * the last list's 12 MB to compare 62,000 files with it, to learn what the last backup knew.
 * restic and borg keep such caches too.
 *
 * The cache is never the truth: a missing entry, or one that does not open or is not whole, only
 * means the repository is read again; `check` and `prune` never use it. Never throws: a cache
 * that cannot be read or written is a slower backup, not a failed one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CompactIndex } from './compact-index.js';
import { gcmOpen, gcmSeal, type EpochKeys } from './crypto.js';

/** An index entry: `magic "LBIC" | version 1 | epoch (4 bytes, big-endian)`, then `nonce | sealed compact index | tag`. */
const INDEX_MAGIC = 'LBIC';
const INDEX_VERSION = 1;
const INDEX_HEAD_BYTES = 9;
const INDEX_NAME = /^index\/([0-9a-f]{64})$/;
const TEMPORARY = '.tmp';
const TEMPORARY_GRACE_MS = 10 * 60 * 1000;

export class RepositoryCache {
  private readonly indexes: string;
  private readonly lists: string;

  /** The cache of the repository `repositoryId` under `cacheFolder`. */
  constructor(cacheFolder: string, repositoryId: string) {
    this.indexes = join(cacheFolder, repositoryId, 'index');
    this.lists = join(cacheFolder, repositoryId, 'lists');
  }

  /** The compact form of the index object `name`, if cached and it opens with a key held. */
  async readIndex(
    name: string,
    keys: ReadonlyMap<number, EpochKeys>,
  ): Promise<CompactIndex | undefined> {
    const file = this.indexFileOf(name);
    const bytes = file === undefined ? undefined : await readFile(file).catch(() => undefined);
    if (bytes === undefined || bytes.length < INDEX_HEAD_BYTES) return undefined;
    const head = bytes.subarray(0, INDEX_HEAD_BYTES);
    if (head.toString('latin1', 0, 4) !== INDEX_MAGIC || head[4] !== INDEX_VERSION)
      return undefined;
    const epochKeys = keys.get(head.readUInt32BE(5));
    if (epochKeys === undefined) return undefined;
    const plain = gcmOpen(
      epochKeys.cache,
      bytes.subarray(INDEX_HEAD_BYTES),
      associated(head, name),
    );
    if (plain === undefined) return undefined;
    try {
      const index = CompactIndex.decode(plain);
      return index.epoch === epochKeys.epoch ? index : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keeps `index` as the compact form of the index object `name`. */
  async writeIndex(name: string, index: CompactIndex, keys: EpochKeys): Promise<void> {
    const file = this.indexFileOf(name);
    if (file === undefined || index.epoch !== keys.epoch) return;
    const head = Buffer.alloc(INDEX_HEAD_BYTES);
    head.write(INDEX_MAGIC, 0, 'latin1');
    head[4] = INDEX_VERSION;
    head.writeUInt32BE(keys.epoch, 5);
    const sealed = gcmSeal(keys.cache, index.bytes, associated(head, name));
    await writeWhole(this.indexes, file, Buffer.concat([head, sealed]));
  }

  /**
   * Removes the entries of index objects not in `names` (the repository's listing), and
   * temporaries older than TEMPORARY_GRACE_MS (writes cut short; a younger one may be another
   * process's write under way).
   */
  async retainIndexes(names: ReadonlySet<string>): Promise<void> {
    const keep = new Set([...names].map((name) => INDEX_NAME.exec(name)?.[1]));
    const entries = await readdir(this.indexes).catch(() => [] as string[]);
    for (const entry of entries) {
      if (keep.has(entry)) continue;
      const path = join(this.indexes, entry);
      if (entry.endsWith(TEMPORARY)) {
        const info = await stat(path).catch(() => undefined);
        if (info === undefined || Date.now() - info.mtimeMs < TEMPORARY_GRACE_MS) continue;
      }
      await rm(path, { force: true }).catch(() => undefined);
    }
  }

  /** The bytes kept for the list of identity `identity` (`list-summary.ts` opens them), if any. */
  async readListSummary(identity: string): Promise<Buffer | undefined> {
    return readFile(this.listFileOf(identity)).catch(() => undefined);
  }

  async writeListSummary(identity: string, bytes: Buffer): Promise<void> {
    await writeWhole(this.lists, this.listFileOf(identity), bytes);
  }

  async removeListSummary(identity: string): Promise<void> {
    await rm(this.listFileOf(identity), { force: true }).catch(() => undefined);
  }

  private indexFileOf(name: string): string | undefined {
    const id = INDEX_NAME.exec(name)?.[1];
    return id === undefined ? undefined : join(this.indexes, id);
  }

  private listFileOf(identity: string): string {
    return join(this.lists, createHash('sha256').update(identity).digest('hex'));
  }
}

/** What an index entry's seal binds besides the content: its header and the index object's name. */
function associated(head: Buffer, name: string): Buffer {
  return Buffer.concat([head, Buffer.from(name, 'utf8')]);
}

/** Writes `file` whole or not at all (a temporary, then a rename); a failure leaves no trace. */
async function writeWhole(folder: string, file: string, bytes: Buffer): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}${TEMPORARY}`;
  try {
    await mkdir(folder, { recursive: true });
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}
