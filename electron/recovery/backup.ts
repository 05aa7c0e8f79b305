/**
 * The backup side of a recovery: discover what a location holds without any key, open one
 * backup with its key (refusing a wrong key by name first), and verify it by reading everything
 * it references, offering the newest older backup that verifies when it is damaged.
 */
import type { Readable } from 'node:stream';
import {
  RepoErrors,
  listBackupsWithoutKey,
  openRepository,
  parseOperatorKey,
  type BackupSummary,
  type KeyMaterial,
  type Manifest,
  type Repository,
} from '../repository/index.js';
import { openLocationStorage, type ShareCredentials, type Storage } from '../storage/index.js';
import type { ComponentId } from './components.js';
import { RecoveryErrors } from './errors.js';
import { keyReference } from './kit-source.js';
import type { BackupComponentSummary } from './plan.js';
import type { RecoveryEvent, RestorableBackup } from './recover.js';

/** What opens a backup: the operator key as its printed base64 text, or a .pfx and password. */
export type DecryptionKey =
  | { readonly mode: 'key'; readonly key: Buffer }
  | { readonly mode: 'pfx'; readonly pfx: Buffer; readonly password: Buffer };

export interface DiscoveredBackup {
  readonly id: string;
  readonly createdAt: string;
  readonly stampId: string;
  readonly rackVersion: string;
  readonly status: string;
  readonly components: Readonly<Record<string, string>>;
  readonly sizeBytes: number;
  readonly keyEpoch: number;
  readonly certificateThumbprints: readonly string[];
  /** "key epoch 3" or "certificate <thumbprint>": what the engineer must bring. */
  readonly keyReference: string;
}

export interface OpenedBackup extends RestorableBackup {
  readonly summary: BackupSummary;
  readonly manifest: Manifest;
  readonly storage: Storage;
  readonly repository: Repository;
  close(): Promise<void>;
}

/**
 * Opens the storage at a path the engineer typed: a folder, a mounted share, or a Windows UNC
 * path whose share is connected first with the credentials given.
 */
export async function openLocation(path: string, credentials?: ShareCredentials): Promise<Storage> {
  return await openLocationStorage(path, { credentials });
}

/** Every backup at the location, newest first, from the plaintext labels only (no key). */
export async function discoverBackups(storage: Storage): Promise<DiscoveredBackup[]> {
  const summaries = await listBackupsWithoutKey(storage);
  return [...summaries].sort((a, b) => b.created.localeCompare(a.created)).map(describe);
}

function describe(summary: BackupSummary): DiscoveredBackup {
  const thumbprints = summary.keys
    .filter((key) => key.kind === 'certificate')
    .map((key) => key.keyId);
  return {
    id: summary.id,
    createdAt: summary.created,
    stampId: summary.source.id,
    rackVersion: summary.source.version,
    status: summary.status,
    components: summary.components,
    sizeBytes: summary.size,
    keyEpoch: summary.epoch,
    certificateThumbprints: thumbprints,
    keyReference: needs(summary),
  };
}

/** What the engineer must bring for a backup: its key epoch's operator key and/or certificate. */
function needs(summary: BackupSummary): string {
  const thumbprints = summary.keys
    .filter((key) => key.kind === 'certificate')
    .map((key) => key.keyId);
  const operator = summary.keys.some((key) => key.kind === 'operator') || thumbprints.length === 0;
  const certificate =
    thumbprints.length === 0 ? '' : `the certificate with thumbprint ${thumbprints.join(' or ')}`;
  if (!operator) return certificate;
  const epoch = keyReference(summary.epoch, null);
  return certificate === '' ? epoch : `${epoch} or ${certificate}`;
}

/**
 * Opens one backup. The key is checked against the backup's own epoch before anything is
 * decrypted, so a wrong key is refused naming the key that is needed.
 */
export async function openBackup(
  storage: Storage,
  backupId: string,
  key: DecryptionKey,
): Promise<OpenedBackup> {
  const summaries = await listBackupsWithoutKey(storage);
  const summary = summaries.find((candidate) => candidate.id === backupId);
  if (summary === undefined) {
    throw RecoveryErrors.create(
      'RECOVERY_BACKUP_NOT_FOUND',
      `There is no backup ${backupId} at ${storage.location}.`,
    );
  }
  const repository = await openWithKey(storage, key, summary);
  try {
    const manifest = await repository.loadManifest(backupId);
    return opened(storage, repository, summary, manifest);
  } catch (error) {
    await repository.close();
    throw error;
  }
}

/**
 * Opens the repository with the engineer's key and checks that it holds this backup's epoch.
 * Only the configuration and the key files are read, so a wrong key is refused, naming the key
 * the backup needs, before any of the backup is touched.
 */
