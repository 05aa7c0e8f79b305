/**
 * The repository engine's public API. Everything a consumer (controller, recovery, CLI) needs
 * is exported here; other files in this folder are internal.
 *
 *     await initRepository(storage, { wrapping: { operatorKey } });
 *     const summaries = await listBackupsWithoutKey(storage);          // before any key
 *     const repo = await openRepository(storage, { operatorKey });     // or { pfx, password } / { epoch, masterKey }
 *                                                                      // and { cacheFolder } to cache its index
 *     const w = await repo.startBackup({ source, signal, onProgress });
 *     await w.addArtifact('identity', 'users.json', stream, { expectedSize, expectedSha256 });
 *     w.setComponentResult('identity', { status: 'Succeeded', meta: { digest } });
 *     const manifest = await w.commit();
 *     const readable = await repo.openArtifact(manifest.id, 'identity', 'users.json', { offset });
 */
export type * from './types.js';
export { RepoErrors } from './errors.js';
export {
  BackupReader,
  Repository,
  initRepository,
  listBackupsWithoutKey,
  openRepository,
  type OpenArtifactOptions,
  type OpenRepositoryOptions,
} from './repository.js';
export {
  encodeOperatorKey,
  generateOperatorKey,
  operatorKeyId,
  parseOperatorKey,
  readCertificate,
  type CertificateInfo,
} from './keys.js';
export { deriveStatus } from './manifest.js';
export { isInsideRepository } from './locate.js';
export {
  backupDirectory,
  restoreBackup,
  type DirectoryBackupOptions,
  type RestoreOptions,
} from './directory.js';
export { ENGINE_V8_FLAGS, applyHeapGrowth } from './heap.js';
