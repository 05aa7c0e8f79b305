/**
 * Creating a vault's protection slots and opening them again. Each slot holds the same data
 * key, sealed by one backend; any one slot that opens unlocks the vault.
 */
import { randomBytes } from 'node:crypto';
import {
  KEYCHAIN_SERVICE,
  keychainAccount,
  keychainLoad,
  keychainStore,
  type KeyProtector,
  type VaultBackend,
} from './backends.js';
import {
  SCRYPT_DEFAULTS,
  SCRYPT_MIN_N,
  derivePassphraseKey,
  randomKey,
  seal,
  unseal,
} from './crypto.js';
import { VaultErrors } from './errors.js';
import type { KeychainSlot, PassphraseSlot, Slot } from './file.js';

export interface BackendChoice {
  protector?: KeyProtector | undefined;
  passphrase?: Buffer | undefined;
  useKeychain: boolean;
}

export interface NotUsed {
  backend: VaultBackend;
  reason: string;
}

/** Fewer characters than this are refused: the passphrase is all that guards an offline copy. */
export const MIN_PASSPHRASE_BYTES = 12;

const slotAad = (vaultId: string, kind: VaultBackend) => `lifeboat-vault-slot:${vaultId}:${kind}`;

const b64 = (buffer: Buffer) => buffer.toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64');

export function assertPassphraseStrength(passphrase: Buffer): void {
  if (passphrase.length < MIN_PASSPHRASE_BYTES) {
    throw VaultErrors.create(
      'VAULT_WEAK_PASSPHRASE',
      `The vault passphrase is too short (fewer than ${MIN_PASSPHRASE_BYTES} characters).`,
    );
  }
}

/**
 * Seals `dataKey` under every backend available here: the OS-level ones so both the app and
 * the command can open the vault, and the passphrase when one is given, so the secrets stay
 * reachable where no keychain is.
 */
export async function createSlots(
  vaultId: string,
  dataKey: Buffer,
  choice: BackendChoice,
): Promise<{ slots: Slot[]; notUsed: NotUsed[]; keychainAccount: string | null }> {
  // Checked first, so a refused passphrase leaves no keychain item behind.
  if (choice.passphrase !== undefined) assertPassphraseStrength(choice.passphrase);
  const slots: Slot[] = [];
  const notUsed: NotUsed[] = [];
  const protector = await protectorSlot(dataKey, choice.protector);
  if ('slot' in protector) slots.push(protector.slot);
  else notUsed.push({ backend: 'protector', reason: protector.reason });

  let account: string | null = null;
  if (choice.useKeychain) {
    const keychain = keychainSlot(vaultId, dataKey);
    if ('slot' in keychain) {
      slots.push(keychain.slot);
      account = keychain.slot.account;
    } else notUsed.push({ backend: 'keychain', reason: keychain.reason });
  } else notUsed.push({ backend: 'keychain', reason: 'the caller turned the OS keychain off' });

  if (choice.passphrase !== undefined) {
    slots.push(passphraseSlot(vaultId, dataKey, choice.passphrase));
  } else notUsed.push({ backend: 'passphrase', reason: 'no passphrase was supplied' });
  return { slots, notUsed, keychainAccount: account };
}

async function protectorSlot(
  dataKey: Buffer,
  protector: KeyProtector | undefined,
): Promise<{ slot: Slot } | { reason: string }> {
  if (protector === undefined) {
    return {
      reason: 'no OS key protector was supplied (the desktop app provides Electron safeStorage)',
    };
  }
  const availability = await protector.availability();
  if (!availability.available) return { reason: `${protector.name}: ${availability.reason}` };
  try {
    const wrapped = await protector.protect(dataKey);
    const back = await protector.unprotect(wrapped);
    if (!back.equals(dataKey))
      return { reason: `${protector.name} did not return what it protected` };
    return { slot: { kind: 'protector', name: protector.name, wrapped: b64(wrapped) } };
  } catch (error) {
    return { reason: `${protector.name} failed: ${errorText(error)}` };
  }
}

function keychainSlot(
  vaultId: string,
  dataKey: Buffer,
): { slot: KeychainSlot } | { reason: string } {
  // The keychain holds a key-encryption key rather than the data key itself, so a keychain
  // item that belongs to another vault is recognised (the seal does not open) instead of
  // being mistaken for tampering.
  const kek = randomKey();
  const account = keychainAccount(vaultId);
  const stored = keychainStore(account, kek);
  if (!stored.ok) return { reason: stored.reason };
  const sealed = seal(kek, dataKey, slotAad(vaultId, 'keychain'));
  kek.fill(0);
  return {
    slot: {
      kind: 'keychain',
      service: KEYCHAIN_SERVICE,
      account,
      nonce: b64(sealed.nonce),
      box: b64(sealed.box),
    },
  };
}

export function passphraseSlot(
  vaultId: string,
  dataKey: Buffer,
  passphrase: Buffer,
): PassphraseSlot {
  const salt = randomBytes(16);
  const kek = derivePassphraseKey(passphrase, salt, SCRYPT_DEFAULTS);
  const sealed = seal(kek, dataKey, slotAad(vaultId, 'passphrase'));
  kek.fill(0);
  return {
    kind: 'passphrase',
    kdf: 'scrypt',
    ...SCRYPT_DEFAULTS,
    salt: b64(salt),
    nonce: b64(sealed.nonce),
    box: b64(sealed.box),
  };
}