async function openWithKey(
  storage: Storage,
  key: DecryptionKey,
  summary: BackupSummary,
): Promise<Repository> {
  const material: KeyMaterial =
    key.mode === 'key'
      ? { operatorKey: parseOperatorKey(key.key) }
      : { pfx: key.pfx, password: key.password };
  let repository: Repository;
  try {
    repository = await openRepository(storage, material);
  } catch (error) {
    if (RepoErrors.is(error, 'REPO_WRONG_KEY')) throw wrongKey(summary, error);
    throw error;
  } finally {
    // The repository keeps only the keys it derived; the operator key copy is not needed.
    if ('operatorKey' in material) material.operatorKey.fill(0);
  }
  if (repository.epochKeys(summary.epoch) === undefined) {
    await repository.close();
    throw wrongKey(summary);
  }
  return repository;
}

function wrongKey(summary: BackupSummary, cause?: unknown) {
  return RecoveryErrors.create(
    'RECOVERY_WRONG_KEY',
    `This backup (${summary.id}) needs ${needs(summary)}; the key given is another.`,
    { cause, details: { backupId: summary.id, epoch: summary.epoch } },
  );
}

function opened(
  storage: Storage,
  repository: Repository,
  summary: BackupSummary,
  manifest: Manifest,
): OpenedBackup {
  const components: BackupComponentSummary[] = manifest.components.map((component) => ({
    component: component.name,
    status: component.status,
    reason: component.reason,
    stateDigest: component.meta['stateDigest'],
    artifacts: component.artifacts.map((artifact) => ({
      name: artifact.name,
      size: artifact.size,
      sha256: artifact.sha256,
    })),
  }));
  return {
    id: manifest.id,
    createdAt: manifest.created,
    location: storage.location,
    sourceId: manifest.source.id,
    sourceVersion: manifest.source.version,
    keyReference: needs(summary),
    components,
    summary,
    manifest,
    storage,
    repository,
    async openArtifact(
      component: ComponentId,
      name: string,
      offset: number,
      signal: AbortSignal,
    ): Promise<Readable> {
      return await repository.openArtifact(manifest.id, component, name, { offset, signal });
    },
    async close() {
      await repository.close();
    },
  };
}

export interface VerifyOutcome {
  readonly backupId: string;
  readonly ok: true;
  readonly components: readonly string[];
}

/**
 * Reads every pack, index entry and blob the backup references. A damaged backup is refused
 * naming its damaged components, with the newest older backup of the same rack that verifies
 * (if any) offered in the error's details.
 */
export async function verifyForRecovery(
  backup: OpenedBackup,
  options: { signal: AbortSignal; onEvent?: ((event: RecoveryEvent) => void) | undefined },
): Promise<VerifyOutcome> {
  options.onEvent?.({
    type: 'phase',
    phase: 'verify',
    message: `Verifying backup ${backup.id} (reading all of it).`,
  });
  const report = await backup.repository.verifyBackup(backup.id, {
    readData: true,
    signal: options.signal,
  });
  if (report.ok) {
    return {
      backupId: backup.id,
      ok: true,
      components: backup.manifest.components.map((c) => c.name),
    };
  }
  const alternative = await newestOlderIntact(backup, options.signal);
  const damaged = report.damagedComponents.map((entry) => entry.replace(`${backup.id}/`, ''));
  throw RecoveryErrors.create(
    'RECOVERY_BACKUP_DAMAGED',
    `Backup ${backup.id} is damaged: ${damaged.join(', ') || 'its metadata'} cannot be restored as backed up.` +
      (alternative === null
        ? ' No older backup of this rack verifies with this key.'
        : ` The newest older backup that verifies is ${alternative}.`),
    {
      details: {
        backupId: backup.id,
        damagedComponents: damaged.join(','),
        alternative,
      },
    },
  );
}

/** Older backups of the same rack, newest first, that this key opens: the first that verifies. */
async function newestOlderIntact(
  backup: OpenedBackup,
  signal: AbortSignal,
): Promise<string | null> {
  const candidates = (await listBackupsWithoutKey(backup.storage))
    .filter(
      (summary) =>
        summary.source.id === backup.sourceId &&
        summary.created < backup.createdAt &&
        summary.status !== 'Failed' &&
        summary.keys.some((key) => backup.summary.keys.some((mine) => mine.keyId === key.keyId)),
    )
    .sort((a, b) => b.created.localeCompare(a.created));
  for (const candidate of candidates) {
    const report = await backup.repository.verifyBackup(candidate.id, { readData: true, signal });
    if (report.ok) return candidate.id;
  }
  return null;
}
