/**
 * Enabling backup and changing its location, credentials, key or rack: every input is
 * validated against the real location and rack before anything is saved, secrets go to the
 * vault only, and each change is one catalog transaction with its audit entry.
 */
import { LifeboatError, type ErrorBody } from '../../shared/errors.js';
import type { BackupConfig, BackupConfigInput } from '../catalog/index.js';
import { RackClient } from '../rack/index.js';
import {
  initRepository,
  openRepository,
  type KeyMaterial,
  type KeyWrapping,
} from '../repository/index.js';
import type { Storage } from '../storage/index.js';
import { secretIds } from '../vault/index.js';
import {
  locationSchema,
  parseOrThrow,
  rackEndpointSchema,
  scheduleSchema,
  type LocationInput,
} from './config.js';
import { openConfiguredRepository, requireRepositoryId } from './connections.js';
import type { ControllerContext } from './context.js';
import { ConfigErrors } from './errors.js';
import { inspectCertificate, operatorKeyId, parseOperatorKey, type PendingKeys } from './keys.js';
import { checkLocation, describeRepository, locationId } from './location.js';
import { storeCredentials, type CredentialsInput } from './storage-credentials.js';

export type { CredentialsInput } from './storage-credentials.js';
import { saveSlots } from './schedule-store.js';
import { enabledSchedule } from './scheduler.js';

/** How backups are encrypted: a generated key (confirmed saved), an imported key, or a .cer. */
export type EncryptionInput =
  | { readonly mode: 'generated'; readonly pendingKeyId: string }
  | { readonly mode: 'imported'; readonly key: Uint8Array }
  | { readonly mode: 'certificate'; readonly certificate: Uint8Array };

export interface RackInput {
  readonly url: string;
  readonly fingerprint: string;
  readonly username: string;
  readonly password: Uint8Array;
}

export interface EnableInput {
  readonly location: LocationInput;
  readonly credentials: CredentialsInput | null;
  readonly encryption: EncryptionInput;
  readonly schedule?: { frequencyHours?: number; retentionDays?: number; enabled?: boolean };
  readonly rack: RackInput;
}

/** The key chosen, resolved to what the repository needs. */
interface ResolvedKey {
  readonly wrapping: KeyWrapping;
  readonly material: (repositoryId: string) => KeyMaterial | null;
  readonly description: Record<string, string>;
  readonly operatorKey: Buffer | null;
  readonly thumbprint: string | null;
  wipe(): void;
}

export async function enableBackup(
  ctx: ControllerContext,
  pending: PendingKeys,
  input: EnableInput,
): Promise<BackupConfig> {
  const location = parseOrThrow(locationSchema, input.location, 'location');
  const schedule = parseOrThrow(scheduleSchema, input.schedule ?? {}, 'schedule');
  const storage = await requireUsableLocation(ctx, location, input.credentials);
  const rack = await validateRack(ctx, input.rack);
  const key = resolveKey(ctx, pending, input.encryption);
  try {
    const repo = await prepareRepository(storage, key);
    const config: BackupConfigInput = {
      ...locationFields(location, input.credentials !== null, repo, key),
      frequencyHours: schedule.frequencyHours,
      retentionDays: schedule.retentionDays,
      schedulerEnabled: schedule.enabled,
      rack: { url: rack.url, fingerprint: rack.fingerprint, username: rack.username },
    };
    storeKey(ctx, repo.repositoryId, repo.epoch, key, repo.masterKey);
    repo.masterKey.fill(0);
    storeRackPassword(ctx, rack.url, input.rack.password);
    if (input.credentials !== null) storeCredentials(ctx, locationId(location), input.credentials);
    const saved = ctx.catalog.transaction(() => {
      const result = ctx.catalog.config.save(config, { actor: ctx.actor });
      ctx.audit('key.set', { epoch: repo.epoch, reused: repo.reused, ...key.description });
      return result;
    });
    saveSlots(ctx.home, enabledSchedule(schedule.frequencyHours, ctx.now()));
    ctx.logger.info('backup.enabled', { location: location.path, epoch: repo.epoch });
    ctx.emit({ type: 'changed', topics: ['settings', 'health', 'audit', 'vault'] });
    return saved;
  } finally {
    key.wipe();
  }
}

/** Changes the location: the new one is validated; older backups stay listed where they are. */
export async function changeLocation(
  ctx: ControllerContext,
  input: {
    location: LocationInput;
    credentials: CredentialsInput | null;
    encryption: EncryptionInput | null;
  },
  pending: PendingKeys,
): Promise<BackupConfig> {
  const current = ctx.config();
  const location = parseOrThrow(locationSchema, input.location, 'location');
  const storage = await requireUsableLocation(ctx, location, input.credentials);
  const key =
    input.encryption === null
      ? keyFromVault(ctx, current)
      : resolveKey(ctx, pending, input.encryption);
  try {
    const repo = await prepareRepository(storage, key);
    storeKey(ctx, repo.repositoryId, repo.epoch, key, repo.masterKey);
    repo.masterKey.fill(0);
    if (input.credentials !== null) storeCredentials(ctx, locationId(location), input.credentials);
    const saved = ctx.catalog.transaction(() =>
      ctx.catalog.config.save(
        {
          ...withoutUpdated(current),
          ...locationFields(location, input.credentials !== null, repo, key),
        },
        { actor: ctx.actor },
      ),
    );
    ctx.emit({ type: 'changed', topics: ['settings', 'health', 'audit', 'backups'] });
    return saved;
  } finally {
    key.wipe();
  }
}

