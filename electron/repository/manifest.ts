/**
 * Manifests (docs/repository-format.md section 6): the plaintext label for discovery without a
 * key, the encrypted body, and the rule that the two must agree.
 */
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
import {
  arrayOf,
  guarded,
  integer,
  number,
  object,
  oneOf,
  optional,
  readShape,
  recordOf,
  refined,
  string,
  type ShapeOf,
} from './shapes.js';
import type {
  ArtifactRecord,
  BackupStatus,
  ComponentRecord,
  ComponentStatus,
  Manifest,
} from './types.js';

const componentStatus = oneOf('Succeeded', 'Failed', 'Skipped');
const backupStatus = oneOf('Succeeded', 'PartialSucceeded', 'Failed');
export const BACKUP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const shortText = string({ max: 1024 });
const stringMap = recordOf(string({ max: 256 }), string({ max: 65_536 }));

const sourceFields = { kind: shortText, id: shortText, version: shortText };

const labelShape = object({
  epoch: integer(1),
  id: string({ pattern: BACKUP_ID }),
  created: string(),
  status: backupStatus,
  source: object(sourceFields),
  components: recordOf(shortText, componentStatus),
  size: integer(0),
});
export type ManifestLabel = ShapeOf<typeof labelShape>;

const storedComponentShape = refined(
  object({
    name: shortText,
    status: componentStatus,
    reason: optional(string({ max: 4096 })),
    meta: stringMap,
    /** Written since format 1 was released: the artifact records, stored as chunks. */
    list: optional(guarded(isListRef)),
    /** Written by pre-release builds: the records inline. Still read. */
    artifacts: optional(arrayOf(guarded(isArtifactRecord))),
  }),
  (c) => (c.list === undefined) !== (c.artifacts === undefined),
);

const storedManifestShape = object({
  id: string({ pattern: BACKUP_ID }),
  created: string(),
  finished: string(),
  durationMs: number(0),
  epoch: integer(1),
  source: object({ ...sourceFields, labels: stringMap }),
  status: backupStatus,
  components: arrayOf(storedComponentShape),
  size: integer(0),
  storedBytes: integer(0),
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
  const label = readShape(labelShape, head.label);
  if (head.kind !== ENVELOPE_MANIFEST || label === undefined)
    throw damaged(object, 'unreadable label');
  return label;
}

/**
 * Decrypts and validates a manifest; its label, name and body must agree. Its components' lists
 * are not read here (Repository.loadManifest reads them).
 */
export function openManifest(bytes: Buffer, keys: EpochKeys, object: string): StoredManifest {
  const head = readEnvelopeHead(bytes, object);
  const body = readShape(storedManifestShape, openEnvelope(bytes, head, keys.metadata, object));
  if (body === undefined) throw damaged(object, 'unreadable manifest');
  const manifest = body as StoredManifest;
  const label = readManifestLabel(bytes, object);
  if (
    JSON.stringify(label) !== JSON.stringify(labelOf(manifest)) ||
    object !== manifestObjectName(manifest.id)
  ) {
    throw damaged(object, 'label and content disagree');
  }
  return manifest;
}
