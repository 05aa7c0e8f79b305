/**
 * Secret record ids. An id says what a secret is for and is safe to log; the secret is not.
 * The conventions below are the only ones Lifeboat writes (see README.md).
 */
import { VaultErrors } from './errors.js';

/** `<kind>:<subject>`: a lower-case kind, then printable ASCII without spaces. */
const SECRET_ID = /^[a-z][a-z0-9-]{0,63}:[\x21-\x7e]{1,448}$/;

export const secretIds = {
  /** Credentials for an external storage location (share user and password, for example). */
  storageCredentials: (locationId: string): string => `storage-credentials:${locationId}`,
  /** The operator's repository key of one key epoch (symmetric key mode). */
  repoOperatorKey: (repositoryId: string, epoch: number): string =>
    `repo-operator-key:${repositoryId}:${epoch}`,
  /** The repository master key of one epoch, kept in certificate mode. */
  repoMasterKey: (repositoryId: string, epoch: number): string =>
    `repo-master-key:${repositoryId}:${epoch}`,
  /** Credentials for a rack, by its URL or stamp id. */
  rackCredentials: (rackUrlOrStampId: string): string => `rack-credentials:${rackUrlOrStampId}`,
} as const;

export function assertSecretId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !SECRET_ID.test(id)) {
    // The rejected value is not echoed: a caller that swapped arguments could be passing a secret.
    const what = typeof id === 'string' ? `a string of ${id.length} characters` : typeof id;
    throw VaultErrors.create('VAULT_INVALID_ID', `The secret id given (${what}) is not valid.`);
  }
}

export function isSecretId(id: unknown): id is string {
  return typeof id === 'string' && SECRET_ID.test(id);
}
