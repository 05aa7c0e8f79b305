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
import { isListRef, type ListRef } from './artifact-list.js';
import { isArtifactRecord } from './records.js';
import { RepoErrors } from './errors.js';
import type {
  ArtifactRecord,
  BackupStatus,
  ComponentRecord,
  ComponentStatus,
  Manifest,
} from './types.js';

const componentStatus = z.enum(['Succeeded', 'Failed', 'Skipped']);
const backupStatus = z.enum(['Succeeded', 'PartialSucceeded', 'Failed']);
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

const StoredComponentSchema = z
  .object({
    name: shortText,
    status: componentStatus,
    reason: z.string().max(4096).optional(),
    meta: stringMap,
    /** Written since format 1 was released: the artifact records, stored as chunks. */
    list: z.custom<ListRef>(isListRef).optional(),
    /** Written by pre-release builds: the records inline. Still read. */
    artifacts: z.array(z.custom<ArtifactRecord>(isArtifactRecord)).optional(),
  })
  .refine((c) => (c.list === undefined) !== (c.artifacts === undefined));

const StoredManifestSchema = z.object({
  id: z.string().regex(BACKUP_ID),
  created: z.string(),
  finished: z.string(),
  durationMs: z.number().min(0),
  epoch: z.number().int().min(1),
  source: SourceSchema.extend({ labels: stringMap }),
  status: backupStatus,
  components: z.array(StoredComponentSchema),
  size: z.number().int().min(0),
  storedBytes: z.number().int().min(0),
});

/** A component as its manifest stores it: its records in a list (or, from old writers, inline). */
export type StoredComponent = Omit<ComponentRecord, 'artifacts'> & {
  readonly list?: ListRef;
  readonly artifacts?: readonly ArtifactRecord[];
};

/** A manifest as stored: a `Manifest` once every component's list is read (Repository.loadManifest). */
export type StoredManifest = Omit<Manifest, 'components'> & {
  readonly components: readonly StoredComponent[];
};

export const manifestObjectName = (id: string): string => `manifests/${id}`;

/** Overall status from the components: Failed if none succeeded and one failed, Partial if mixed. */
export function deriveStatus(statuses: readonly ComponentStatus[]): BackupStatus {
  const failed = statuses.includes('Failed');
  if (!failed) return statuses.length === 0 ? 'Failed' : 'Succeeded';
  return statuses.includes('Succeeded') ? 'PartialSucceeded' : 'Failed';
}

export function labelOf(manifest: StoredManifest): ManifestLabel {
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
    components: Object.fromEntries(manifest.components.map((c) => [c.name, c.status])),
    size: manifest.size,
  };
}

export function sealManifest(manifest: StoredManifest, keys: EpochKeys): Buffer {
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

/**
 * Decrypts and validates a manifest; its label, name and body must agree. Its components' lists
 * are not read here (Repository.loadManifest reads them).
 */
export function openManifest(bytes: Buffer, keys: EpochKeys, object: string): StoredManifest {
  const head = readEnvelopeHead(bytes, object);
  const body = StoredManifestSchema.safeParse(openEnvelope(bytes, head, keys.metadata, object));
  if (!body.success) throw damaged(object, 'unreadable manifest');
  const manifest = body.data as StoredManifest;
  const label = readManifestLabel(bytes, object);
  if (
    JSON.stringify(label) !== JSON.stringify(labelOf(manifest)) ||
    object !== manifestObjectName(manifest.id)
  ) {
    throw damaged(object, 'label and content disagree');
  }
  return manifest;
}
