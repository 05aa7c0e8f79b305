/**
 * The rack API, version 1 (docs/rack-api.md): zod schemas of every request, response and error
 * body, with the TypeScript types inferred from them.
 *
 * This is the only code the lab rack (lab-rack/) and Lifeboat's client (electron/rack/) share.
 * It must stay free of I/O so either side, and the OpenAPI generator, can import it.
 */
import { z } from 'zod';

export const API_PREFIX = '/v1';

/** The ten components, in the order a cloud recovery restores them. */
export const COMPONENT_IDS = [
  'deployment',
  'identity',
  'federation',
  'ca',
  'arm',
  'crp',
  'srp',
  'nrp',
  'keyvault',
  'rbac',
] as const;

export const ComponentId = z.enum(COMPONENT_IDS);
export type ComponentId = z.infer<typeof ComponentId>;

/** Components whose data a component refers to, so they must be restored before it. */
export const COMPONENT_DEPENDENCIES: Readonly<Record<ComponentId, readonly ComponentId[]>> = {
  deployment: [],
  identity: [],
  federation: [],
  ca: [],
  arm: ['identity'],
  crp: ['arm'],
  srp: ['arm'],
  nrp: ['arm'],
  keyvault: ['arm', 'identity'],
  rbac: ['identity', 'arm'],
};

export const Mode = z.enum(['normal', 'recovery']);
export type Mode = z.infer<typeof Mode>;

export const Health = z.enum(['healthy', 'degraded']);
export type Health = z.infer<typeof Health>;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
export const Sha256Hex = hex64;

/** MAJOR.MINOR.PATCH with an optional pre-release; build metadata is not used by racks. */
export const SemVer = z
  .string()
  .regex(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/, 'a semantic version');

export const Timestamp = z.iso.datetime();

/** Opaque ids a rack hands out; the lab rack uses `exp-`/`imp-` and 32 hex digits. */
export const ResourceId = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'an export or import id');

export const ArtifactName = z.string().regex(/^[a-z0-9][a-z0-9.-]{0,99}$/, 'an artifact name');

/** `AB:CD:…`: 32 uppercase hex pairs, the SHA-256 of the certificate's DER encoding. */
export const Fingerprint = z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'a fingerprint');

// ---------------------------------------------------------------------------------------------
// Errors

export const ERROR_CODES = [
  'BAD_REQUEST',
  'ARTIFACT_MALFORMED',
  'ARTIFACT_DIGEST_MISMATCH',
  'STATE_DIGEST_MISMATCH',
  'INVALID_CREDENTIALS',
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'UNKNOWN_COMPONENT',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'NOT_IN_RECOVERY',
  'COMPONENT_IN_RECOVERY',
  'DEPENDENCY_MISSING',
  'UPLOAD_OFFSET_MISMATCH',
  'IMPORT_INCOMPLETE',
  'IMPORT_CLOSED',
  'VERSION_UNSUPPORTED',
  'PAYLOAD_TOO_LARGE',
  'RANGE_NOT_SATISFIABLE',
  'INTERNAL',
  'RACK_UNAVAILABLE',
  'INJECTED_FAILURE',
] as const;
export type RackErrorCode = (typeof ERROR_CODES)[number];

/** The status each code is answered with (INJECTED_FAILURE takes the status the test asked for). */
export const ERROR_STATUS: Readonly<Record<RackErrorCode, number>> = {
  BAD_REQUEST: 400,
  ARTIFACT_MALFORMED: 400,
  ARTIFACT_DIGEST_MISMATCH: 400,
  STATE_DIGEST_MISMATCH: 400,
  INVALID_CREDENTIALS: 401,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  UNKNOWN_COMPONENT: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_IN_RECOVERY: 409,
  COMPONENT_IN_RECOVERY: 409,
  DEPENDENCY_MISSING: 409,
  UPLOAD_OFFSET_MISMATCH: 409,
  IMPORT_INCOMPLETE: 409,
  IMPORT_CLOSED: 409,
  VERSION_UNSUPPORTED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  INTERNAL: 500,
  RACK_UNAVAILABLE: 503,
  INJECTED_FAILURE: 503,
};

export const ErrorDetails = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]),
);
export type ErrorDetails = z.infer<typeof ErrorDetails>;

/**
 * Every non-2xx body. `code` is a plain string so a client keeps working when a newer rack adds
 * a code; clients treat unknown codes by their HTTP status.
 */
