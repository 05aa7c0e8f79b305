/**
 * The vault's KeyProtector on Electron safeStorage (the OS's own per-user encryption: DPAPI,
 * Keychain, libsecret/kwallet). On Linux safeStorage falls back to "basic_text", a hard-coded
 * password, when no keyring runs: that is reported as unavailable, never used.
 */
import type { SafeStorage } from 'electron';
import type { KeyProtector } from '../vault/index.js';

export function safeStorageProtector(safeStorage: SafeStorage, platform: string): KeyProtector {
  const backend = () => (platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null);
  return {
    name: `Electron safeStorage${backend() === null ? '' : ` (${backend()})`}`,
    async availability() {
      if (!(await safeStorage.isAsyncEncryptionAvailable())) {
        return {
          available: false,
          reason: 'the operating system offers no encryption to this app',
        };
      }
      const selected = backend();
      if (selected === 'basic_text' || selected === 'unknown') {
        return {
          available: false,
          reason: `no desktop keyring is running (safeStorage would use "${selected}", a fixed password)`,
        };
      }
      return { available: true };
    },
    // safeStorage takes text, so the wrapped key crosses it as base64 and back to bytes at once.
    async protect(plaintext) {
      return safeStorage.encryptStringAsync(plaintext.toString('base64'));
    },
    async unprotect(wrapped) {
      const { result } = await safeStorage.decryptStringAsync(wrapped);
      return Buffer.from(result, 'base64');
    },
  };
}
