/**
 * The credential vault: every secret Lifeboat keeps (storage credentials, repository keys,
 * rack credentials), each sealed with AES-256-GCM under one random data key, in
 * `<home>/vault/vault.json`. The data key itself is sealed by the OS (keychain or an injected
 * protector) and/or a passphrase; see unlock.ts.
 *
 * Secrets are Buffers in and out; only `get()` ever returns one. Every other result, error
 * and status carries ids, labels and backend names only. Each call re-reads and re-verifies
 * the file, so the app and the `lifeboat` command see each other's changes.
 */
import { randomBytes } from 'node:crypto';
import { keychainRemove, type KeyProtector, type VaultBackend } from './backends.js';
import { mac, macKey, macMatches, randomKey, seal, unseal } from './crypto.js';
import { VaultErrors } from './errors.js';
import {
  VAULT_FORMAT,
  VAULT_VERSION,
  ensureVaultDir,
  macInput,
  readVaultFile,
  vaultPaths,
  withVaultLock,
  writeVaultFile,
  type VaultDocument,
  type VaultPaths,
  type VaultRecord,
} from './file.js';
import { assertSecretId } from './ids.js';
import {
  assertPassphraseStrength,
  createSlots,
  passphraseSlot,
  unlockSlots,
  type BackendChoice,
  type NotUsed,
} from './unlock.js';

export interface OpenVaultOptions {
  /** The profile folder; the vault lives in `<home>/vault/`. */
  home: string;
  /** An OS-backed protector (the desktop app passes one built on Electron safeStorage). */
  protector?: KeyProtector;
  /** Opens (or, when creating, also protects) the vault; at least 12 bytes. */
  passphrase?: Buffer;
  /** Set false to leave the OS keychain alone (default true). */
  useKeychain?: boolean;
}

export interface SecretEntry {
  id: string;
  label: string;
  created: string;
  updated: string;
}

export interface VaultStatus {
  /** The backend that unlocked the vault in this process. */
  backend: VaultBackend;
  /** A sentence for the operator: what protects the secrets. */
  description: string;
  /** `os-account`: bound to the operator's OS login; `passphrase`: as strong as the passphrase. */
  strength: 'os-account' | 'passphrase';
  /** Every backend that can open this vault. */
  slots: VaultBackend[];
  /** Why each other backend was not used. */
  notUsed: NotUsed[];
  file: string;
  secretCount: number;
  /** True when this open created the vault. */
  created: boolean;
}

const MAX_SECRET_BYTES = 1024 * 1024;
const recordAad = (vaultId: string, id: string) => `lifeboat-vault-record:${vaultId}:${id}`;

/** Opens the profile's vault, creating it on first use with every backend available. */
export async function openVault(options: OpenVaultOptions): Promise<Vault> {
  const paths = vaultPaths(options.home);
  ensureVaultDir(paths.dir);
  const choice: BackendChoice = {
    protector: options.protector,
    passphrase: options.passphrase,
    useKeychain: options.useKeychain !== false,
  };
  const existing = readVaultFile(paths.file);
  if (existing !== null) return unlockExisting(existing, paths, choice);
  return createVault(paths, choice);
}

/** Creates the vault file; when another process wins the race, opens theirs instead. */
async function createVault(paths: VaultPaths, choice: BackendChoice): Promise<Vault> {
  const created = await createDocument(choice);
  const forget = () => {
    created.dataKey.fill(0);
    if (created.keychainAccount !== null) keychainRemove(created.keychainAccount);
  };
  let winner: VaultDocument | null;
  try {
    winner = withVaultLock(paths.lock, () => {
      // Never overwrite: a vault that appeared meanwhile is the one to use.
      const raced = readVaultFile(paths.file);
      if (raced !== null) return raced;
      writeVaultFile(paths.file, paths.dir, created.doc);
      return null;
    });
  } catch (error) {
    forget();
    throw error;
  }
  if (winner !== null) {
    forget();
    return unlockExisting(winner, paths, choice);
  }
  return new Vault(paths, created.doc.vaultId, created.dataKey, {
    backend: created.doc.slots[0]?.kind ?? 'passphrase',
    notUsed: created.notUsed,
    created: true,
  });
}

export interface VaultSummary {
  file: string;
  exists: boolean;
  /** The backends that can open it, in the order they are tried. */
  slots: VaultBackend[];
}

/**
 * What can be said about a profile's vault without unlocking it: whether it exists and which
 * backends protect it (so the app can ask for a passphrase only when one is needed). A damaged
 * or foreign file is refused as `openVault` would refuse it.
 */
