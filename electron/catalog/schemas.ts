/**
 * The catalog's records as zod schemas: inputs are validated before they are written, and rows
 * are validated again when read back, so a hand-edited catalog gives CATALOG_DAMAGED, not a
 * crash further on. No schema here has a field for a secret: credentials appear only as vault
 * record ids (`credentialRef`).
 */
import { z } from 'zod';
import { isSecretId } from '../vault/ids.js';
import { BackupStatus as ContractBackupStatus } from '../../shared/contract/common.js';

const iso = z.iso.datetime();
const name = z.string().min(1).max(200);
const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits and . _ : - only');
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const thumbprint = z
  .string()
  .regex(/^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/, 'a SHA-1 or SHA-256 thumbprint in hex');
const fingerprint = z
  .string()
  .regex(
    /^(?:[0-9A-Fa-f]{64}|(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})$/,
    'a SHA-256 fingerprint in hex',
  );
const reason = z.string().max(2000);

/** Azure Stack Hub's backup statuses: the contract's list, so catalog and screens agree. */
export const BACKUP_STATUSES = ContractBackupStatus.options;
export const COMPONENT_STATUSES = ['Queued', 'Running', 'Succeeded', 'Failed', 'Skipped'] as const;
export const JOB_KINDS = ['backup', 'verify', 'prune', 'recovery', 'drill'] as const;
export const JOB_STATES = [
  'queued',
  'running',
  'succeeded',
  'partially-succeeded',
  'failed',
  'cancelled',
] as const;
export const FINAL_JOB_STATES = [
  'succeeded',
  'partially-succeeded',
  'failed',
  'cancelled',
] as const;

export const encryptionSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('key'), keyEpoch: z.number().int().min(1) }),
  z.strictObject({ mode: z.literal('certificate'), thumbprint }),
]);

export const rackSchema = z.strictObject({
  url: z.url({ protocol: /^https$/ }).max(500),
  fingerprint,
  username: z.string().min(1).max(200),
});

export const backupConfigInput = z.strictObject({
  locationId: id,
  locationPath: z.string().min(1).max(4096),
  locationKind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  /** The vault id of the storage credentials, never the credentials themselves. */
  credentialRef: z.string().refine(isSecretId, 'a vault secret id').nullable().default(null),
  repositoryId: id.nullable().default(null),
  encryption: encryptionSchema,
  frequencyHours: z.number().int().min(4).max(12).default(12),
  retentionDays: z.number().int().min(2).max(14).default(7),
  schedulerEnabled: z.boolean().default(true),
  rack: rackSchema.nullable().default(null),
});
export type BackupConfigInput = z.input<typeof backupConfigInput>;
export const backupConfig = backupConfigInput.extend({ updated: iso });
export type BackupConfig = z.infer<typeof backupConfig>;

export const locationSchema = z.strictObject({
  id,
  path: z.string().min(1).max(4096),
  kind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  repositoryId: id.nullable(),
  added: iso,
  lastUsed: iso,
});
export type Location = z.infer<typeof locationSchema>;

export const componentSchema = z.strictObject({
  name,
  status: z.enum(COMPONENT_STATUSES),
  reason: reason.optional(),
  logicalBytes: bytes.optional(),
  storedBytes: bytes.optional(),
});
export type ComponentStatus = z.infer<typeof componentSchema>;

export const backupSchema = z.strictObject({
  id: z.guid(),
  locationId: id,
  created: iso,
  durationMs: bytes.nullable().default(null),
  status: z.enum(BACKUP_STATUSES),
  components: z.array(componentSchema).max(1000).default([]),
  logicalBytes: bytes.default(0),
  storedBytes: bytes.default(0),
  keyEpoch: z.number().int().min(1).nullable().default(null),
  certificateThumbprint: thumbprint.nullable().default(null),
  sourceStampId: z.string().max(200).nullable().default(null),
  sourceVersion: z.string().max(100).nullable().default(null),
  provenByDrill: iso.nullable().default(null),
});
export type BackupInput = z.input<typeof backupSchema>;
export type Backup = z.infer<typeof backupSchema>;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];

const jsonText = z.string().max(64 * 1024);

export const jobSchema = z.strictObject({
  id: z.guid(),
  kind: z.enum(JOB_KINDS),
  state: z.enum(JOB_STATES),
  created: iso,
  started: iso.nullable(),
  finished: iso.nullable(),
  /** A small JSON summary (e.g. `{ "backupId": … }`), parsed. */
  result: z.unknown().nullable(),
  errorCode: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,63}$/)
    .nullable(),
});
export type Job = z.infer<typeof jobSchema>;
export type JobKind = (typeof JOB_KINDS)[number];
export type JobState = (typeof JOB_STATES)[number];
export type FinalJobState = (typeof FINAL_JOB_STATES)[number];

export const jobEventInput = z.strictObject({
  kind: z.enum(['progress', 'log']),
  level: z.enum(['info', 'warn', 'error']).default('info'),
  message: z.string().max(4000),
  data: z.unknown().optional(),
});
export type JobEventInput = z.input<typeof jobEventInput>;
export interface JobEvent {
  seq: number;
  jobId: string;
  time: string;
  kind: 'progress' | 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
  data: unknown;
}

const verificationFields = {
  backupId: z.guid(),
  /** The verify job that produced the result (its log says what was checked). */
  jobId: z.guid(),
  verified: iso,
  ok: z.boolean(),
  /** True when every byte was read and decrypted, not only the structure checked. */
  readData: z.boolean(),
  damagedComponents: z.array(name).max(1000),
};
/** A passed verification naming damage is a contradiction, whether from a caller or the file. */
const passedNamesNoDamage = (v: { ok: boolean; damagedComponents: readonly string[] }) =>
  !v.ok || v.damagedComponents.length === 0;
const damageNamedWhenPassed = {
  message: 'a passed verification names no damaged component',
  path: ['damagedComponents'],
};

export const verificationInput = z
  .strictObject(verificationFields)
  .refine(passedNamesNoDamage, damageNamedWhenPassed);
export type VerificationInput = z.input<typeof verificationInput>;
export const verificationSchema = z
  .strictObject({ seq: z.number().int().min(1), ...verificationFields })
  .refine(passedNamesNoDamage, damageNamedWhenPassed);
export type Verification = z.infer<typeof verificationSchema>;

export const auditInput = z.strictObject({
  actor: z.string().min(1).max(200),
  action: z.string().regex(/^[a-z][a-z0-9.-]{0,63}$/, 'a dotted lower-case action name'),
  details: z.unknown().default({}),
});
export type AuditInput = z.input<typeof auditInput>;
export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  action: string;
  details: unknown;
  prevHash: string;
  hash: string;
}

export { iso, id, jsonText, name as componentName, bytes };
