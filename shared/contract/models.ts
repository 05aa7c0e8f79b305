/**
 * The records the screens show: health, settings, backups, jobs, recoveries, audit, vault.
 * Responses are strict: a service that returns a field the contract does not name (a stray
 * secret, say) is refused by the router instead of being passed to the renderer.
 */
import { z } from 'zod';
import {
  Alert,
  BackupStatus,
  ByteCount,
  ComponentName,
  ComponentProgress,
  ComponentStatus,
  CredentialsStatus,
  ErrorBodySchema,
  Fingerprint,
  Id,
  Location,
  Progress,
  Schedule,
  Seconds,
  Timestamp,
} from './common.js';

/** A certificate thumbprint as operators read it (SHA-1 as Windows shows it, or SHA-256). */
export const Thumbprint = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);

export const AppInfo = z.strictObject({
  version: z.string(),
  transport: z.enum(['electron', 'console']),
  platform: z.string(),
  /** The profile folder (catalog, vault, logs); shown so an operator knows what to keep. */
  home: z.string(),
  /** True when the configured rack is the simulated lab rack: the UI shows a LAB badge. */
  lab: z.boolean(),
  /** What the enable wizard pre-fills on a fresh machine (the default set-up). */
  defaults: z.strictObject({
    location: Location.nullable(),
    rackUrl: z.string().nullable(),
  }),
});

export const RackSummary = z.strictObject({
  url: z.string(),
  fingerprint: Fingerprint,
  username: z.string(),
  lab: z.boolean(),
});

export const EncryptionStatus = z.strictObject({
  mode: z.enum(['key', 'certificate']),
  keyEpoch: z.number().int().nonnegative(),
  /** A short, non-secret fingerprint of the active key, to compare with the key sheet. */
  keyFingerprint: z.string().nullable(),
  certificateThumbprint: Thumbprint.nullable(),
});

/** An older key (or certificate) that some backups still need until they age out. */
export const OldKeyNeeded = z.strictObject({
  keyEpoch: z.number().int().nonnegative(),
  keyFingerprint: z.string().nullable(),
  certificateThumbprint: Thumbprint.nullable(),
  neededBy: z.array(Id),
});

export const Settings = z.strictObject({
  configured: z.boolean(),
  location: Location.nullable(),
  credentials: CredentialsStatus,
  encryption: EncryptionStatus.nullable(),
  schedule: Schedule,
  rack: RackSummary.nullable(),
  oldKeys: z.array(OldKeyNeeded),
});

export const Health = z.strictObject({
  configured: z.boolean(),
  lab: z.boolean(),
  lastSucceeded: z
    .strictObject({ backupId: Id, createdAt: Timestamp, ageSeconds: Seconds })
    .nullable(),
  lastBackup: z
    .strictObject({ backupId: Id, createdAt: Timestamp, status: BackupStatus })
    .nullable(),
  nextRunAt: Timestamp.nullable(),
  schedulerEnabled: z.boolean(),
  location: z
    .strictObject({
      path: z.string(),
      reachable: z.boolean(),
      freeBytes: ByteCount.nullable(),
      totalBytes: ByteCount.nullable(),
      /** At the growth of recent backups; null while there is not enough history. */
      daysUntilFull: z.number().nonnegative().nullable(),
    })
    .nullable(),
  rack: z.strictObject({ url: z.string(), reachable: z.boolean(), lab: z.boolean() }).nullable(),
  runningJobId: Id.nullable(),
  alerts: z.array(Alert),
});

export const LocationTestResult = z.strictObject({
  reachable: z.boolean(),
  /** A probe file was written, read back and deleted. */
  writable: z.boolean(),
  freeBytes: ByteCount.nullable(),
  totalBytes: ByteCount.nullable(),
  /** A Lifeboat repository already lives here (backups can be kept and listed). */
  existingRepository: z
    .strictObject({ repositoryId: z.string(), backups: z.number().int().nonnegative() })
    .nullable(),
  /** The folder lies inside another repository, which is refused. */
  insideAnotherRepository: z.boolean(),
  problems: z.array(ErrorBodySchema),
});

export const RackProbe = z.strictObject({
  url: z.string(),
  /** SHA-256 of the rack's certificate, to be confirmed by the operator (like SSH). */
  fingerprint: Fingerprint,
  certificateSubject: z.string(),
  certificateValidTo: Timestamp.nullable(),
  /** What the rack says about itself before login, where it says it. */
  version: z.string().nullable(),
  recoveryMode: z.boolean().nullable(),
  lab: z.boolean().nullable(),
});

