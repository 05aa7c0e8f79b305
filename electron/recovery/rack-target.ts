/**
 * The rack side of a restore (`ImportTarget`) over the rack client, and which of the client's
 * failures are worth retrying.
 */
import type { Readable } from 'node:stream';
import { RackErrors, type RackClient } from '../rack/index.js';
import type { ComponentId } from './components.js';
import { RecoveryErrors } from './errors.js';
import type { PlannedArtifact } from './plan.js';
import type { ImportStatus, ImportTarget } from './restore.js';

/** Failures after which asking the rack where it stands and going on makes sense. */
const TRANSIENT = new Set([
  'RACK_UNREACHABLE',
  'RACK_UPLOAD_INTERRUPTED',
  'RACK_UPLOAD_CONFLICT',
  'RACK_TIMEOUT',
  'RACK_SERVER_ERROR',
  'RACK_UNAVAILABLE',
]);

export function isTransientRackFailure(error: unknown): boolean {
  return RackErrors.is(error) && TRANSIENT.has(error.code);
}

export function rackImportTarget(client: RackClient, sourceVersion: string): ImportTarget {
  return {
    async createImport(component, signal) {
      return await client.createImport(component, { sourceVersion, signal });
    },
    async importStatus(importId, signal) {
      return await readImportStatus(client, importId, signal);
    },
    async upload(importId, artifact: PlannedArtifact, offset, body: Readable, signal) {
      await client.uploadArtifact(importId, artifact.name, body, {
        offset,
        size: artifact.size,
        sha256: artifact.sha256,
        signal,
      });
    },
    async commit(_component: ComponentId, importId, expectedDigest, signal) {
      const answer = await client.commitImport(importId, {
        expectedStateDigest: expectedDigest,
        signal,
      });
      return answer.stateDigest;
    },
  };
}

/**
 * The rack's view of an import in the executor's terms. An import the rack no longer knows, or
 * that was abandoned, is `null` (start the component over); a failed one is an error naming
 * the rack's reason, since its data was refused.
 */
async function readImportStatus(
  client: RackClient,
  importId: string,
  signal: AbortSignal,
): Promise<ImportStatus | null> {
  let status;
  try {
    status = await client.importStatus(importId, signal);
  } catch (error) {
    if (RackErrors.is(error, 'RACK_NOT_FOUND')) return null;
    throw error;
  }
  if (status.state === 'abandoned') return null;
  if (status.state === 'failed') {
    throw RecoveryErrors.create(
      'RECOVERY_IMPORT_FAILED',
      `The rack refused the data of ${status.component}: ${status.failure?.message ?? 'no reason given'}.`,
      { details: { component: status.component, importId } },
    );
  }
  const received = Object.fromEntries(
    status.artifacts.map((artifact) => [artifact.name, artifact.received]),
  );
  const committed = status.state === 'committed';
  const digest = committed ? (await client.digest(status.component, signal)).stateDigest : null;
  return { committed, digest, received };
}
