/** Typed errors of the repository engine. Messages name ids, epochs and objects, never secrets. */
import { defineErrors } from '../../shared/errors.js';

export const RepoErrors = defineErrors({
  REPO_NOT_A_REPOSITORY: {
    category: 'usage',
    hint: 'The location holds no Lifeboat repository. Check the path, or create one with `lifeboat repo init`.',
  },
  REPO_ALREADY_EXISTS: {
    category: 'refused',
    hint: 'A repository already exists there. Use it (give its key), or choose an empty location.',
  },
  REPO_INSIDE_REPOSITORY: {
    category: 'refused',
    hint: 'The location lies inside another Lifeboat repository. Choose a folder outside it.',
  },
  REPO_UNSUPPORTED_VERSION: {
    category: 'refused',
    hint: 'The repository was written by a newer Lifeboat. Use a version that reads this format.',
  },
  REPO_WRONG_KEY: {
    category: 'auth',
    hint: 'Give the key named in the message: the operator key file of that epoch, or the .pfx of that certificate and its password.',
  },
  REPO_KEY_NOT_CURRENT: {
    category: 'auth',
    hint: 'New backups are written with the current key epoch. Give its key, or rotate the key to start a new epoch.',
  },
  REPO_KEY_INVALID: {
    category: 'usage',
    hint: 'An operator key is 32 random bytes written as one line of base64 (44 characters). Check the key file.',
  },
  REPO_CERTIFICATE_INVALID: {
    category: 'usage',
    hint: 'Give an X.509 certificate (.cer, PEM or DER) with an RSA public key of 2048 bits or more, or a .pfx containing its private key.',
  },
  REPO_PFX_PASSWORD: {
    category: 'auth',
    hint: 'The .pfx could not be opened with this password. Check the password and the file.',
  },
  REPO_LOCKED: {
    category: 'busy',
    hint: 'Another Lifeboat process uses the repository. Wait for it to finish; a lock of a dead process on this host, or one not refreshed for 30 minutes, is cleared automatically.',
  },
  REPO_DAMAGED: {
    category: 'damaged',
    hint: 'Stored data failed verification and was refused. Run `lifeboat repo check --read-data` to see which backups are affected; use another backup.',
  },
  REPO_DATA_MISSING: {
    category: 'damaged',
    hint: 'Data this backup needs is missing from the storage. Run `lifeboat repo check` to see which backups are affected; use another backup.',
  },
  REPO_BACKUP_NOT_FOUND: {
    category: 'usage',
    hint: 'No backup with this id exists at the location. List them with `lifeboat repo list`.',
  },
  REPO_ARTIFACT_NOT_FOUND: {
    category: 'usage',
    hint: 'The backup has no such component or artifact. Inspect it with `lifeboat repo list --json`.',
  },
  REPO_ARTIFACT_MISMATCH: {
    category: 'damaged',
    hint: 'The data received differs from what the source announced (size or SHA-256). The component was marked Failed; check the source and back up again.',
  },
  REPO_ARTIFACT_READ: {
    category: 'storage',
    hint: 'Reading the data from its source failed. The component was marked Failed; check the source and back up again.',
  },
  REPO_INVALID_NAME: {
    category: 'usage',
    hint: 'Component and artifact names are non-empty text without control characters, at most 1024 characters.',
  },
  REPO_WRITER_CLOSED: {
    category: 'usage',
    hint: 'This backup was already committed, aborted or failed. Start a new backup.',
  },
  REPO_OFFSET_INVALID: {
    category: 'usage',
    hint: 'The offset must be a whole number between 0 and the artifact size.',
  },
});
