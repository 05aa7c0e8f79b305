/**
 * The repository: init, discovery without a key, open with key material, key epochs, backup
 * writing and artifact reading. Check, forget and prune live in check.ts and maintenance.ts.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CommonErrors } from '../../shared/errors.js';
import type { Storage } from '../storage/index.js';
import { newConfig, readConfig, type RepositoryConfig } from './config.js';
import { deriveEpochKeys, type EpochKeys } from './crypto.js';
import { RepositoryCache } from './cache.js';
import { RepoErrors } from './errors.js';
import {
  entriesOfLines,
  lineOf,
  listIdentity,
  readListLines,
  type ListRef,
} from './artifact-list.js';
import { openListSummary, type ListSummary } from './list-summary.js';
import {
  keyFileShape,
  describeNeededKey,
  keyFileName,
  keyRefOf,
  operatorKeyId,
  readCertificate,
  readPfx,
  unwrapKeyFile,
  wrapWithCertificate,
  wrapWithOperatorKey,
  type KeyFile,
  type Unwrapper,
} from './keys.js';
import { RepositoryLock } from './locks.js';
import {
  BACKUP_ID,
  manifestObjectName,
  openManifest,
  readManifestLabel,
  type ManifestLabel,
  type StoredComponent,
  type StoredManifest,
} from './manifest.js';
import { PackReaders } from './pack-readers.js';
import { readShape } from './shapes.js';
import { rangeBuffers, restoreSmallFiles, type SmallFile } from './small-restore.js';
import { CryptoPool, RestoreError, type PoolOptions, type StoredBlob } from './pool.js';
import {
  loadIndexes,
  locateBlobs,
  packObjectName,
  type BlobLocation,
  type LoadedIndex,
} from './store.js';
import type {
  ArtifactRecord,
  BackupSummary,
  CheckOptions,
  ComponentRecord,
  CheckReport,
  ForgetResult,
  PruneResult,
  RetentionPolicy,
  VerifyReport,
  BackupWriter,
  EpochUsage,
  InitOptions,
  InitResult,
  KeyMaterial,
  KeyRef,
  KeyWrapping,
  ListEntry,
  ListLine,
  Manifest,
  StartBackupOptions,
} from './types.js';
import { Writer } from './writer.js';
import { runCheck, runVerify } from './check.js';
import { runForget, runPrune } from './maintenance.js';

/** How many chunks a reader fetches and verifies ahead of the consumer. */
const READ_AHEAD = 4;

/**
 * Chunks a file restore reads ahead of its worker: the worker has two batches of its own
 * queued, and several files restore at once.
 */
const RESTORE_READ_AHEAD = 2;

/** `fetch` over `items`, `ahead` at a time, yielded in order. */
async function* inOrder<T, R>(
  items: readonly T[],
  fetch: (item: T) => Promise<R>,
  signal: AbortSignal | undefined,
  ahead = READ_AHEAD,
): AsyncGenerator<R> {
  const window: Promise<R>[] = [];
  let next = 0;
  try {
    while (next < items.length || window.length > 0) {
      while (next < items.length && window.length < ahead) {
        const fetching = fetch(items[next++] as T);
        fetching.catch(() => undefined); // awaited below, in order
        window.push(fetching);
      }
      signal?.throwIfAborted();
      yield await (window.shift() as Promise<R>);
    }
  } finally {
    await Promise.allSettled(window);
  }
}

async function readKeyFiles(storage: Storage, repositoryId: string): Promise<KeyFile[]> {
  const files: KeyFile[] = [];
  for (const object of await storage.list('keys/')) {
    try {
      const file = readShape(
        keyFileShape,
        JSON.parse((await storage.get(object.name)).toString('utf8')),
      );
      if (file?.repository === repositoryId && keyFileName(file) === object.name) {
        files.push(file);
      }
    } catch {
      // An unreadable key file opens nothing; `check` reports it.
    }
  }
  return files;
}

function refsByEpoch(files: readonly KeyFile[]): Map<number, KeyRef[]> {
  const refs = new Map<number, KeyRef[]>();
  for (const file of files) refs.set(file.epoch, [...(refs.get(file.epoch) ?? []), keyRefOf(file)]);
  return refs;
}