export interface Unlocked {
  dataKey: Buffer;
  backend: VaultBackend;
  notUsed: NotUsed[];
}

/**
 * Tries the slots in the order protector, keychain, passphrase, and returns the data key from
 * the first that opens. Failing all, throws the error that tells the operator what to do.
 *
 * The keychain and passphrase slots authenticate the key they yield (AES-GCM with the vault id
 * as associated data); a protector only decrypts, so its key is checked with `opensFile` (the
 * file MAC) and, when wrong, the next slot is tried instead of calling the file tampered.
 */
export async function unlockSlots(
  vaultId: string,
  file: string,
  slots: Slot[],
  choice: BackendChoice,
  opensFile: (key: Buffer) => boolean,
): Promise<Unlocked> {
  const notUsed: NotUsed[] = [];
  const attempts: Array<[VaultBackend, () => Promise<Buffer | string>]> = [
    ['protector', () => checked(openProtectorSlot(slots, choice.protector), opensFile)],
    ['keychain', async () => openKeychainSlot(vaultId, slots, choice.useKeychain)],
    ['passphrase', async () => openPassphraseSlot(vaultId, slots, choice.passphrase)],
  ];
  let wrongPassphrase = false;
  for (const [backend, attempt] of attempts) {
    const result = await attempt();
    if (Buffer.isBuffer(result)) return { dataKey: result, backend, notUsed };
    notUsed.push({ backend, reason: result });
    if (backend === 'passphrase' && result === WRONG_PASSPHRASE) wrongPassphrase = true;
  }
  throw unlockFailure(file, slots, choice, notUsed, wrongPassphrase);
}

const WRONG_PASSPHRASE = 'the passphrase given does not open this vault';

async function checked(
  result: Promise<Buffer | string>,
  opensFile: (key: Buffer) => boolean,
): Promise<Buffer | string> {
  const key = await result;
  if (typeof key === 'string' || opensFile(key)) return key;
  key.fill(0);
  return 'it returned a key that does not open this vault (was the profile copied from another user or machine?)';
}

function unlockFailure(
  file: string,
  slots: Slot[],
  choice: BackendChoice,
  notUsed: NotUsed[],
  wrongPassphrase: boolean,
) {
  const why = notUsed.map((n) => `${n.backend}: ${n.reason}`).join('; ');
  const details = { file };
  if (wrongPassphrase) {
    return VaultErrors.create(
      'VAULT_WRONG_PASSPHRASE',
      `The vault ${file} was not opened: ${why}.`,
      { details },
    );
  }
  if (slots.some((s) => s.kind === 'passphrase') && choice.passphrase === undefined) {
    return VaultErrors.create(
      'VAULT_PASSPHRASE_REQUIRED',
      `The vault ${file} was not opened: ${why}.`,
      { details },
    );
  }
  return VaultErrors.create('VAULT_CANNOT_UNLOCK', `The vault ${file} was not opened: ${why}.`, {
    details,
  });
}

async function openProtectorSlot(
  slots: Slot[],
  protector: KeyProtector | undefined,
): Promise<Buffer | string> {
  const slot = slots.find((s) => s.kind === 'protector');
  if (slot === undefined) return 'this vault has no protector slot';
  if (protector === undefined) return `it needs ${slot.name}, which only the desktop app provides`;
  try {
    const key = await protector.unprotect(unb64(slot.wrapped));
    return key.length === 32 ? key : `${protector.name} returned a key of the wrong size`;
  } catch (error) {
    return `${protector.name} could not open it: ${errorText(error)}`;
  }
}

function openKeychainSlot(vaultId: string, slots: Slot[], useKeychain: boolean): Buffer | string {
  const slot = slots.find((s): s is KeychainSlot => s.kind === 'keychain');
  if (slot === undefined) return 'this vault has no keychain slot';
  if (!useKeychain) return 'the caller turned the OS keychain off';
  const loaded = keychainLoad(slot.account);
  if (!loaded.ok) return loaded.reason;
  if (loaded.value === null) {
    return `the OS keychain has no item "${slot.service}/${slot.account}" (was the profile copied from another user or machine?)`;
  }
  const key = unseal(
    loaded.value,
    { nonce: unb64(slot.nonce), box: unb64(slot.box) },
    slotAad(vaultId, 'keychain'),
  );
  loaded.value.fill(0);
  return key ?? `the OS keychain item "${slot.service}/${slot.account}" belongs to another vault`;
}

function openPassphraseSlot(
  vaultId: string,
  slots: Slot[],
  passphrase: Buffer | undefined,
): Buffer | string {
  const slot = slots.find((s): s is PassphraseSlot => s.kind === 'passphrase');
  if (slot === undefined) return 'this vault has no passphrase slot';
  if (passphrase === undefined) return 'no passphrase was supplied';
  if (slot.N < SCRYPT_MIN_N || (slot.N & (slot.N - 1)) !== 0) {
    throw VaultErrors.create(
      'VAULT_TAMPERED',
      'The vault passphrase slot has key derivation parameters weaker than Lifeboat writes: the file was altered.',
    );
  }
  const kek = derivePassphraseKey(passphrase, unb64(slot.salt), slot);
  const key = unseal(
    kek,
    { nonce: unb64(slot.nonce), box: unb64(slot.box) },
    slotAad(vaultId, 'passphrase'),
  );
  kek.fill(0);
  return key ?? WRONG_PASSPHRASE;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}
