/**
 * The ways a vault's data key can be protected, in the order they are tried:
 * an injected `KeyProtector` (the desktop app passes one built on Electron safeStorage; this
 * folder never imports electron), the OS keychain through @napi-rs/keyring, and a passphrase.
 */
import { Entry } from '@napi-rs/keyring';

/** Encrypts small values with a key the operating system keeps for the logged-in user. */
export interface KeyProtector {
  /** Shown to the operator, e.g. "Electron safeStorage (gnome-libsecret)". */
  readonly name: string;
  /**
   * Whether the OS really protects values here. Report unavailable with a reason when it
   * would not (Electron's "basic_text" fallback on Linux uses a hard-coded password).
   */
  availability(): Promise<{ available: true } | { available: false; reason: string }>;
  protect(plaintext: Buffer): Promise<Buffer>;
  unprotect(wrapped: Buffer): Promise<Buffer>;
}

export type VaultBackend = 'protector' | 'keychain' | 'passphrase';

/** The keychain service every Lifeboat item is stored under; the account names the profile's vault. */
export const KEYCHAIN_SERVICE = 'Lifeboat';

export function keychainAccount(vaultId: string): string {
  return `vault-${vaultId}`;
}

/**
 * One keychain item. On Linux it is pinned to the Secret Service: the library would otherwise
 * fall back to the kernel keyring, which forgets everything at logout or reboot.
 */
function entry(account: string): Entry {
  return new Entry(KEYCHAIN_SERVICE, account, { linux: { store: 'secret-service' } });
}

export type KeychainResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Stores `secret` and reads it back, so a keychain that accepts but loses writes is caught. */
export function keychainStore(account: string, secret: Buffer): KeychainResult<void> {
  try {
    const item = entry(account);
    item.setSecret(secret);
    const back = item.getSecret();
    if (back === null || !Buffer.from(back).equals(secret)) {
      return { ok: false, reason: 'the OS keychain accepted the key but did not return it' };
    }
    return { ok: true, value: undefined };
  } catch (error) {
    return { ok: false, reason: keychainReason(error) };
  }
}

export function keychainLoad(account: string): KeychainResult<Buffer | null> {
  try {
    const value = entry(account).getSecret();
    return { ok: true, value: value === null ? null : Buffer.from(value) };
  } catch (error) {
    return { ok: false, reason: keychainReason(error) };
  }
}

export function keychainRemove(account: string): KeychainResult<boolean> {
  try {
    return { ok: true, value: entry(account).deleteCredential() };
  } catch (error) {
    return { ok: false, reason: keychainReason(error) };
  }
}

/** Turns the platform's error into a sentence for the operator (it never contains a secret). */
export function keychainReason(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).slice(0, 300);
  if (/locked|prompt was dismissed/i.test(text)) {
    return `the OS keychain is locked and could not be unlocked here (${text})`;
  }
  if (/denied|not permitted/i.test(text)) {
    return `the OS keychain refused access (${text})`;
  }
  if (/dbus|d-bus|secret service/i.test(text)) {
    return `no Secret Service on D-Bus (the OS keychain is not running or not reachable: ${text})`;
  }
  return `the OS keychain failed (${text})`;
}