async function readLabels(
  storage: Storage,
): Promise<{ labels: ManifestLabel[]; damaged: string[] }> {
  const labels: ManifestLabel[] = [];
  const damaged: string[] = [];
  for (const object of await storage.list('manifests/')) {
    try {
      const label = readManifestLabel(await storage.get(object.name), object.name);
      if (manifestObjectName(label.id) !== object.name) throw new Error('name mismatch');
      labels.push(label);
    } catch {
      damaged.push(object.name);
    }
  }
  return { labels, damaged };
}

function summaryOf(
  label: ManifestLabel,
  refs: Map<number, KeyRef[]>,
  verified: boolean,
): BackupSummary {
  return { ...label, keys: refs.get(label.epoch) ?? [], verified };
}

const newestFirst = (a: { created: string }, b: { created: string }) =>
  a.created < b.created ? 1 : a.created > b.created ? -1 : 0;

/**
 * Lists the backups at a location without any key: what a field engineer sees before giving one.
 * Labels are not yet authenticated (`verified: false`); `Repository.listBackups` verifies them.
 */
export async function listBackupsWithoutKey(storage: Storage): Promise<BackupSummary[]> {
  const config = await readConfig(storage);
  const refs = refsByEpoch(await readKeyFiles(storage, config.id));
  const { labels } = await readLabels(storage);
  return labels.map((label) => summaryOf(label, refs, false)).sort(newestFirst);
}

function requireWrapping(wrapping: KeyWrapping): void {
  if (wrapping.operatorKey === undefined && wrapping.certificate === undefined) {
    throw CommonErrors.create(
      'INVALID_INPUT',
      'A key epoch needs an operator key or a certificate to wrap it.',
    );
  }
  if (wrapping.operatorKey !== undefined && wrapping.operatorKey.length !== 32) {
    throw RepoErrors.create('REPO_KEY_INVALID', 'An operator key must be 32 bytes.');
  }
}

async function writeEpochKeys(
  storage: Storage,
  config: RepositoryConfig,
  keys: EpochKeys,
  wrapping: KeyWrapping,
): Promise<KeyFile[]> {
  const secret = {
    repository: config.id,
    epoch: keys.epoch,
    master: keys.master,
    check: keys.check,
  };
  const files: KeyFile[] = [];
  if (wrapping.operatorKey !== undefined)
    files.push(wrapWithOperatorKey(secret, wrapping.operatorKey));
  if (wrapping.certificate !== undefined)
    files.push(wrapWithCertificate(secret, readCertificate(wrapping.certificate)));
  for (const file of files)
    await storage.put(keyFileName(file), Buffer.from(JSON.stringify(file, null, 2)));
  return files;
}

/** Creates a repository at an empty location; returns epoch 1's master key for the caller's vault. */
export async function initRepository(storage: Storage, options: InitOptions): Promise<InitResult> {
  requireWrapping(options.wrapping);
  if ((await storage.stat('config')) !== undefined) {
    throw RepoErrors.create(
      'REPO_ALREADY_EXISTS',
      `${storage.location} already holds a repository.`,
    );
  }
  const config = newConfig();
  const keys = deriveEpochKeys(randomBytes(32), Buffer.from(config.id, 'hex'), 1);
  await writeEpochKeys(storage, config, keys, options.wrapping);
  const bytes = Buffer.from(JSON.stringify(config, null, 2));
  await storage.put('config', bytes); // last: a repository exists only once its keys do
  if (!(await storage.get('config')).equals(bytes)) {
    throw RepoErrors.create(
      'REPO_DAMAGED',
      `The config at ${storage.location} read back differently.`,
    );
  }
  return { repositoryId: config.id, epoch: 1, masterKey: keys.master };
}

