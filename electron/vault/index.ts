/**
 * The credential vault's public API. Callers: the backup controller, cloud recovery, the
 * `lifeboat` command and the Electron shell (which supplies a safeStorage `KeyProtector`).
 */
export { inspectVault, openVault, Vault } from './vault.js';
export type { OpenVaultOptions, SecretEntry, VaultStatus, VaultSummary } from './vault.js';
export type { KeyProtector, VaultBackend } from './backends.js';
export type { NotUsed } from './unlock.js';
export { MIN_PASSPHRASE_BYTES } from './unlock.js';
export { secretIds, isSecretId } from './ids.js';
export { VaultErrors } from './errors.js';
