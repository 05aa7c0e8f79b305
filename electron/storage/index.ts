/** The storage layer: the object-store `Storage` interface and its filesystem backend. */
export type { ObjectInfo, ObjectReader, ProbeResult, SpaceInfo, Storage } from './storage.js';
export { isValidObjectName } from './storage.js';
export { openFileStorage, type FileStorageOptions } from './file-storage.js';
export { StorageErrors, storageError } from './errors.js';
export {
  defaultShareConnector,
  isUncPath,
  openLocationStorage,
  type OpenLocationOptions,
  type ShareConnector,
  type ShareCredentials,
} from './share-connection.js';
