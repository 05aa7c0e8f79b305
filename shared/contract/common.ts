/**
 * The building blocks every request, response and event of the IPC contract is made of.
 *
 * This folder is imported by the renderer (browser) and by the main process (Node), so it uses
 * only zod and the language: no Node, no DOM, no I/O. Secrets arrive from the renderer as text
 * and leave the schemas as bytes (`Uint8Array`), so the services never hold a secret string
 * longer than the parse takes.
 */
import { z } from 'zod';
import { COMPONENT_IDS } from '../rack-api.js';
import { isAbsolutePath, isUncPath } from '../paths.js';

/** ISO 8601 instant in UTC, as `Date.prototype.toISOString()` writes it. */
export const Timestamp = z.iso.datetime();

/** Ids of backups, jobs, sessions and keys: opaque, safe to print and to put in a URL. */
export const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'not a valid id');

export const ByteCount = z.number().int().nonnegative();
export const Seconds = z.number().nonnegative();

/** The rack's components, in the order recovery restores them: the rack API's own list. */
export const COMPONENTS = COMPONENT_IDS;
export const ComponentName = z.enum(COMPONENTS);
export type ComponentName = z.infer<typeof ComponentName>;

/** What a recovery deliberately leaves alone; every recovery screen says so. */
export const NOT_RESTORED = [
  'tenant virtual machines',
  'storage accounts',
  'blobs',
  'network resources',
  'value-add resource providers (restored by their own manual process)',
] as const;

/** Azure Stack Hub's backup statuses, with its names. */
export const BackupStatus = z.enum([
  'Queued',
  'Running',
  'Succeeded',
  'PartialSucceeded',
  'Failed',
  'Skipped',
  'Deleted',
]);
export type BackupStatus = z.infer<typeof BackupStatus>;

export const ComponentStatus = z.enum(['Queued', 'Running', 'Succeeded', 'Failed', 'Skipped']);
export type ComponentStatus = z.infer<typeof ComponentStatus>;

/** The typed error every failure crosses the boundary as (shared/errors.ts `ErrorBody`). */
export const ErrorBodySchema = z.object({
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  message: z.string(),
  hint: z.string(),
  category: z.enum([
    'usage',
    'damaged',
    'busy',
    'auth',
    'storage',
    'rack',
    'refused',
    'cancelled',
    'internal',
  ]),
  details: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .optional(),
});

const MAX_SECRET_CHARS = 64 * 1024;

function textToBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A secret typed by the operator (a password, a passphrase, a key in its printed form).
 * Input: text. Output for the services: its UTF-8 bytes.
 */
export const SecretText = z.string().min(1).max(MAX_SECRET_CHARS).transform(textToBytes);

/** A secret file the operator picked (a .pfx): base64 in, bytes out. */
export const SecretFile = z
  .base64()
  .min(4)
  .max(MAX_SECRET_CHARS * 4)
  .transform(base64ToBytes);

/** The external storage location: a folder, a mounted SMB/NFS share, or a Windows UNC path. */
export const Location = z
  .strictObject({
    kind: z.enum(['folder', 'share', 'unc']),
    path: z.string().min(1).max(4096),
  })
  .superRefine((value, ctx) => {
    if (value.path.includes('\0')) ctx.addIssue({ code: 'custom', message: 'contains NUL' });
    else if (value.kind === 'unc' && !isUncPath(value.path)) {
      ctx.addIssue({ code: 'custom', message: 'a UNC path looks like \\\\server\\share\\folder' });
    } else if (value.kind !== 'unc' && !isAbsolutePath(value.path)) {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute path' });
    }
  });

/** Credentials for the storage location; the password is write-only (it never comes back). */
export const StorageCredentials = z.strictObject({
  username: z.string().min(1).max(256),
  password: SecretText,
});

/** What the UI may know about stored credentials: whether they exist and for whom. */
export const CredentialsStatus = z.strictObject({
  present: z.boolean(),
  username: z.string().nullable(),
});

/** A SHA-256 certificate fingerprint: 64 hex digits, colons allowed, normalised to lower hex. */
export const Fingerprint = z
  .string()
  .transform((s) => s.replaceAll(':', '').toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 fingerprint is 64 hex digits'));

export const RackUrl = z
  .url()
  .max(2048)
  .refine((u) => u.startsWith('https://'), 'the rack API is reached over https');

/** A rack to talk to: its URL, the fingerprint the operator confirmed, and credentials. */
export const RackTarget = z.strictObject({
  url: RackUrl,
  fingerprint: Fingerprint,
  username: z.string().min(1).max(256),
  password: SecretText,
});

export const Schedule = z.strictObject({
  frequencyHours: z.number().int().min(4).max(12),
  retentionDays: z.number().int().min(2).max(14),
  enabled: z.boolean(),
});

export const Page = z.strictObject({
  offset: z.number().int().nonnegative().default(0),
  limit: z.number().int().min(1).max(10_000).default(500),
});

/** Live progress of one component (bytes, rate, ETA), also used for the whole job. */
export const Progress = z.strictObject({
  bytesDone: ByteCount,
  bytesTotal: ByteCount.nullable(),
  bytesPerSecond: z.number().nonnegative().nullable(),
  etaSeconds: Seconds.nullable(),
});

export const ComponentProgress = Progress.extend({
  component: ComponentName,
  status: ComponentStatus,
  /** Why a component failed or was skipped, phrased for an operator. */
  reason: z.string().nullable(),
});

export const Alert = z.strictObject({
  code: z.string(),
  severity: z.enum(['critical', 'warning', 'info']),
  message: z.string(),
  hint: z.string(),
});

export const Empty = z.strictObject({});
