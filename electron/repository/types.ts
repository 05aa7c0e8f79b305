/**
 * The public types of the repository engine. Consumers (controller, recovery, UI through the
 * contract) build against these; they change only with a format or API version.
 */
import type { ListRef } from './artifact-list.js';

export type ComponentStatus = 'Succeeded' | 'Failed' | 'Skipped';
export type BackupStatus = 'Succeeded' | 'PartialSucceeded' | 'Failed';

/** What was backed up, in terms the repository does not interpret (a rack, a folder, …). */
export interface BackupSource {
  readonly kind: string;
  readonly id: string;
  readonly version: string;
  readonly labels: Record<string, string>;
}

export interface ArtifactRecord {
  readonly name: string;
  readonly size: number;
  /** Hex SHA-256 of the plaintext. */
  readonly sha256: string;
  /** `[chunkId, plaintextLength]` in order. */
  readonly chunks: readonly (readonly [string, number])[];
  /** Source modification time (ms since epoch), when the caller gave one (files cache). */
  readonly modified?: number;
}

export interface ComponentRecord {
  readonly name: string;
  readonly status: ComponentStatus;
  readonly reason?: string;
  readonly meta: Record<string, string>;
  readonly artifacts: readonly ArtifactRecord[];
}

/** A whole backup, as decrypted from `manifests/<id>`. */
export interface Manifest {
  readonly id: string;
  readonly created: string;
  readonly finished: string;
  readonly durationMs: number;
  readonly epoch: number;
  readonly source: BackupSource;
  readonly status: BackupStatus;
  readonly components: readonly ComponentRecord[];
  /** Plaintext bytes of all artifacts. */
  readonly size: number;
  /** Bytes this backup added to the storage (new packs, index, manifest). */
  readonly storedBytes: number;
}

/** A component as `BackupWriter.commit` reports it. */
export interface WrittenComponent extends Omit<ComponentRecord, 'artifacts'> {
  readonly artifactCount: number;
  /**
   * Its artifact records, for a component added artifact by artifact. Absent for files added
   * with `addSortedFiles`, whose list went to the storage as they were backed up and is not
   * held: `Repository.loadManifest` reads it.
   */
  readonly artifacts?: readonly ArtifactRecord[];
}

/** A backup as `BackupWriter.commit` reports it: its manifest, less any streamed file list. */
export interface WrittenBackup extends Omit<Manifest, 'components'> {
  readonly components: readonly WrittenComponent[];
}

/** Which key opens an epoch, as the key files say (readable without any key). */
export interface KeyRef {
  readonly epoch: number;
  readonly kind: 'operator' | 'certificate';
  /** Operator key id, or the certificate's SHA-1 thumbprint (upper-case hex). */
  readonly keyId: string;
  readonly subject?: string;
  readonly notAfter?: string;
}

/** The plaintext label of a backup: what a field engineer sees before giving any key. */
export interface BackupSummary {
  readonly id: string;
  readonly created: string;
  readonly status: BackupStatus;
  readonly source: { readonly kind: string; readonly id: string; readonly version: string };
  readonly components: Record<string, ComponentStatus>;
  readonly size: number;
  readonly epoch: number;
  /** Keys that can open this backup's epoch. */
  readonly keys: readonly KeyRef[];
  /** True once the label was checked against the key (GCM associated data); false in discovery. */
  readonly verified: boolean;
}

/**
 * Key material to open a repository. An operator key opens the epochs it wraps; a .pfx and its
 * password open the epochs its certificate wraps; `{ epoch, masterKey }` is what a workstation
 * in certificate mode keeps in its vault to keep writing without the private key.
 */
export type KeyMaterial =
  | { readonly operatorKey: Buffer }
  | { readonly pfx: Buffer; readonly password: Buffer }
  | { readonly epoch: number; readonly masterKey: Buffer };

/** How a new epoch's master key is wrapped: by an operator key and/or a certificate (.cer, PEM or DER). */
export interface KeyWrapping {
  readonly operatorKey?: Buffer;
  readonly certificate?: Buffer;
}