export function inspectVault(options: { home: string }): VaultSummary {
  const { file } = vaultPaths(options.home);
  const doc = readVaultFile(file);
  return { file, exists: doc !== null, slots: doc === null ? [] : doc.slots.map((s) => s.kind) };
}

async function createDocument(choice: BackendChoice) {
  const vaultId = randomBytes(16).toString('hex');
  const dataKey = randomKey();
  const { slots, notUsed, keychainAccount } = await createSlots(vaultId, dataKey, choice);
  if (slots.length === 0) {
    dataKey.fill(0);
    const why = notUsed.map((n) => `${n.backend}: ${n.reason}`).join('; ');
    throw VaultErrors.create(
      'VAULT_NO_BACKEND',
      `No way to protect the vault is available: ${why}.`,
    );
  }
  const doc: VaultDocument = {
    format: VAULT_FORMAT,
    version: VAULT_VERSION,
    vaultId,
    created: new Date().toISOString(),
    slots,
    records: [],
    mac: '',
  };
  doc.mac = mac(macKey(dataKey, vaultId), macInput(doc)).toString('base64');
  return { doc, dataKey, notUsed, keychainAccount };
}

async function unlockExisting(
  doc: VaultDocument,
  paths: VaultPaths,
  choice: BackendChoice,
): Promise<Vault> {
  const opensFile = (key: Buffer) =>
    macMatches(macKey(key, doc.vaultId), macInput(doc), Buffer.from(doc.mac, 'base64'));
  const unlocked = await unlockSlots(doc.vaultId, paths.file, doc.slots, choice, opensFile);
  try {
    verifyMac(doc, unlocked.dataKey, paths.file);
  } catch (error) {
    unlocked.dataKey.fill(0);
    throw error;
  }
  return new Vault(paths, doc.vaultId, unlocked.dataKey, {
    backend: unlocked.backend,
    notUsed: unlocked.notUsed,
    created: false,
  });
}

function verifyMac(doc: VaultDocument, dataKey: Buffer, file: string): void {
  if (!macMatches(macKey(dataKey, doc.vaultId), macInput(doc), Buffer.from(doc.mac, 'base64'))) {
    throw VaultErrors.create(
      'VAULT_TAMPERED',
      `The vault file ${file} does not match its seal: it was changed outside Lifeboat.`,
      { details: { file } },
    );
  }
}

interface OpenState {
  backend: VaultBackend;
  notUsed: NotUsed[];
  created: boolean;
}

export class Vault {
  #dataKey: Buffer | null;

  constructor(
    private readonly paths: VaultPaths,
    private readonly vaultId: string,
    dataKey: Buffer,
    private readonly state: OpenState,
  ) {
    this.#dataKey = dataKey;
  }

  /** Stores or replaces the secret `id`. The caller keeps ownership of `secret` (wipe it after). */
  put(id: string, secret: Buffer, options: { label: string }): void {
    assertSecretId(id);
    assertSecret(secret, options.label);
    const key = this.key();
    this.update((doc) => {
      const now = new Date().toISOString();
      const previous = doc.records.find((r) => r.id === id);
      const sealed = seal(key, secret, recordAad(this.vaultId, id));
      const record: VaultRecord = {
        id,
        label: options.label,
        created: previous?.created ?? now,
        updated: now,
        nonce: sealed.nonce.toString('base64'),
        box: sealed.box.toString('base64'),
      };
      return { records: [...doc.records.filter((r) => r.id !== id), record] };
    });
  }

  /** Returns a fresh copy of the secret `id`; throws VAULT_SECRET_NOT_FOUND naming the id. */
  get(id: string): Buffer {
    assertSecretId(id);
    const key = this.key();
    const record = this.read().records.find((r) => r.id === id);
    if (record === undefined) {
      throw VaultErrors.create('VAULT_SECRET_NOT_FOUND', `The vault holds no secret "${id}".`, {
        details: { id },
      });
    }
    const secret = unseal(
      key,
      { nonce: Buffer.from(record.nonce, 'base64'), box: Buffer.from(record.box, 'base64') },
      recordAad(this.vaultId, id),
    );
    if (secret === null) {
      throw VaultErrors.create(
        'VAULT_TAMPERED',
        `The secret "${id}" in ${this.paths.file} does not open.`,
        {
          details: { id, file: this.paths.file },
        },
      );
    }
    return secret;
  }

