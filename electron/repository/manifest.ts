/**
 * Manifests (docs/repository-format.md section 6): the plaintext label for discovery without a
 * key, the encrypted body, and the rule that the two must agree.
 */
import { z } from 'zod';
import {
  ENVELOPE_MANIFEST,
  openEnvelope,
  readEnvelopeHead,
  sealEnvelope,
  type EpochKeys,
} from './crypto.js';
import { RepoErrors } from './errors.js';
import type { BackupStatus, ComponentRecord, ComponentStatus, Manifest } from './types.js';

const componentStatus = z.enum(['Succeeded', 'Failed', 'Skipped']);
const backupStatus = z.enum(['Succeeded', 'PartialSucceeded', 'Failed']);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
export const BACKUP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const shortText = z.string().max(1024);
const stringMap = z.record(z.string().max(256), z.string().max(65_536));

const SourceSchema = z.object({ kind: shortText, id: shortText, version: shortText });

export const LabelSchema = z.object({
  epoch: z.number().int().min(1),
  id: z.string().regex(BACKUP_ID),
  created: z.string(),
  status: backupStatus,
  source: SourceSchema,
  components: z.record(shortText, componentStatus),
  size: z.number().int().min(0),
});
export type ManifestLabel = z.infer<typeof LabelSchema>;

const ArtifactSchema = z.object({
  name: shortText,
  size: z.number().int().min(0),
  sha256: hex64,
  chunks: z.array(z.tuple([hex64, z.number().int().min(0)])),
  modified: z.number().optional(),
});

const ManifestSchema = z.object({
  id: z.string().regex(BACKUP_ID),
  created: z.string(),
  finished: z.string(),
  durationMs: z.number().min(0),
  epoch: z.number().int().min(1),
  source: SourceSchema.extend({ labels: stringMap }),
  status: backupStatus,
  components: z.array(
    z.object({
      name: shortText,
      status: componentStatus,
      reason: z.string().max(4096).optional(),
      meta: stringMap,
      artifacts: z.array(ArtifactSchema),
    }),
  ),
  size: z.number().int().min(0),
  storedBytes: z.number().int().min(0),
});

export const manifestObjectName = (id: string): string => `manifests/${id}`;

/** Overall status from the components: Failed if none succeeded and one failed, Partial if mixed. */
export function deriveStatus(statuses: readonly ComponentStatus[]): BackupStatus {
  const failed = statuses.includes('Failed');
  if (!failed) return statuses.length === 0 ? 'Failed' : 'Succeeded';
  return statuses.includes('Succeeded') ? 'PartialSucceeded' : 'Failed';
}

export function labelOf(manifest: Manifest): ManifestLabel {
  return {
    epoch: manifest.epoch,
    id: manifest.id,
    created: manifest.created,
    status: manifest.status,
    source: {
      kind: manifest.source.kind,
      id: manifest.source.id,
      version: manifest.source.version,
    },
    components: Object.fromEntries(
      manifest.components.map((c: ComponentRecord) => [c.name, c.status]),
    ),
    size: manifest.size,
  };
}

export function sealManifest(manifest: Manifest, keys: EpochKeys): Buffer {
  return sealEnvelope(ENVELOPE_MANIFEST, labelOf(manifest), keys.metadata, manifest);
}

function damaged(object: string, why: string) {
  return RepoErrors.create('REPO_DAMAGED', `${object} is damaged: ${why}.`, {
    details: { object },
  });
}

/** The label without a key (discovery). Throws REPO_DAMAGED if unreadable. */
export function readManifestLabel(bytes: Buffer, object: string): ManifestLabel {
  const head = readEnvelopeHead(bytes, object);
  const parsed = LabelSchema.safeParse(head.label);
  if (head.kind !== ENVELOPE_MANIFEST || !parsed.success) throw damaged(object, 'unreadable label');
  return parsed.data;
}

/** Decrypts and validates a manifest; its label, name and body must agree. */
export function openManifest(bytes: Buffer, keys: EpochKeys, object: string): Manifest {
  const head = readEnvelopeHead(bytes, object);
  const body = ManifestSchema.safeParse(openEnvelope(bytes, head, keys.metadata, object));
  if (!body.success) throw damaged(object, 'unreadable manifest');
  const manifest = body.data as Manifest;
  const label = readManifestLabel(bytes, object);
  if (
    JSON.stringify(label) !== JSON.stringify(labelOf(manifest)) ||
    object !== manifestObjectName(manifest.id)
  ) {
    throw damaged(object, 'label and content disagree');
  }
  return manifest;
}