/**
 * The only secret that ever travels main -> renderer: a newly generated backup key, shown ONCE.
 * Main keeps it pending (not usable for backups) until the operator confirms they stored it
 * offline by retyping one group of it; there is no call that returns it again.
 */
export const GeneratedKey = z.strictObject({
  pendingKeyId: Id,
  /** The key as printed on the key sheet: groups of characters separated by dashes. */
  key: z.string(),
  groups: z.number().int().positive(),
  /** 1-based index of the group the operator must retype to confirm. */
  confirmGroup: z.number().int().positive(),
  keyFingerprint: z.string(),
  createdAt: Timestamp,
  /** After this the pending key is discarded and must be generated again. */
  expiresAt: Timestamp,
});

export const CertificateInfo = z.strictObject({
  thumbprint: Thumbprint,
  subject: z.string(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  publicKeyAlgorithm: z.string(),
  keyBits: z.number().int().positive().nullable(),
});

export const ComponentStatusEntry = z.strictObject({
  component: ComponentName,
  status: ComponentStatus,
});

export const BackupSummary = z.strictObject({
  backupId: Id,
  createdAt: Timestamp,
  durationSeconds: Seconds.nullable(),
  status: BackupStatus,
  components: z.array(ComponentStatusEntry),
  /** Logical bytes of the rack data in this backup. */
  sizeBytes: ByteCount.nullable(),
  /** New bytes this backup added at the location (after dedup and compression). */
  addedBytes: ByteCount.nullable(),
  keyEpoch: z.number().int().nonnegative().nullable(),
  certificateThumbprint: Thumbprint.nullable(),
  location: z.string(),
  /** Set once a recovery drill restored this backup and every digest matched. */
  provenAt: Timestamp.nullable(),
});

export const BackupComponentDetail = z.strictObject({
  component: ComponentName,
  status: ComponentStatus,
  reason: z.string().nullable(),
  sizeBytes: ByteCount.nullable(),
  artifacts: z.number().int().nonnegative(),
  /** The component's logical state digest recorded at backup time. */
  digest: z.string().nullable(),
});

export const BackupDetail = z.strictObject({
  summary: BackupSummary,
  components: z.array(BackupComponentDetail),
  rack: z.strictObject({
    stampId: z.string().nullable(),
    version: z.string().nullable(),
    url: z.string().nullable(),
  }),
  lastVerified: z
    .strictObject({ at: Timestamp, readData: z.boolean(), ok: z.boolean() })
    .nullable(),
  problems: z.array(ErrorBodySchema),
});

export const PrunePreview = z.strictObject({
  retentionDays: z.number().int(),
  wouldDelete: z.array(BackupSummary),
  /** Retention never deletes the newest Succeeded backup; this is it. */
  keptNewestSucceeded: Id.nullable(),
  reclaimableBytes: ByteCount.nullable(),
});

export const JobKind = z.enum([
  'backup',
  'verify',
  'prune',
  'catalog-rebuild',
  'recovery-verify',
  'recovery',
  'drill',
]);
export const JobStatus = z.enum([
  'queued',
  'running',
  'paused',
  'succeeded',
  'partial',
  'failed',
  'cancelled',
]);

export const JobSummary = z.strictObject({
  jobId: Id,
  kind: JobKind,
  status: JobStatus,
  /** The backup or recovery the job is about, when there is one. */
  subject: z.string().nullable(),
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  error: ErrorBodySchema.nullable(),
});

export const JobProgress = z.strictObject({
  phase: z.string(),
  overall: Progress,
  components: z.array(ComponentProgress),
});

export const JobLogEntry = z.strictObject({
  at: Timestamp,
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
});

export const VerifyResult = z.strictObject({
  backupId: Id,
  ok: z.boolean(),
  readData: z.boolean(),
  damagedComponents: z.array(ComponentName),
  /** When the chosen backup is damaged: the newest older backup that verifies. */
  suggestedBackupId: Id.nullable(),
  problems: z.array(ErrorBodySchema),
});

export const JobResult = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('backup'), backupId: Id, status: BackupStatus }),
  z.strictObject({ kind: z.literal('verify'), verify: VerifyResult }),
  z.strictObject({ kind: z.literal('recovery-verify'), verify: VerifyResult }),
  z.strictObject({ kind: z.literal('prune'), deleted: z.array(Id) }),
  z.strictObject({ kind: z.literal('catalog-rebuild'), backups: z.number().int().nonnegative() }),
  z.strictObject({ kind: z.literal('recovery'), recoveryId: Id, allDigestsMatch: z.boolean() }),
  z.strictObject({ kind: z.literal('drill'), recoveryId: Id, allDigestsMatch: z.boolean() }),
]);