/** Replaces the storage credentials after the location was checked with them. */
export async function changeCredentials(
  ctx: ControllerContext,
  credentials: CredentialsInput,
): Promise<BackupConfig> {
  const current = ctx.config();
  await requireUsableLocation(
    ctx,
    { kind: current.locationKind as LocationInput['kind'], path: current.locationPath },
    credentials,
  );
  storeCredentials(ctx, current.locationId, credentials);
  const saved = ctx.catalog.transaction(() => {
    const result = ctx.catalog.config.save(
      {
        ...withoutUpdated(current),
        credentialRef: secretIds.storageCredentials(current.locationId),
      },
      { actor: ctx.actor },
    );
    ctx.audit('credentials.set', {
      location: current.locationPath,
      username: credentials.username,
    });
    return result;
  });
  ctx.emit({ type: 'changed', topics: ['settings', 'audit', 'vault'] });
  return saved;
}

/** Replaces the rack endpoint or its password after connecting with the new ones. */
export async function changeRack(ctx: ControllerContext, input: RackInput): Promise<BackupConfig> {
  const current = ctx.config();
  const rack = await validateRack(ctx, input);
  storeRackPassword(ctx, rack.url, input.password);
  const saved = ctx.catalog.config.save(
    {
      ...withoutUpdated(current),
      rack: { url: rack.url, fingerprint: rack.fingerprint, username: rack.username },
    },
    { actor: ctx.actor },
  );
  ctx.emit({ type: 'changed', topics: ['settings', 'health', 'audit'] });
  return saved;
}

/**
 * Starts a new key epoch with a new key or certificate. Backups of older epochs stay readable
 * with their own key; `Settings.oldKeys` lists which backups still need each older one.
 */
export async function changeKey(
  ctx: ControllerContext,
  pending: PendingKeys,
  encryption: EncryptionInput,
): Promise<BackupConfig> {
  const current = ctx.config();
  const repositoryId = requireRepositoryId(current);
  await requireUsableLocation(ctx, {
    kind: current.locationKind as LocationInput['kind'],
    path: current.locationPath,
  });
  const key = resolveKey(ctx, pending, encryption);
  try {
    // Opened with the keys this workstation holds (an operator key, or in certificate mode
    // the current epoch's master key), so no .pfx is needed to start a new epoch.
    const repo = await openConfiguredRepository(ctx, current);
    let rotated;
    try {
      rotated = await repo.rotateKey(key.wrapping);
    } finally {
      await repo.close();
    }
    storeKey(ctx, repositoryId, rotated.epoch, key, rotated.masterKey);
    rotated.masterKey.fill(0);
    const saved = ctx.catalog.transaction(() => {
      const result = ctx.catalog.config.save(
        {
          ...withoutUpdated(current),
          encryption:
            key.thumbprint === null
              ? { mode: 'key', keyEpoch: rotated.epoch }
              : { mode: 'certificate', thumbprint: key.thumbprint },
        },
        { actor: ctx.actor },
      );
      ctx.audit('key.rotate', {
        epoch: rotated.epoch,
        previousEpoch: rotated.epoch - 1,
        ...key.description,
      });
      return result;
    });
    ctx.emit({ type: 'changed', topics: ['settings', 'audit', 'vault'] });
    return saved;
  } finally {
    key.wipe();
  }
}

/** The configuration fields that follow from a location, its repository and its key. */
function locationFields(
  location: LocationInput,
  hasCredentials: boolean,
  repo: PreparedRepository,
  key: ResolvedKey,
) {
  const id = locationId(location);
  return {
    locationId: id,
    locationPath: location.path,
    locationKind: location.kind,
    credentialRef: hasCredentials ? secretIds.storageCredentials(id) : null,
    repositoryId: repo.repositoryId,
    encryption:
      key.thumbprint === null
        ? { mode: 'key' as const, keyEpoch: repo.epoch }
        : { mode: 'certificate' as const, thumbprint: key.thumbprint },
  };
}

function withoutUpdated(config: BackupConfig): BackupConfigInput {
  const { updated: _updated, ...rest } = config;
  return rest;
}

async function requireUsableLocation(
  ctx: ControllerContext,
  location: LocationInput,
  credentials: CredentialsInput | null = null,
): Promise<Storage> {
  const { result, storage } = await checkLocation(ctx, location, credentials);
  if (storage !== null) return storage;
  const first: ErrorBody = result.problems[0] ?? {
    code: 'STORAGE_ACCESS_DENIED',
    message: `${location.path} could not be written, read back and cleaned.`,
    hint: 'Check the permissions of the account Lifeboat uses at the location.',
    category: 'storage',
  };
  throw new LifeboatError(
    first.code,
    { category: first.category, hint: first.hint },
    first.message,
  );
}