/** Resolves key material into the epochs it opens. */
function openEpochs(
  config: RepositoryConfig,
  files: readonly KeyFile[],
  materials: readonly KeyMaterial[],
) {
  const repositoryId = Buffer.from(config.id, 'hex');
  const held = new Map<number, EpochKeys>();
  const unwrappers: Unwrapper[] = [];
  for (const material of materials) {
    if ('operatorKey' in material) {
      unwrappers.push({
        kind: 'operator',
        keyId: operatorKeyId(material.operatorKey),
        key: material.operatorKey,
      });
    } else if ('pfx' in material) {
      const { certificate, privateKey } = readPfx(material.pfx, material.password);
      unwrappers.push({ kind: 'certificate', keyId: certificate.thumbprint, privateKey });
    } else {
      const keys = deriveEpochKeys(material.masterKey, repositoryId, material.epoch);
      if (files.some((file) => file.epoch === material.epoch && file.check === keys.check)) {
        held.set(material.epoch, keys);
      }
    }
  }
  for (const file of files) {
    if (held.has(file.epoch)) continue;
    for (const unwrapper of unwrappers) {
      const master = unwrapKeyFile(file, unwrapper);
      if (master === undefined) continue;
      const keys = deriveEpochKeys(master, repositoryId, file.epoch);
      if (keys.check === file.check) held.set(file.epoch, keys);
    }
  }
  return held;
}

export interface OpenRepositoryOptions {
  /**
   * A folder of this workstation where what it learns of the repository is cached (its index
   * files, and a summary of each list a folder backup writes: `cache.ts`), so that the next
   * backup need not learn it again. Without it, nothing is cached.
   */
  readonly cacheFolder?: string;
}

/** Opens a repository with one or more keys. REPO_WRONG_KEY names what each epoch needs. */
export async function openRepository(
  storage: Storage,
  material: KeyMaterial | readonly KeyMaterial[],
  options: OpenRepositoryOptions = {},
): Promise<Repository> {
  const config = await readConfig(storage);
  const files = await readKeyFiles(storage, config.id);
  const materials = Array.isArray(material) ? material : [material as KeyMaterial];
  const held = openEpochs(config, files, materials);
  if (held.size === 0) {
    const refs = refsByEpoch(files);
    const current = Math.max(0, ...refs.keys());
    throw RepoErrors.create(
      'REPO_WRONG_KEY',
      `This key opens nothing in the repository at ${storage.location}; its current epoch needs ${describeNeededKey(current, refs.get(current) ?? [])}.`,
      { details: { epoch: current } },
    );
  }
  const cache =
    options.cacheFolder === undefined
      ? undefined
      : new RepositoryCache(options.cacheFolder, config.id);
  return new Repository(storage, config, files, held, cache);
}

export interface OpenArtifactOptions {
  /** First plaintext byte to return (recovery resumes uploads from the last byte sent). */
  readonly offset?: number;
  readonly signal?: AbortSignal;
}

export class Repository {
  private index: LoadedIndex | undefined;
  private indexStale = false;
  private readonly pools = new Map<number, CryptoPool>();

  /** @internal use openRepository */
  constructor(
    readonly storage: Storage,
    readonly config: RepositoryConfig,
    private keyFiles: KeyFile[],
    private readonly held: Map<number, EpochKeys>,
    private readonly cache?: RepositoryCache,
  ) {}

  get id(): string {
    return this.config.id;
  }

  /** The epoch new backups are written in. */
  get currentEpoch(): number {
    return Math.max(0, ...this.keyFiles.map((file) => file.epoch));
  }

