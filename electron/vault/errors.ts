/**
 * Error codes of the credential vault. Messages name record ids, files and backends, never a
 * secret value: callers may show them to operators and write them to logs.
 */
import { defineErrors } from '../../shared/errors.js';

export const VaultErrors = defineErrors({
  VAULT_SECRET_NOT_FOUND: {
    category: 'usage',
    hint: 'Store the secret first (for example by enabling backup or changing the credentials), then try again.',
  },
  VAULT_INVALID_ID: {
    category: 'usage',
    hint: 'Secret ids look like "storage-credentials:<locationId>"; see electron/vault/README.md.',
  },
  VAULT_INVALID_SECRET: {
    category: 'usage',
    hint: 'Give a non-empty secret of at most 1 MiB and a short printable label.',
  },
  VAULT_WEAK_PASSPHRASE: {
    category: 'usage',
    hint: 'Choose a vault passphrase of at least 12 characters; a sentence of several words is best.',
  },
  VAULT_PASSPHRASE_REQUIRED: {
    category: 'auth',
    hint: 'This vault is protected by a passphrase: supply it (from standard input or a file).',
  },
  VAULT_WRONG_PASSPHRASE: {
    category: 'auth',
    hint: 'The passphrase does not open this vault. Check it and try again; nothing was changed.',
  },
  VAULT_CANNOT_UNLOCK: {
    category: 'auth',
    hint: 'None of the ways that protect this vault is available here. Open it where its keychain is, or supply its passphrase.',
  },
  VAULT_LAST_SLOT: {
    category: 'refused',
    hint: 'Keep at least one way to open the vault: add another (for example a new passphrase) before removing this one.',
  },
  VAULT_NO_BACKEND: {
    category: 'refused',
    hint: 'No OS keychain is reachable on this machine: supply a vault passphrase so the secrets can be stored encrypted in a file.',
  },
  VAULT_FILE_DAMAGED: {
    category: 'damaged',
    hint: 'The vault file is not a Lifeboat vault or is damaged. It was left untouched; restore it from a copy or move it aside and enter the secrets again.',
  },
  VAULT_TAMPERED: {
    category: 'damaged',
    hint: 'The vault file was changed outside Lifeboat or belongs to another key. It was left untouched; restore it from a copy or move it aside and enter the secrets again.',
  },
  VAULT_VERSION_TOO_NEW: {
    category: 'refused',
    hint: 'This vault was written by a newer Lifeboat. Upgrade Lifeboat to open it.',
  },
  VAULT_BUSY: {
    category: 'busy',
    hint: 'Another Lifeboat process is writing the vault. Try again in a moment.',
  },
  VAULT_WRITE_FAILED: {
    category: 'storage',
    hint: 'Check that the profile folder is writable and has free space; the previous vault file is unchanged.',
  },
  VAULT_CLOSED: {
    category: 'internal',
    hint: 'The vault was used after it was closed. This is a defect in Lifeboat; report it.',
  },
});