export interface ProgressEvent {
  readonly phase: 'backup' | 'restore' | 'check' | 'prune';
  readonly bytesDone: number;
  /** Known total, when the caller gave expected sizes; otherwise undefined. */
  readonly bytesTotal: number | undefined;
  /** Bytes per second since the operation started. */
  readonly rate: number;
  readonly component?: string;
  readonly artifact?: string;
  /** Bytes written to the storage so far (new data only). */
  readonly bytesStored?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

export interface StartBackupOptions {
  readonly source: BackupSource;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** Sum of the artifacts' expected sizes, if known, for progress. */
  readonly expectedTotal?: number;
  /** Wait this long for a conflicting lock before failing (default 0: fail at once). */
  readonly lockWaitMs?: number;
  /**
   * When the crypto workers start: at once (default: they load while the caller prepares its
   * first artifact), or `when-needed`, for a re-backup expected to read few files (one that
   * changed nothing never starts them).
   */
  readonly startWorkers?: 'at-once' | 'when-needed';
}

export interface AddArtifactOptions {
  readonly expectedSize?: number;
  readonly expectedSha256?: string;
  readonly signal?: AbortSignal;
  /** Source modification time to record, so a later backup can reuse the artifact unread. */
  readonly modified?: number;
}

/** A file for `BackupWriter.addSortedFiles`, with its line in the last backup's list, if any. */
export interface SortedFile {
  readonly name: string;
  readonly path: string;
  readonly previous?: PreviousLine | undefined;
  /**
   * Its size and time if the caller already looked (lstat; NaN: it could not). Absent, the
   * writer looks itself when there is a line to compare with.
   */
  readonly size?: number | undefined;
  readonly modified?: number | undefined;
}

/** One record of an artifact list, and its line as stored (docs/repository-format.md section 6). */
export interface ListEntry {
  readonly record: ArtifactRecord;
  readonly line: string;
}

/** One line of an artifact list as stored, and the name its record begins with (not parsed). */
export interface ListLine {
  readonly name: string;
  readonly line: string;
  /** Its place in its list, from 0. */
  readonly index: number;
}

/**
 * A line of the last backup's list as this workstation's summary of it gives it
 * (`list-summary.ts`): what a file is compared with. Its text is read from the list only if the
 * new list has to be written.
 */
export interface SummarisedLine {
  readonly name: string;
  readonly index: number;
  readonly line?: undefined;
  readonly size: number;
  /** NaN: no file is to be reused from it. */
  readonly modified: number;
}

/** A file's line in the last backup's list: as stored, or as summarised. */
export type PreviousLine = ListLine | SummarisedLine;

/**
 * A component's list in the last backup, for `BackupWriter.addSortedFiles`: when every file is
 * unchanged the new list is the same list, and it is referenced again rather than written.
 */
export interface LastList {
  readonly ref: ListRef;
  /** Its lines from the start (the new list copies those it shares, should it turn out to differ). */
  readonly lines: () => AsyncIterable<ListLine[]>;
  /** Whether the files were compared with this workstation's summary of it (not its lines). */
  readonly summarised?: boolean;
}

export interface ComponentResult {
  readonly status: ComponentStatus;
  readonly reason?: string;
  readonly meta?: Record<string, string>;
}

export interface BackupWriter {
  readonly id: string;
  /**
   * Streams one artifact in. On a size or SHA-256 mismatch (or a failing stream) the component
   * is marked Failed with the reason and this rejects with REPO_ARTIFACT_MISMATCH /
   * REPO_ARTIFACT_READ; the writer stays usable. Storage failures abort the whole backup.
   */
  addArtifact(
    component: string,
    name: string,
    data: NodeJS.ReadableStream | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options?: AddArtifactOptions,
  ): Promise<ArtifactRecord>;
  /**
   * Adds a component's files in name order (JavaScript's `<`, the order of artifact lists), given
   * in runs of any length (a folder's at a time, say: a step per file would cost more than the
   * file),
   * a crypto worker reads each one, or it is reused unread when its size and modification time
   * equal its `previous` record's and that record's chunks are stored in the current key epoch
   * (its line is copied from the last backup's list). The component's list is written as the
   * files complete instead of holding their records: memory does not grow with the number of
   * files; with `last` (the same component's list in the last backup) and every file unchanged,
   * that list is referenced again instead. A file that cannot be read, changes while being read
   * or has an invalid name fails the component, with the reason, not the backup; storage
   * failures and cancellation abort the whole backup. The component takes no other artifacts;
   * `commit` reports its count, not its records. REPO_INVALID_NAME if the names are not strictly
   * ascending.
   */
  addSortedFiles(
    component: string,
    files: AsyncIterable<readonly SortedFile[]>,
    last?: LastList,
  ): Promise<void>;
  /** Records a component's outcome (status, reason, free-form meta). */
  setComponentResult(component: string, result: ComponentResult): void;
  /** Writes the index and the manifest (read back), releases the lock, reports the backup. */
  commit(): Promise<WrittenBackup>;
  /** Gives up: no manifest is written; data already written is reclaimed by prune. */
  abort(): Promise<void>;
}

export interface Damage {
  /** The missing or corrupt object, e.g. `data/ab/ab12…` or `index/…` or `manifests/…`. */
  readonly object: string;
  readonly problem: 'missing' | 'corrupt' | 'unreadable-key' | 'mismatch';
  readonly detail: string;
  readonly backups: readonly string[];
  /** `backupId/component` pairs damaged by this object. */
  readonly components: readonly string[];
}

export interface CheckOptions {
  /** Read and verify every blob (`true`), or a rolling fraction (0 < f ≤ 1) of the packs. */
  readonly readData?: boolean | { readonly fraction: number; readonly cursor?: string };
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly damage: readonly Damage[];
  readonly damagedBackups: readonly string[];
  readonly backupsChecked: number;
  readonly packsRead: number;
  readonly blobsRead: number;
  /** Packs no index names (left by interrupted backups; prune reclaims them). Not damage. */
  readonly unindexedPacks: number;
  /** Where a rolling `readData` subset stopped: pass it back next time. */
  readonly nextCursor: string | undefined;
  readonly warnings: readonly string[];
}

export interface VerifyReport {
  readonly id: string;
  readonly ok: boolean;
  readonly damage: readonly Damage[];
  /** Components that cannot be restored as backed up. */
  readonly damagedComponents: readonly string[];
}

export interface RetentionPolicy {
  /** Keep every backup created within this many days. */
  readonly keepWithinDays?: number;
  /** Keep this many newest backups (per source). */
  readonly keepLast?: number;
}

export interface ForgetResult {
  readonly dryRun: boolean;
  readonly removed: readonly BackupSummary[];
  readonly kept: readonly BackupSummary[];
}

export interface PruneResult {
  readonly dryRun: boolean;
  readonly packsDeleted: number;
  readonly indexesDeleted: number;
  readonly bytesFreed: number;
  readonly packsKept: number;
  readonly bytesKept: number;
}

export interface EpochUsage {
  readonly epoch: number;
  readonly keys: readonly KeyRef[];
  readonly backups: readonly string[];
  readonly current: boolean;
}

export interface InitOptions {
  readonly wrapping: KeyWrapping;
}

export interface InitResult {
  readonly repositoryId: string;
  readonly epoch: number;
  /** The new epoch's master key: the caller keeps it in its vault (needed in certificate mode). */
  readonly masterKey: Buffer;
}
