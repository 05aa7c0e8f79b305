/**
 * The rack API client: what the backup controller and cloud recovery call.
 *
 *     const fingerprint = await probeFingerprint(url);          // show, let the operator confirm
 *     const rack = await RackClient.connect({ url, fingerprint, username, password, signal });
 *     const exp = await rack.startExport('arm');                // { exportId, stateDigest, artifacts }
 *     rack.downloadArtifact(exp.exportId, name, { signal });    // Readable, resumes, checks SHA-256
 */
export {
  RackClient,
  type ConnectOptions,
  type UploadOptions,
  type UploadSource,
} from './client.js';
export type { DownloadOptions } from './download.js';
export { RackErrors, type RackErrorCode } from './errors.js';
export { normalizeFingerprint, parseRackUrl, probeFingerprint } from './transport.js';
export {
  COMPONENT_IDS,
  type ArtifactInfo,
  type ArtifactProgress,
  type CommitResponse,
  type ComponentId,
  type ComponentStatus,
  type DigestResponse,
  type ExportResponse,
  type ImportStatus,
  type Mode,
  type RackInfo,
} from '../../shared/rack-api.js';