export const JobDetail = z.strictObject({
  job: JobSummary,
  progress: JobProgress.nullable(),
  log: z.array(JobLogEntry),
  result: JobResult.nullable(),
});

/** What a long operation returns at once; its progress and end arrive as events. */
export const JobRef = z.strictObject({ jobId: Id, kind: JobKind });

export const DiscoveredBackup = z.strictObject({
  backupId: Id,
  createdAt: Timestamp,
  stampId: z.string().nullable(),
  rackVersion: z.string().nullable(),
  status: BackupStatus,
  components: z.array(ComponentStatusEntry),
  sizeBytes: ByteCount.nullable(),
  keyEpoch: z.number().int().nonnegative().nullable(),
  certificateThumbprint: Thumbprint.nullable(),
});

export const Discovery = z.strictObject({
  /** Holds the location, its credentials and later the key, in main, for the next steps. */
  sessionId: Id,
  location: z.string(),
  backups: z.array(DiscoveredBackup),
});

export const OpenedBackup = z.strictObject({
  sessionId: Id,
  backupId: Id,
  components: z.array(
    z.strictObject({ component: ComponentName, sizeBytes: ByteCount, digest: z.string() }),
  ),
});

export const PreflightCheck = z.strictObject({
  check: z.enum(['reachable', 'fingerprint', 'credentials', 'recovery-mode', 'empty', 'version']),
  ok: z.boolean(),
  message: z.string(),
  hint: z.string().nullable(),
});

export const Preflight = z.strictObject({
  sessionId: Id,
  ok: z.boolean(),
  checks: z.array(PreflightCheck),
  rackVersion: z.string().nullable(),
  backupVersion: z.string().nullable(),
});

export const RecoveryState = z.enum(['running', 'paused', 'interrupted', 'completed', 'failed']);

export const RecoveryEntry = z.strictObject({
  recoveryId: Id,
  backupId: Id,
  rackUrl: z.string(),
  drill: z.boolean(),
  state: RecoveryState,
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  components: z.array(
    z.strictObject({
      component: ComponentName,
      state: z.enum(['pending', 'uploading', 'committed', 'proven', 'failed']),
    }),
  ),
});

export const RecoveryStarted = z.strictObject({ jobId: Id, kind: JobKind, recoveryId: Id });

export const RecoveryReport = z.strictObject({
  recoveryId: Id,
  backupId: Id,
  drill: z.boolean(),
  rack: z.strictObject({
    url: z.string(),
    fingerprint: Fingerprint,
    version: z.string().nullable(),
  }),
  operator: z.string(),
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  components: z.array(
    z.strictObject({
      component: ComponentName,
      backupDigest: z.string(),
      restoredDigest: z.string().nullable(),
      match: z.boolean(),
      bytes: ByteCount,
      seconds: Seconds.nullable(),
    }),
  ),
  allDigestsMatch: z.boolean(),
  notRestored: z.array(z.string()),
  /** The self-contained printable report; the renderer shows it in a sandboxed frame or saves it. */
  html: z.string(),
});

export const AuditEntry = z.strictObject({
  seq: z.number().int().nonnegative(),
  at: Timestamp,
  actor: z.string(),
  action: z.string(),
  subject: z.string().nullable(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

export const AuditVerification = z.strictObject({
  ok: z.boolean(),
  entries: z.number().int().nonnegative(),
  firstBrokenSeq: z.number().int().nonnegative().nullable(),
  message: z.string(),
});

export const VaultStatus = z.strictObject({
  backend: z.enum(['safe-storage', 'keychain', 'passphrase-file']),
  /** How strong the protection is, and why this backend was chosen, for the operator. */
  strength: z.enum(['os-protected', 'passphrase', 'weak']),
  reason: z.string(),
  locked: z.boolean(),
  items: z.array(
    z.strictObject({
      name: z.string(),
      kind: z.enum(['storage-credentials', 'backup-key', 'rack-credentials', 'certificate-key']),
      present: z.boolean(),
      updatedAt: Timestamp.nullable(),
    }),
  ),
});

export const Listing = <T extends z.ZodType>(item: T) =>
  z.strictObject({ total: z.number().int().nonnegative(), items: z.array(item) });
