/**
 * Opening what a job talks to, from the saved configuration and the vault: the location's
 * storage, the repository with the current epoch's key, and the rack with its pinned
 * fingerprint. Secrets are fetched from the vault at the last moment and wiped after use.
 */
import { join } from 'node:path';
import type { BackupConfig } from '../catalog/index.js';
import { RackClient } from '../rack/index.js';
import { openRepository, type KeyMaterial, type Repository } from '../repository/index.js';
import {
  isUncPath,
  openLocationStorage,
  type OpenLocationOptions,
  type ShareCredentials,
  type Storage,
} from '../storage/index.js';
import { secretIds } from '../vault/index.js';
import type { ControllerContext } from './context.js';
import { ConfigErrors } from './errors.js';
import { readCredentials } from './storage-credentials.js';

/**
 * Opens a location as storage (through the test seam, if any). A Windows UNC path's share is
 * connected first with the given credentials, else those stored for the configured location.
 */
export async function openLocation(
  ctx: ControllerContext,
  path: string,
  options: OpenLocationOptions = {},
): Promise<Storage> {
  const credentials = options.credentials ?? storedCredentialsFor(ctx, path);
  try {
    return ctx.wrapStorage(await openLocationStorage(path, { ...options, credentials }));
  } finally {
    if (options.credentials === undefined) credentials?.password.fill(0);
  }
}

/** The stored credentials when `path` is the configured location (the caller wipes them). */
function storedCredentialsFor(ctx: ControllerContext, path: string): ShareCredentials | undefined {
  if (!isUncPath(path)) return undefined; // only a UNC share is connected with them
  const config = ctx.catalog.config.get();
  if (config === null || config.locationPath !== path) return undefined;
  return readCredentials(ctx, config.credentialRef);
}

/** The key material of the configured epoch, from the vault. The caller wipes it. */
export function currentKeyMaterial(ctx: ControllerContext, config: BackupConfig): KeyMaterial {
  const repositoryId = requireRepositoryId(config);
  if (config.encryption.mode === 'key') {
    return {
      operatorKey: ctx.vault.get(
        secretIds.repoOperatorKey(repositoryId, config.encryption.keyEpoch),
      ),
    };
  }
  const epoch = certificateEpoch(ctx, repositoryId);
  return { epoch, masterKey: ctx.vault.get(secretIds.repoMasterKey(repositoryId, epoch)) };
}

export function wipeKeyMaterial(material: KeyMaterial): void {
  if ('operatorKey' in material) material.operatorKey.fill(0);
  else if ('masterKey' in material) material.masterKey.fill(0);
  else material.password.fill(0);
}

/**
 * Opens the configured repository with every key this workstation holds for it (the current
 * epoch's and the older ones), so older backups can still be shown, verified and pruned.
 */
export async function openConfiguredRepository(
  ctx: ControllerContext,
  config: BackupConfig,
): Promise<Repository> {
  const storage = await openLocation(ctx, config.locationPath);
  const materials = [currentKeyMaterial(ctx, config), ...olderKeyMaterials(ctx, config)];
  try {
    return await openRepository(storage, materials, { cacheFolder: join(ctx.home, 'cache') });
  } finally {
    materials.forEach(wipeKeyMaterial);
  }
}

/** Keys of other epochs of the configured repository kept in the vault. */
function olderKeyMaterials(ctx: ControllerContext, config: BackupConfig): KeyMaterial[] {
  const repositoryId = requireRepositoryId(config);
  const current = secretIds.repoOperatorKey(
    repositoryId,
    config.encryption.mode === 'key' ? config.encryption.keyEpoch : 0,
  );
  const materials: KeyMaterial[] = [];
  for (const entry of ctx.vault.list()) {
    if (entry.id === current) continue;
    if (entry.id.startsWith(`repo-operator-key:${repositoryId}:`)) {
      materials.push({ operatorKey: ctx.vault.get(entry.id) });
    } else if (entry.id.startsWith(`repo-master-key:${repositoryId}:`)) {
      const epoch = Number(entry.id.slice(`repo-master-key:${repositoryId}:`.length));
      if (Number.isInteger(epoch) && epoch > 0)
        materials.push({ epoch, masterKey: ctx.vault.get(entry.id) });
    }
  }
  return materials;
}

/** Connects to the configured rack with the pinned fingerprint and the vault's password. */
export async function connectRack(
  ctx: ControllerContext,
  config: BackupConfig,
  signal?: AbortSignal,
): Promise<RackClient> {
  if (config.rack === null) {
    throw ConfigErrors.create('CONFIG_NOT_ENABLED', 'No rack is configured for backup.');
  }
  const password = ctx.vault.get(secretIds.rackCredentials(config.rack.url));
  ctx.logger.guard(password);
  try {
    return await RackClient.connect({
      url: config.rack.url,
      fingerprint: config.rack.fingerprint,
      username: config.rack.username,
      password,
      ...(signal === undefined ? {} : { signal }),
    });
  } finally {
    password.fill(0);
  }
}

export function requireRepositoryId(config: BackupConfig): string {
  if (config.repositoryId === null) {
    throw ConfigErrors.create('CONFIG_NOT_ENABLED', 'The configuration names no repository.');
  }
  return config.repositoryId;
}

/** In certificate mode the vault holds one master key per epoch; the newest is current. */
function certificateEpoch(ctx: ControllerContext, repositoryId: string): number {
  const prefix = `repo-master-key:${repositoryId}:`;
  const epochs = ctx.vault
    .list()
    .filter((entry) => entry.id.startsWith(prefix))
    .map((entry) => Number(entry.id.slice(prefix.length)))
    .filter((n) => Number.isInteger(n) && n > 0);
  if (epochs.length === 0) {
    throw ConfigErrors.create(
      'CONFIG_NOT_ENABLED',
      'This workstation holds no key for the certificate-mode repository.',
      {
        hint: 'Change the key (a new certificate starts a new key epoch this workstation can write).',
      },
    );
  }
  return Math.max(...epochs);
}
