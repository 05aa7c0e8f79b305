/**
 * Every call the renderer can make, by name: its request schema and its response schema.
 * The router in electron/host/ dispatches this table and nothing else. Grow it additively:
 * never rename or narrow an existing method, since the renderer is built against it.
 */
import { z } from 'zod';
import {
  BackupStatus,
  ComponentName,
  Empty,
  Id,
  Location,
  Page,
  RackTarget,
  RackUrl,
  Schedule,
  SecretFile,
  SecretText,
  StorageCredentials,
} from './common.js';
import {
  AppInfo,
  AuditEntry,
  AuditVerification,
  BackupDetail,
  BackupSummary,
  CertificateInfo,
  Discovery,
  GeneratedKey,
  Health,
  JobDetail,
  JobKind,
  JobRef,
  JobSummary,
  Listing,
  LocationTestResult,
  OpenedBackup,
  Preflight,
  PrunePreview,
  RackProbe,
  RecoveryEntry,
  RecoveryReport,
  RecoveryStarted,
  Settings,
  VaultStatus,
} from './models.js';

/** How a backup is encrypted when backup is enabled or the key changes. */
export const EncryptionChoice = z.discriminatedUnion('mode', [
  /** A key from `key.generate` that the operator confirmed storing offline. */
  z.strictObject({ mode: z.literal('generated'), pendingKeyId: Id }),
  /** A key the operator already has, in its printed form. */
  z.strictObject({ mode: z.literal('imported'), key: SecretText }),
  /** A certificate's public part (.cer, PEM); its .pfx stays offline until a recovery. */
  z.strictObject({ mode: z.literal('certificate'), certificatePem: z.string().min(1).max(65536) }),
]);

/** What opens a backup during a recovery: the symmetric key, or the .pfx and its password. */
export const DecryptionKey = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('key'), key: SecretText }),
  z.strictObject({ mode: z.literal('pfx'), pfx: SecretFile, password: SecretText }),
]);

const method = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) => ({
  request,
  response,
});