  has(id: string): boolean {
    assertSecretId(id);
    return this.read().records.some((r) => r.id === id);
  }

  /** Removes the secret `id`; returns false when there was none. */
  delete(id: string): boolean {
    assertSecretId(id);
    let removed = false;
    this.update((doc) => {
      const kept = doc.records.filter((r) => r.id !== id);
      removed = kept.length !== doc.records.length;
      return removed ? { records: kept } : null;
    });
    return removed;
  }

  /** Ids and labels only, sorted by id; never a value. */
  list(): SecretEntry[] {
    return this.read()
      .records.map(({ id, label, created, updated }) => ({ id, label, created, updated }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Adds or replaces the passphrase slot, or removes it (`null`), e.g. to give a keychain vault
   * a recovery passphrase. Removing the only way to open the vault is refused.
   */
  setPassphrase(passphrase: Buffer | null): void {
    if (passphrase !== null) assertPassphraseStrength(passphrase);
    const key = this.key();
    this.update((doc) => {
      const others = doc.slots.filter((slot) => slot.kind !== 'passphrase');
      if (passphrase !== null) {
        return { slots: [...others, passphraseSlot(this.vaultId, key, passphrase)] };
      }
      if (others.length === doc.slots.length) return null;
      if (others.length === 0) {
        throw VaultErrors.create(
          'VAULT_LAST_SLOT',
          `The passphrase is the only way to open ${this.paths.file}; it was kept.`,
        );
      }
      return { slots: others };
    });
  }

  status(): VaultStatus {
    const doc = this.read();
    const { backend } = this.state;
    return {
      backend,
      description: describeBackend(backend),
      strength: backend === 'passphrase' ? 'passphrase' : 'os-account',
      slots: doc.slots.map((slot) => slot.kind),
      notUsed: this.state.notUsed.map((n) => ({ ...n })),
      file: this.paths.file,
      secretCount: doc.records.length,
      created: this.state.created,
    };
  }

  /** Wipes the data key from memory; the vault cannot be used afterwards. */
  close(): void {
    this.#dataKey?.fill(0);
    this.#dataKey = null;
  }

  private key(): Buffer {
    if (this.#dataKey === null)
      throw VaultErrors.create('VAULT_CLOSED', 'The vault was already closed.');
    return this.#dataKey;
  }

  /** The current file, verified against this vault's key. */
  private read(): VaultDocument {
    const key = this.key();
    const doc = readVaultFile(this.paths.file);
    if (doc === null || doc.vaultId !== this.vaultId) {
      throw VaultErrors.create(
        'VAULT_TAMPERED',
        `The vault file ${this.paths.file} was removed or replaced while Lifeboat had it open.`,
        { details: { file: this.paths.file } },
      );
    }
    verifyMac(doc, key, this.paths.file);
    return doc;
  }

  /** Read-modify-write under the cross-process lock; `change` returns null for "no change". */
  private update(
    change: (doc: VaultDocument) => Partial<Pick<VaultDocument, 'records' | 'slots'>> | null,
  ): void {
    const key = this.key();
    withVaultLock(this.paths.lock, () => {
      const doc = this.read();
      const changed = change(doc);
      if (changed === null) return;
      const next: VaultDocument = { ...doc, ...changed, mac: '' };
      next.mac = mac(macKey(key, this.vaultId), macInput(next)).toString('base64');
      writeVaultFile(this.paths.file, this.paths.dir, next);
    });
  }
}

function assertSecret(secret: unknown, label: unknown): asserts secret is Buffer {
  if (!Buffer.isBuffer(secret) || secret.length === 0 || secret.length > MAX_SECRET_BYTES) {
    throw VaultErrors.create(
      'VAULT_INVALID_SECRET',
      'A secret must be a non-empty Buffer of at most 1 MiB.',
    );
  }
  if (typeof label !== 'string' || label.length > 200 || hasControlCharacter(label)) {
    throw VaultErrors.create(
      'VAULT_INVALID_SECRET',
      'A secret label must be printable text of at most 200 characters.',
    );
  }
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function describeBackend(backend: VaultBackend): string {
  switch (backend) {
    case 'protector':
      return 'The secrets are encrypted with a key the operating system protects for your account (Electron safeStorage).';
    case 'keychain':
      return 'The secrets are encrypted with a key kept in the OS keychain for your account.';
    case 'passphrase':
      return 'The secrets are encrypted with a key derived from the vault passphrase (scrypt); they are as safe as the passphrase.';
  }
}