export const ErrorResponse = z.object({
  code: z.string().min(1).max(64),
  message: z.string().max(4000),
  details: ErrorDetails.optional(),
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;

// ---------------------------------------------------------------------------------------------
// Authentication

export const TokenRequest = z.object({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
});
export type TokenRequest = z.infer<typeof TokenRequest>;

export const TokenResponse = z.object({
  token: z.string().min(16).max(4096),
  tokenType: z.literal('Bearer'),
  expiresAt: Timestamp,
  expiresIn: z.number().int().positive(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

// ---------------------------------------------------------------------------------------------
// Rack information and modes

export const ComponentStatus = z.object({
  id: ComponentId,
  order: z.number().int().min(1).max(COMPONENT_IDS.length),
  mode: Mode,
  health: Health,
  sizeBytes: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
});
export type ComponentStatus = z.infer<typeof ComponentStatus>;

export const RackInfo = z.object({
  stampId: z.uuid(),
  region: z.string().min(1).max(128),
  externalDomain: z.string().min(1).max(253),
  version: SemVer,
  mode: Mode,
  serverTime: Timestamp,
  components: z.array(ComponentStatus),
});
export type RackInfo = z.infer<typeof RackInfo>;

export const SetModeRequest = z.object({ mode: Mode });
export type SetModeRequest = z.infer<typeof SetModeRequest>;

export const DigestResponse = z.object({
  component: ComponentId,
  stateDigest: Sha256Hex,
  records: z.number().int().nonnegative(),
  computedAt: Timestamp,
});
export type DigestResponse = z.infer<typeof DigestResponse>;

// ---------------------------------------------------------------------------------------------
// Export

export const ArtifactInfo = z.object({
  name: ArtifactName,
  size: z.number().int().nonnegative(),
  sha256: Sha256Hex,
  mediaType: z.string().min(1).max(128),
});
export type ArtifactInfo = z.infer<typeof ArtifactInfo>;

export const ExportResponse = z.object({
  exportId: ResourceId,
  component: ComponentId,
  createdAt: Timestamp,
  expiresAt: Timestamp,
  rackVersion: SemVer,
  stateDigest: Sha256Hex,
  artifacts: z.array(ArtifactInfo).min(1),
});
export type ExportResponse = z.infer<typeof ExportResponse>;

// ---------------------------------------------------------------------------------------------
// Import

export const CreateImportRequest = z.object({ sourceVersion: SemVer.optional() });
export type CreateImportRequest = z.infer<typeof CreateImportRequest>;

export const ImportState = z.enum(['open', 'committed', 'failed', 'abandoned']);
export type ImportState = z.infer<typeof ImportState>;

export const ArtifactProgress = z.object({
  name: ArtifactName,
  size: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  complete: z.boolean(),
});
export type ArtifactProgress = z.infer<typeof ArtifactProgress>;

export const ImportArtifactStatus = ArtifactProgress.extend({ sha256: Sha256Hex });
export type ImportArtifactStatus = z.infer<typeof ImportArtifactStatus>;

export const ImportStatus = z.object({
  importId: ResourceId,
  component: ComponentId,
  state: ImportState,
  createdAt: Timestamp,
  expected: z.array(ArtifactName),
  artifacts: z.array(ImportArtifactStatus),
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type ImportStatus = z.infer<typeof ImportStatus>;

export const CommitRequest = z.object({ expectedStateDigest: Sha256Hex.optional() });
export type CommitRequest = z.infer<typeof CommitRequest>;

export const CommitResponse = z.object({
  importId: ResourceId,
  component: ComponentId,
  stateDigest: Sha256Hex,
  records: z.number().int().nonnegative(),
});
export type CommitResponse = z.infer<typeof CommitResponse>;

/** Header carrying the SHA-256 of the whole artifact on every upload request. */
export const ARTIFACT_SHA256_HEADER = 'lifeboat-artifact-sha256';

// ---------------------------------------------------------------------------------------------
// Lab rack extension: fault injection (not part of the vendor contract)

const times = z.number().int().nonnegative().default(1);

export const LabFaults = z.object({
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  dropDownload: z
    .object({ artifact: ArtifactName.optional(), atByte: z.number().int().nonnegative(), times })
    .optional(),
  dropUpload: z
    .object({ artifact: ArtifactName.optional(), atByte: z.number().int().nonnegative(), times })
    .optional(),
  failComponent: z
    .object({ component: ComponentId, status: z.number().int().min(500).max(599), times })
    .optional(),
  hangComponent: ComponentId.optional(),
});
export type LabFaults = z.infer<typeof LabFaults>;
export type LabFaultsInput = z.input<typeof LabFaults>;

// ---------------------------------------------------------------------------------------------
// Version rule shared by the rack (refusing) and clients (pre-flight)

interface ParsedVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseSemVer(version: string): ParsedVersion | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null || !SemVer.safeParse(version).success) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/**
 * Whether data exported by a rack of `source` version may be imported into a rack of `target`
 * version: same major, target not older, and at most one minor version newer (the rule Azure
 * Stack Hub states for cloud recovery). Returns the reason when it may not.
 */
export function importVersionProblem(source: string, target: string): string | undefined {
  const from = parseSemVer(source);
  const to = parseSemVer(target);
  if (from === undefined || to === undefined) return 'a version is not a semantic version';
  if (from.major !== to.major) return `major versions differ (${source} → ${target})`;
  const older =
    to.minor < from.minor || (to.minor === from.minor && to.patch < from.patch)
      ? 'the rack is older than the backup'
      : undefined;
  if (older !== undefined) return `${older} (${source} → ${target})`;
  if (to.minor > from.minor + 1) {
    return `the rack is more than one minor version newer than the backup (${source} → ${target})`;
  }
  return undefined;
}