export const methods = {
  // --- app and dashboard
  'app.info': method(Empty, AppInfo),
  'health.get': method(Empty, Health),

  // --- enable-backup wizard
  'location.test': method(
    z.strictObject({ location: Location, credentials: StorageCredentials.nullable() }),
    LocationTestResult,
  ),
  'rack.probe': method(z.strictObject({ url: RackUrl }), RackProbe),
  'key.generate': method(Empty, GeneratedKey),
  'key.confirmGenerated': method(
    z.strictObject({
      pendingKeyId: Id,
      /** The group of the key named by `confirmGroup`, retyped from the stored copy. */
      confirmation: z.string().min(1).max(64),
      storedOffline: z.literal(true),
    }),
    z.strictObject({ pendingKeyId: Id, confirmed: z.literal(true), keyFingerprint: z.string() }),
  ),
  'key.discardGenerated': method(z.strictObject({ pendingKeyId: Id }), Empty),
  'certificate.inspect': method(
    z.strictObject({ certificatePem: z.string().min(1).max(65536) }),
    CertificateInfo,
  ),
  'backup.enable': method(
    z.strictObject({
      location: Location,
      credentials: StorageCredentials.nullable(),
      encryption: EncryptionChoice,
      schedule: Schedule,
      /** The rack to back up; null keeps the configured one (the lab rack by default). */
      rack: RackTarget.nullable(),
    }),
    Settings,
  ),

  // --- backups
  'backups.list': method(
    z.strictObject({
      page: Page.default({ offset: 0, limit: 500 }),
      status: z.array(BackupStatus).max(8).optional(),
    }),
    Listing(BackupSummary),
  ),
  'backups.get': method(z.strictObject({ backupId: Id }), BackupDetail),
  'backups.start': method(Empty, JobRef),
  'backups.verify': method(z.strictObject({ backupId: Id, readData: z.boolean() }), JobRef),
  'backups.prunePreview': method(
    z.strictObject({ retentionDays: z.number().int().min(2).max(14).nullable() }),
    PrunePreview,
  ),
  'backups.prune': method(
    /** The ids the operator saw in the preview; a different set at run time is refused. */
    z.strictObject({ confirmBackupIds: z.array(Id).max(10_000) }),
    JobRef,
  ),
  'catalog.rebuild': method(Empty, JobRef),

  // --- settings
  'settings.get': method(Empty, Settings),
  'settings.previewSchedule': method(z.strictObject({ schedule: Schedule }), PrunePreview),
  'settings.changeSchedule': method(
    z.strictObject({ schedule: Schedule, confirmDeletes: z.array(Id).max(10_000) }),
    Settings,
  ),
  'settings.changeLocation': method(
    z.strictObject({ location: Location, credentials: StorageCredentials.nullable() }),
    Settings,
  ),
  'settings.changeCredentials': method(
    z.strictObject({ credentials: StorageCredentials }),
    Settings,
  ),
  'settings.changeKey': method(z.strictObject({ encryption: EncryptionChoice }), Settings),

  // --- jobs and activity
  'jobs.list': method(
    z.strictObject({ page: Page.default({ offset: 0, limit: 500 }), kind: JobKind.optional() }),
    Listing(JobSummary),
  ),
  'jobs.get': method(z.strictObject({ jobId: Id }), JobDetail),
  'jobs.cancel': method(z.strictObject({ jobId: Id }), JobSummary),
  'audit.list': method(
    z.strictObject({ page: Page.default({ offset: 0, limit: 500 }) }),
    Listing(AuditEntry),
  ),
  'audit.verify': method(Empty, AuditVerification),

  // --- cloud recovery wizard and drill
  'recovery.discover': method(
    z.strictObject({ location: Location, credentials: StorageCredentials.nullable() }),
    Discovery,
  ),
  'recovery.open': method(
    z.strictObject({ sessionId: Id, backupId: Id, decryption: DecryptionKey }),
    OpenedBackup,
  ),
  'recovery.verify': method(z.strictObject({ sessionId: Id }), JobRef),
  'recovery.preflight': method(z.strictObject({ sessionId: Id, target: RackTarget }), Preflight),
  'recovery.run': method(
    z.strictObject({
      sessionId: Id,
      /** A subset heals single services of a running rack; null restores everything. */
      components: z.array(ComponentName).min(1).nullable(),
    }),
    RecoveryStarted,
  ),
  'recovery.drill': method(z.strictObject({ sessionId: Id }), RecoveryStarted),
  'recovery.pause': method(z.strictObject({ recoveryId: Id }), RecoveryEntry),
  'recovery.resume': method(z.strictObject({ recoveryId: Id, sessionId: Id }), RecoveryStarted),
  'recovery.list': method(Empty, z.strictObject({ recoveries: z.array(RecoveryEntry) })),
  'recovery.report': method(z.strictObject({ recoveryId: Id }), RecoveryReport),
  'recovery.close': method(z.strictObject({ sessionId: Id }), Empty),

  // --- vault
  'vault.status': method(Empty, VaultStatus),
  'vault.unlock': method(z.strictObject({ passphrase: SecretText }), VaultStatus),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;

/** What the renderer sends (secrets as text). */
export type RequestOf<M extends MethodName> = z.input<Methods[M]['request']>;
/** What a service receives after validation (secrets as bytes). */
export type ServiceRequestOf<M extends MethodName> = z.output<Methods[M]['request']>;
/** What a call resolves to. */
export type ResponseOf<M extends MethodName> = z.output<Methods[M]['response']>;

export const METHOD_NAMES = Object.keys(methods) as MethodName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

/**
 * The one response that carries a secret to the renderer. The router test checks that this
 * list stays as it is; anything else that returned key material would be a defect.
 */
export const SECRET_RESPONSES: readonly MethodName[] = ['key.generate'];