  /** Epochs this repository object holds keys for. */
  get openEpochs(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** @internal */
  epochKeys(epoch: number): EpochKeys | undefined {
    return this.held.get(epoch);
  }

  /** @internal */
  get heldKeys(): ReadonlyMap<number, EpochKeys> {
    return this.held;
  }

  /** What opening `epoch` needs, for messages. */
  describeKeyFor(epoch: number): string {
    return describeNeededKey(epoch, refsByEpoch(this.keyFiles).get(epoch) ?? []);
  }

  /**
   * @internal the blob index, cached; `reload` reads the index files written since (or, after
   * a prune removed some, all of them again).
   */
  async loadIndex(reload = false): Promise<LoadedIndex> {
    if (reload || this.indexStale || this.index === undefined) {
      this.index = await loadIndexes(this.storage, this.held, this.index, this.cache);
      this.indexStale = false;
    }
    return this.index;
  }

  /**
   * @internal every index file read from the storage, none from this workstation's cache: what
   * `check` verifies is the storage.
   */
  async loadIndexFromStorage(): Promise<LoadedIndex> {
    this.index = await loadIndexes(this.storage, this.held);
    this.indexStale = false;
    return this.index;
  }

  /** @internal a crypto pool for one epoch, created on first use. */
  poolFor(epoch: number): CryptoPool {
    let pool = this.pools.get(epoch);
    if (pool === undefined) {
      const keys = this.requireEpoch(epoch, `Key epoch ${epoch}`);
      pool = new CryptoPool(keys, this.config.chunker);
      this.pools.set(epoch, pool);
    }
    return pool;
  }

  private requireEpoch(epoch: number, what: string): EpochKeys {
    const keys = this.held.get(epoch);
    if (keys === undefined) {
      throw RepoErrors.create(
        'REPO_WRONG_KEY',
        `${what} needs ${this.describeKeyFor(epoch)}; the key given does not open it.`,
        {
          details: { epoch },
        },
      );
    }
    return keys;
  }

  /**
   * Every backup, newest first; labels of epochs this key opens are verified against the content
   * (each manifest is decrypted). `{ verify: false }` reads labels only, like discovery.
   */
  async listBackups(options: { verify?: boolean } = {}): Promise<BackupSummary[]> {
    if (options.verify === false) return listBackupsWithoutKey(this.storage);
    const refs = refsByEpoch(this.keyFiles);
    const out: BackupSummary[] = [];
    for (const object of await this.storage.list('manifests/')) {
      let label: ManifestLabel;
      try {
        const bytes = await this.storage.get(object.name);
        label = readManifestLabel(bytes, object.name);
        const keys = this.held.get(label.epoch);
        if (keys !== undefined) openManifest(bytes, keys, object.name);
        out.push(summaryOf(label, refs, keys !== undefined));
      } catch (error) {
        if (!RepoErrors.is(error, 'REPO_DAMAGED')) throw error;
        // A damaged manifest is not a backup anyone can restore; `check` names it.
      }
    }
    return out.sort(newestFirst);
  }

  /** Decrypts one backup's manifest. REPO_WRONG_KEY names the epoch or certificate it needs. */
  async loadManifest(id: string): Promise<Manifest> {
    const { stored, index } = await this.loadStoredManifest(id);
    const components: ComponentRecord[] = [];
    for (const component of stored.components) {
      const { list: _list, artifacts: _inline, ...outcome } = component;
      components.push({ ...outcome, artifacts: await this.artifactsOf(stored, component, index) });
    }
    return { ...stored, components };
  }

  /**
   * @internal one backup's manifest as stored (its components' lists not read), and an index
   * that names their chunks.
   */
  async loadStoredManifest(id: string): Promise<{ stored: StoredManifest; index: LoadedIndex }> {
    if (!BACKUP_ID.test(id))
      throw RepoErrors.create('REPO_BACKUP_NOT_FOUND', `${JSON.stringify(id)} is not a backup id.`);
    const name = manifestObjectName(id);
    if ((await this.storage.stat(name)) === undefined) {
      throw RepoErrors.create(
        'REPO_BACKUP_NOT_FOUND',
        `No backup ${id} at ${this.storage.location}.`,
      );
    }
    const bytes = await this.storage.get(name);
    const label = readManifestLabel(bytes, name);
    const stored = openManifest(bytes, this.requireEpoch(label.epoch, `Backup ${id}`), name);
    let index = await this.loadIndex();
    const listChunks = stored.components.flatMap((c) => c.list?.chunks ?? []);
    // A backup committed since the index was loaded has list chunks only a fresh index names.
    const located = locateBlobs(
      index,
      listChunks.map(([chunk]) => chunk),
    );
    if (listChunks.some(([chunk]) => !located.has(chunk))) index = await this.loadIndex(true);
    return { stored, index };
  }

  /**
   * @internal a component's artifact records: read from its stored list (section 6), or inline
   * in manifests of pre-release writers. REPO_DATA_MISSING / REPO_DAMAGED when the list is.
   */
  async artifactsOf(
    manifest: StoredManifest,
    component: StoredComponent,
    index: LoadedIndex,
  ): Promise<readonly ArtifactRecord[]> {
    const records: ArtifactRecord[] = [];
    for await (const entries of this.listEntries(manifest, component, index)) {
      for (const { record } of entries) records.push(record);
    }
    return records;
  }

  /**
   * @internal a component's list entries in name order, a chunk's worth at a time, each verified
   * as its chunk arrives and the whole at the end (`readListLines`): any number in constant
   * memory.
   */
  listEntries(
    manifest: StoredManifest,
    component: StoredComponent,
    index: LoadedIndex,
  ): AsyncGenerator<ListEntry[]> {
    const where = `${manifestObjectName(manifest.id)} (component ${component.name})`;
    return entriesOfLines(this.listLines(manifest, component, index), where);
  }

  /**
   * @internal a component's list lines in name order, a chunk's worth at a time, with the names
   * their records begin with but the records not parsed (`readListLines`): for a caller that
   * parses only the lines it needs.
   */
  async *listLines(
    manifest: StoredManifest,
    component: StoredComponent,
    index: LoadedIndex,
  ): AsyncGenerator<ListLine[]> {
    if (component.list === undefined) {
      yield (component.artifacts ?? []).map((record, index) => ({
        name: record.name,
        line: lineOf(record),
        index,
      }));
      return;
    }
    const keys = this.requireEpoch(manifest.epoch, `Backup ${manifest.id}`);
    const where = `${manifestObjectName(manifest.id)} (component ${component.name})`;
    const { chunks } = component.list;
    // Only the list's own chunks are looked up: the index's whole blob table is not built for them.
    const located = locateBlobs(
      index,
      chunks.map(([chunk]) => chunk),
    );
    const blobs = this.readBlobs(chunks, located, undefined);
    yield* readListLines(component.list, blobs, keys, where);
  }

  /**
   * @internal this workstation's summary of the stored list `list` (`list-summary.ts`), if it
   * has one that opens, is of the current epoch and names only index files the repository still
   * holds (so every chunk its lines name is still indexed); else undefined.
   */
  async listSummary(list: ListRef): Promise<ListSummary | undefined> {
    const identity = listIdentity(list);
    const bytes = await this.cache?.readListSummary(identity);
    const summary = bytes === undefined ? undefined : openListSummary(bytes, identity, this.held);
    if (summary === undefined || summary.epoch !== this.currentEpoch) return undefined;
    if (summary.names.length !== list.count) return undefined;
    const indexed = new Set((await this.loadIndex()).files.map((file) => file.name));
    return summary.indexFiles.every((name) => indexed.has(name)) ? summary : undefined;
  }

  /** Starts a backup in the current epoch (takes a shared lock until commit or abort). */
  async startBackup(options: StartBackupOptions): Promise<BackupWriter> {
    const epoch = this.currentEpoch;
    const keys = this.held.get(epoch);
    if (keys === undefined) {
      throw RepoErrors.create(
        'REPO_KEY_NOT_CURRENT',
        `New backups are written in key epoch ${epoch}, which needs ${this.describeKeyFor(epoch)}.`,
        { details: { epoch } },
      );
    }
    const lock = await RepositoryLock.acquire(this.storage, {
      exclusive: false,
      operation: 'backup',
      waitMs: options.lockWaitMs ?? 0,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      const index = await this.loadIndex(true);
      let pool: CryptoPool | undefined;
      let closed = false;
      const startPool = (options: PoolOptions) => {
        // Work still in flight when the backup failed must not start workers nobody closes.
        if (closed) throw RepoErrors.create('REPO_WRITER_CLOSED', 'The backup is closed.');
        return (pool ??= new CryptoPool(keys, this.config.chunker, options));
      };
      return new Writer(
        {
          storage: this.storage,
          config: this.config,
          keys,
          indexFiles: index.files,
          cache: this.cache,
          lock,
          startPool,
          onClose: async () => {
            closed = true;
            this.indexStale = true; // the backup may have added an index
            await pool?.close();
          },
        },
        options,
      );
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * Opens one backup for reading: its manifest, once, under one shared lock, for as many
   * artifacts as the caller reads. Close it when done (restore of a folder, a recovery run).
   */
  async openBackup(id: string, options: { signal?: AbortSignal } = {}): Promise<BackupReader> {
    const { stored, index } = await this.loadStoredManifest(id);
    const lock = await RepositoryLock.acquire(this.storage, {
      exclusive: false,
      operation: 'restore',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      const pool = this.poolFor(stored.epoch);
      return new BackupReader(this, stored, index, pool, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * A stream of one artifact's plaintext from `offset`, every chunk verified before it is
   * passed on; a missing or corrupt chunk fails the stream with REPO_DATA_MISSING / REPO_DAMAGED.
   * For many artifacts of one backup, `openBackup` is cheaper.
   */
  async openArtifact(
    id: string,
    component: string,
    name: string,
    options: OpenArtifactOptions = {},
  ): Promise<Readable> {
    const reader = await this.openBackup(id, options.signal ? { signal: options.signal } : {});
    try {
      const stream = await reader.openArtifact(component, name, options);
      stream.once('close', () => void reader.close());
      return stream;
    } catch (error) {
      await reader.close();
      throw error;
    }
  }

  /** @internal streams verified chunks from `offset`. */
  async *readChunks(
    chunks: readonly (readonly [string, number])[],
    offset: number,
    index: LoadedIndex,
    pool: CryptoPool,
    signal: AbortSignal | undefined,
    packs?: PackReaders,
  ): AsyncGenerator<Buffer> {
    let first = 0;
    let skip = offset;
    while (first < chunks.length && skip >= (chunks[first] as readonly [string, number])[1]) {
      skip -= (chunks[first] as readonly [string, number])[1];
      first++;
    }
    const read = (chunk: readonly [string, number]) =>
      this.readChunk(chunk, index.blobs, pool, packs);
    for await (const plain of inOrder(chunks.slice(first), read, signal)) {
      yield skip > 0 ? plain.subarray(skip) : plain;
      skip = 0;
    }
  }

  /** @internal the stored (still sealed) blobs of `chunks`, in order, `ahead` read ahead. */
  readBlobs(
    chunks: readonly (readonly [string, number])[],
    locations: ReadonlyMap<string, BlobLocation>,
    signal: AbortSignal | undefined,
    packs?: PackReaders,
    ahead = READ_AHEAD,
  ): AsyncGenerator<StoredBlob> {
    return inOrder(chunks, (chunk) => this.fetchBlob(chunk, locations, packs), signal, ahead);
  }

  /** @internal reads and verifies one chunk. */
  async readChunk(
    chunk: readonly [string, number],
    locations: ReadonlyMap<string, BlobLocation>,
    pool: CryptoPool,
    packs?: PackReaders,
  ): Promise<Buffer> {
    const stored = await this.fetchBlob(chunk, locations, packs);
    const opened = await pool.open(stored.blob, stored.id, stored.compression, stored.rawLength);
    if (!opened.ok) {
      throw RepoErrors.create(
        'REPO_DAMAGED',
        `A chunk in ${stored.object} was refused: ${opened.error}.`,
        { details: { object: stored.object } },
      );
    }
    return opened.plain;
  }

  /** @internal reads one chunk's blob from its pack, unopened. */
  async fetchBlob(
    chunk: readonly [string, number],
    locations: ReadonlyMap<string, BlobLocation>,
    packs?: PackReaders,
  ): Promise<StoredBlob> {
    const [id, rawLength] = chunk;
    const location = locations.get(id);
    if (location === undefined) {
      throw RepoErrors.create(
        'REPO_DATA_MISSING',
        `Chunk ${id} is in no index (a missing index or pack).`,
        {
          details: { chunk: id },
        },
      );
    }
    const object = packObjectName(location.pack);
    const blob = await (
      packs !== undefined
        ? packs.read(object, location.offset, location.length)
        : this.storage.get(object, { offset: location.offset, length: location.length })
    ).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'STORAGE_NOT_FOUND') {
        throw RepoErrors.create('REPO_DATA_MISSING', `Pack ${object} is missing.`, {
          details: { object },
        });
      }
      throw error;
    });
    if (blob.length !== location.length) {
      throw RepoErrors.create('REPO_DAMAGED', `Pack ${object} is truncated.`, {
        details: { object },
      });
    }
    return { blob, id, compression: location.compression, rawLength, object };
  }

  /**
   * Checks the repository (shared lock): structure, and with `readData` every blob or a rolling
   * fraction of the packs. Never throws for damage: the report names it.
   */
  async check(options: CheckOptions = {}): Promise<CheckReport> {
    return this.underSharedLock('check', options.signal, () =>
      runCheck(this, {
        readData: options.readData,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    );
  }

  /** Verifies one backup; `readData` reads and verifies every chunk it uses. */
  async verifyBackup(
    id: string,
    options: {
      readData?: boolean;
      signal?: AbortSignal;
      onProgress?: CheckOptions['onProgress'];
    } = {},
  ): Promise<VerifyReport> {
    return this.underSharedLock('check', options.signal, () =>
      runVerify(this, id, {
        readData: options.readData === true,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    );
  }

  /** Removes backups outside the retention policy (never the newest good one of a source). */
  async forget(policy: RetentionPolicy, options: { dryRun?: boolean } = {}): Promise<ForgetResult> {
    return runForget(this, policy, options);
  }

  /** Deletes data no backup references; `dryRun` only reports. Takes an exclusive lock. */
  async prune(options: { dryRun?: boolean } = {}): Promise<PruneResult> {
    return runPrune(this, options);
  }

  private async underSharedLock<T>(
    operation: string,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    const lock = await RepositoryLock.acquire(this.storage, {
      exclusive: false,
      operation,
      ...(signal ? { signal } : {}),
    });
    try {
      return await run();
    } finally {
      await lock.release();
    }
  }

  /** Backups per key epoch, so an operator knows which older keys are still needed. */
  async keyUsage(): Promise<EpochUsage[]> {
    const refs = refsByEpoch(this.keyFiles);
    const { labels } = await readLabels(this.storage);
    const current = this.currentEpoch;
    return [...refs.keys()]
      .sort((a, b) => a - b)
      .map((epoch) => ({
        epoch,
        keys: refs.get(epoch) ?? [],
        backups: labels.filter((label) => label.epoch === epoch).map((label) => label.id),
        current: epoch === current,
      }));
  }

  /**
   * Starts a new key epoch wrapped by `wrapping`; new backups use it, older ones keep their key.
   * Returns the new master key for the caller's vault (certificate mode writes with it).
   */
  async rotateKey(wrapping: KeyWrapping): Promise<InitResult> {
    requireWrapping(wrapping);
    const lock = await RepositoryLock.acquire(this.storage, {
      exclusive: true,
      operation: 'key-rotate',
    });
    try {
      this.keyFiles = await readKeyFiles(this.storage, this.config.id);
      const epoch = this.currentEpoch + 1;
      const keys = deriveEpochKeys(randomBytes(32), Buffer.from(this.config.id, 'hex'), epoch);
      this.keyFiles.push(...(await writeEpochKeys(this.storage, this.config, keys, wrapping)));
      this.held.set(epoch, keys);
      return { repositoryId: this.config.id, epoch, masterKey: keys.master };
    } finally {
      await lock.release();
    }
  }

  /** Wraps the current epoch's master key with one more key (another operator key or certificate). */
  async addKey(wrapping: KeyWrapping): Promise<KeyRef[]> {
    requireWrapping(wrapping);
    const keys = this.requireEpoch(this.currentEpoch, `Adding a key to epoch ${this.currentEpoch}`);
    const lock = await RepositoryLock.acquire(this.storage, {
      exclusive: true,
      operation: 'key-add',
    });
    try {
      const files = await writeEpochKeys(this.storage, this.config, keys, wrapping);
      this.keyFiles.push(...files);
      return files.map(keyRefOf);
    } finally {
      await lock.release();
    }
  }

  /** Stops the worker threads. The repository object must not be used afterwards. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/**
 * One backup opened for reading (see `Repository.openBackup`). A component's artifact records
 * are read when first needed, and kept; a whole folder is read entry by entry (`entries`).
 */
export class BackupReader {
  private closed = false;
  /** Packs kept open across the artifacts read through this reader. */
  private readonly packs: PackReaders;
  /** Buffers pack ranges are read into by `restoreSmallFiles`, reused across its calls. */
  private readonly rangeBuffers = rangeBuffers();
  /** Artifacts by component, then by name: read on first use of the component. */
  private readonly records = new Map<string, Promise<Map<string, ArtifactRecord>>>();

  /** @internal */
  constructor(
    private readonly repo: Repository,
    /** The manifest as stored: components' outcomes, their lists not read. */
    readonly manifest: StoredManifest,
    private readonly index: LoadedIndex,
    private readonly pool: CryptoPool,
    private readonly lock: RepositoryLock,
  ) {
    this.packs = new PackReaders(repo.storage);
  }

  private ensureOpen(): void {
    if (this.closed)
      throw RepoErrors.create(
        'REPO_WRITER_CLOSED',
        `The reader of backup ${this.manifest.id} is closed.`,
      );
  }

  private component(name: string): StoredComponent {
    const found = this.manifest.components.find((c) => c.name === name);
    if (found === undefined) {
      throw RepoErrors.create(
        'REPO_ARTIFACT_NOT_FOUND',
        `Backup ${this.manifest.id} has no component ${name}.`,
      );
    }
    return found;
  }

  private async artifact(component: string, name: string): Promise<ArtifactRecord> {
    this.ensureOpen();
    let records = this.records.get(component);
    if (records === undefined) {
      const found = this.component(component);
      records = this.repo
        .artifactsOf(this.manifest, found, this.index)
        .then((list) => new Map(list.map((a) => [a.name, a])));
      records.catch(() => this.records.delete(component)); // a failed read is not kept
      this.records.set(component, records);
    }
    const artifact = (await records).get(name);
    if (artifact === undefined) {
      throw RepoErrors.create(
        'REPO_ARTIFACT_NOT_FOUND',
        `Backup ${this.manifest.id} has no artifact ${component}/${name}.`,
      );
    }
    return artifact;
  }

  /** A component's list entries in name order, a chunk's worth at a time (`Repository.listEntries`). */
  entries(component: string): AsyncGenerator<ListEntry[]> {
    this.ensureOpen();
    return this.repo.listEntries(this.manifest, this.component(component), this.index);
  }

  /**
   * Restores one artifact into a file, the per-byte work (open, verify, write, hash) in a crypto
   * worker: written to `target.temp`, its SHA-256 checked, renamed to `target.path`, its time
   * set. REPO_DAMAGED when its data is refused (`label`, `component/name`, names it); a file
   * system error keeps its code.
   */
  async restoreFile(
    artifact: ArtifactRecord,
    label: string,
    target: { readonly path: string; readonly temp: string },
    options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
  ): Promise<void> {
    this.ensureOpen();
    const blobs = this.repo.readBlobs(
      artifact.chunks,
      this.index.blobs,
      options.signal,
      this.packs,
      RESTORE_READ_AHEAD,
    );
    const full = { ...target, sha256: artifact.sha256, modified: artifact.modified };
    try {
      await this.pool.restoreFile(full, blobs, artifact.size, options);
    } catch (error) {
      if (!(error instanceof RestoreError)) throw error;
      if (error.damaged) {
        throw RepoErrors.create('REPO_DAMAGED', `${label}: ${error.message}.`);
      }
      throw Object.assign(new Error(error.message), { code: error.code }); // as fs reports it
    }
  }

  /**
   * Restores many artifacts of at most one chunk each into files (`small-restore.ts`): read pack
   * by pack, verified, and written straight to their paths, which must not exist. Failures as
   * for `restoreFile`.
   */
  async restoreSmallFiles(
    files: readonly SmallFile[],
    options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
  ): Promise<void> {
    this.ensureOpen();
    for (const { artifact, label } of files) {
      if (artifact.chunks.length > 1) throw new RangeError(`${label} has more than one chunk`);
    }
    await restoreSmallFiles(files, {
      index: this.index,
      buffers: this.rangeBuffers,
      pool: this.pool,
      readers: this.packs,
      signal: options.signal,
      onBytes: options.onBytes,
    });
  }

  /** A verified plaintext stream of one artifact from `offset` (REPO_ARTIFACT_NOT_FOUND if absent). */
  async openArtifact(
    component: string,
    name: string,
    options: OpenArtifactOptions = {},
  ): Promise<Readable> {
    const artifact = await this.artifact(component, name);
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > artifact.size) {
      throw RepoErrors.create(
        'REPO_OFFSET_INVALID',
        `Offset ${offset} is outside 0..${artifact.size}.`,
      );
    }
    return Readable.from(
      this.repo.readChunks(
        artifact.chunks,
        offset,
        this.index,
        this.pool,
        options.signal,
        this.packs,
      ),
      {
        objectMode: false,
        highWaterMark: 1,
      },
    );
  }

  /** Releases the lock. Streams already opened must be finished or destroyed first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.packs.close();
    await this.lock.release().catch(() => undefined);
  }
}
