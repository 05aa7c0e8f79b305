/** Small helpers the rack client tests share. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { RackClient, type ComponentId, type ExportResponse } from '../../electron/rack/index.js';
import type { LabRack } from '../helpers/lab-rack.js';

export function connect(
  rack: LabRack,
  extra: { timeoutMs?: number; operationTimeoutMs?: number } = {},
): Promise<RackClient> {
  return RackClient.connect({
    url: rack.url,
    fingerprint: rack.fingerprint,
    username: rack.username,
    password: rack.password,
    ...extra,
  });
}

export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A whole export in memory: artifact name → bytes. */
export interface SavedExport {
  readonly component: ComponentId;
  readonly response: ExportResponse;
  readonly files: Map<string, Buffer>;
}

export async function saveExport(client: RackClient, component: ComponentId): Promise<SavedExport> {
  const response = await client.startExport(component);
  const files = new Map<string, Buffer>();
  for (const artifact of response.artifacts) {
    files.set(
      artifact.name,
      await collect(
        client.downloadArtifact(response.exportId, artifact.name, {
          size: artifact.size,
          sha256: artifact.sha256,
        }),
      ),
    );
  }
  await client.deleteExport(response.exportId);
  return { component, response, files };
}

/** Uploads every artifact of a saved export into a new import and returns its id. */
export async function uploadAll(
  client: RackClient,
  saved: SavedExport,
  replace: Map<string, Buffer> = new Map(),
): Promise<string> {
  const importId = await client.createImport(saved.component);
  for (const [name, original] of saved.files) {
    const bytes = replace.get(name) ?? original;
    await client.uploadArtifact(importId, name, () => Readable.from([bytes]), {
      size: bytes.length,
      sha256: sha256(bytes),
    });
  }
  return importId;
}

/** Restores a saved export and returns the digest the rack reports. */
export async function restore(client: RackClient, saved: SavedExport): Promise<string> {
  const importId = await uploadAll(client, saved);
  const committed = await client.commitImport(importId, {
    expectedStateDigest: saved.response.stateDigest,
  });
  return committed.stateDigest;
}