async function validateRack(ctx: ControllerContext, input: RackInput) {
  const rack = parseOrThrow(rackEndpointSchema, input, 'rack');
  const password = Buffer.from(input.password);
  ctx.logger.guard(password);
  const client = await RackClient.connect({ ...rack, password });
  password.fill(0);
  try {
    const info = await client.info();
    ctx.logger.info('rack.validated', {
      url: rack.url,
      stampId: info.stampId,
      version: info.version,
    });
  } finally {
    client.close();
  }
  return rack;
}

function resolveKey(
  ctx: ControllerContext,
  pending: PendingKeys,
  input: EncryptionInput,
): ResolvedKey {
  if (input.mode === 'certificate') {
    const certificate = Buffer.from(input.certificate);
    const info = inspectCertificate(certificate);
    return {
      wrapping: { certificate },
      material: () => null,
      description: {
        mode: 'certificate',
        thumbprint: info.thumbprint,
        subject: info.subject,
        notAfter: info.notAfter,
      },
      operatorKey: null,
      thumbprint: info.thumbprint,
      wipe: () => undefined,
    };
  }
  const key =
    input.mode === 'generated'
      ? pending.take(input.pendingKeyId)
      : parseOperatorKey(Buffer.from(input.key));
  ctx.logger.guard(key);
  return operatorKeyChoice(key, input.mode);
}

function operatorKeyChoice(key: Buffer, origin: string): ResolvedKey {
  return {
    wrapping: { operatorKey: key },
    material: () => ({ operatorKey: Buffer.from(key) }),
    description: { mode: 'key', origin, keyId: operatorKeyId(key) },
    operatorKey: key,
    thumbprint: null,
    wipe: () => key.fill(0),
  };
}

/** The configured epoch's key, from the vault, as a key choice (for moving or rotating). */
function keyFromVault(ctx: ControllerContext, config: BackupConfig): ResolvedKey {
  const repositoryId = requireRepositoryId(config);
  if (config.encryption.mode === 'key') {
    const key = ctx.vault.get(secretIds.repoOperatorKey(repositoryId, config.encryption.keyEpoch));
    ctx.logger.guard(key);
    return operatorKeyChoice(key, 'vault');
  }
  throw ConfigErrors.create(
    'CONFIG_INVALID',
    'In certificate mode the key cannot be carried to another location or epoch without its .pfx.',
    { hint: 'Give a certificate (.cer) or a key for the new location.' },
  );
}

interface PreparedRepository {
  readonly repositoryId: string;
  readonly epoch: number;
  readonly masterKey: Buffer;
  /** True when the location already held a repository this key opens. */
  readonly reused: boolean;
}

/** Creates the repository, or opens the existing one at the location with the key given. */
async function prepareRepository(storage: Storage, key: ResolvedKey): Promise<PreparedRepository> {
  const existing = await describeRepository(storage);
  if (existing === null) {
    const created = await initRepository(storage, { wrapping: key.wrapping });
    return { ...created, reused: false };
  }
  const material = key.material(existing.repositoryId);
  if (material === null) {
    throw ConfigErrors.create(
      'CONFIG_INVALID',
      `The location already holds repository ${existing.repositoryId}; a certificate cannot open it.`,
      { hint: 'Give the operator key of that repository, or choose an empty location.' },
    );
  }
  const repo = await openRepository(storage, material);
  try {
    if (!repo.openEpochs.includes(repo.currentEpoch)) {
      throw ConfigErrors.create(
        'CONFIG_INVALID',
        `The key given opens an older key epoch of repository ${existing.repositoryId}, not its current epoch ${repo.currentEpoch}.`,
        { hint: 'Give the key of the current epoch, or choose an empty location.' },
      );
    }
    return {
      repositoryId: repo.id,
      epoch: repo.currentEpoch,
      masterKey: Buffer.alloc(0),
      reused: true,
    };
  } finally {
    await repo.close();
  }
}

function storeKey(
  ctx: ControllerContext,
  repositoryId: string,
  epoch: number,
  key: ResolvedKey,
  masterKey: Buffer,
): void {
  if (key.operatorKey !== null) {
    ctx.vault.put(secretIds.repoOperatorKey(repositoryId, epoch), key.operatorKey, {
      label: `Backup key, epoch ${epoch} (key id ${operatorKeyId(key.operatorKey)})`,
    });
  } else {
    ctx.vault.put(secretIds.repoMasterKey(repositoryId, epoch), masterKey, {
      label: `Repository key of epoch ${epoch}, wrapped for certificate ${key.thumbprint}`,
    });
  }
}

function storeRackPassword(ctx: ControllerContext, url: string, password: Uint8Array): void {
  const secret = Buffer.from(password);
  ctx.logger.guard(secret);
  ctx.vault.put(secretIds.rackCredentials(url), secret, { label: `Rack password for ${url}` });
  secret.fill(0);
}
