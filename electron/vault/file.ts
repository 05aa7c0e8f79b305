/**
 * The vault file (`<home>/vault/vault.json`): its schema, strict reading, atomic writing and
 * the lock that serialises writers across processes (the app and the `lifeboat` command).
 *
 * Reading never repairs: a file that is not a Lifeboat vault, is damaged, or is newer than this
 * build is refused with a typed error and left exactly as it is.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { VaultErrors } from './errors.js';
import { isSecretId } from './ids.js';

export const VAULT_FORMAT = 'lifeboat-vault';
export const VAULT_VERSION = 1;

const b64 = z.base64().max(2 * 1024 * 1024);
const iso = z.iso.datetime();

const protectorSlot = z.strictObject({
  kind: z.literal('protector'),
  name: z.string().min(1).max(100),
  wrapped: b64,
});
const keychainSlot = z.strictObject({
  kind: z.literal('keychain'),
  service: z.string().min(1).max(100),
  account: z.string().min(1).max(200),
  nonce: b64,
  box: b64,
});
const passphraseSlot = z.strictObject({
  kind: z.literal('passphrase'),
  kdf: z.literal('scrypt'),
  N: z
    .number()
    .int()
    .min(2)
    .max(2 ** 22),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: b64,
  nonce: b64,
  box: b64,
});
const slot = z.discriminatedUnion('kind', [protectorSlot, keychainSlot, passphraseSlot]);

const record = z.strictObject({
  id: z.string().refine(isSecretId, 'not a secret id'),
  label: z.string().max(200),
  created: iso,
  updated: iso,
  nonce: b64,
  box: b64,
});

const vaultDocument = z.strictObject({
  format: z.literal(VAULT_FORMAT),
  version: z.literal(VAULT_VERSION),
  vaultId: z.string().regex(/^[0-9a-f]{32}$/),
  created: iso,
  slots: z.array(slot).min(1).max(8),
  records: z.array(record).max(10_000),
  mac: b64,
});

export type Slot = z.infer<typeof slot>;
export type PassphraseSlot = z.infer<typeof passphraseSlot>;
export type KeychainSlot = z.infer<typeof keychainSlot>;
export type ProtectorSlot = z.infer<typeof protectorSlot>;
export type VaultRecord = z.infer<typeof record>;
export type VaultDocument = z.infer<typeof vaultDocument>;

export interface VaultPaths {
  dir: string;
  file: string;
  lock: string;
}

export function vaultPaths(home: string): VaultPaths {
  const dir = join(home, 'vault');
  return { dir, file: join(dir, 'vault.json'), lock: join(dir, 'vault.lock') };
}

/**
 * Everything the MAC covers, in a fixed order. Built field by field rather than by
 * re-serialising the parsed JSON, so key order in the file cannot change the result.
 */
export function macInput(doc: Omit<VaultDocument, 'mac'>): string {
  const slots = doc.slots.map((s) => {
    switch (s.kind) {
      case 'protector':
        return [s.kind, s.name, s.wrapped];
      case 'keychain':
        return [s.kind, s.service, s.account, s.nonce, s.box];
      case 'passphrase':
        return [s.kind, s.kdf, s.N, s.r, s.p, s.salt, s.nonce, s.box];
    }
  });
  const records = [...doc.records]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => [r.id, r.label, r.created, r.updated, r.nonce, r.box]);
  return JSON.stringify([doc.format, doc.version, doc.vaultId, doc.created, slots, records]);
}

/** Reads and validates the vault file; returns null only when there is no file at all. */
export function readVaultFile(file: string): VaultDocument | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw VaultErrors.create('VAULT_FILE_DAMAGED', `The vault file ${file} cannot be read.`, {
      cause: error,
      hint: 'Check the permissions of the profile folder; the vault file was left untouched.',
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw damaged(file, 'it is not JSON');
  }
  if (
    typeof raw !== 'object' ||
    raw === null ||
    (raw as { format?: unknown }).format !== VAULT_FORMAT
  ) {
    throw damaged(file, 'it is not a Lifeboat vault');
  }
  const version = (raw as { version?: unknown }).version;
  if (typeof version === 'number' && version > VAULT_VERSION) {
    throw VaultErrors.create(
      'VAULT_VERSION_TOO_NEW',
      `The vault file ${file} has format version ${version}; this Lifeboat reads version ${VAULT_VERSION}.`,
    );
  }
  const parsed = vaultDocument.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw damaged(file, `its field "${where}" is invalid`);
  }
  return parsed.data;
}

function damaged(file: string, why: string) {
  return VaultErrors.create('VAULT_FILE_DAMAGED', `The vault file ${file} was refused: ${why}.`, {
    details: { file },
  });
}

/** Writes the whole file beside the old one, flushes it, then renames it over: all or nothing. */
export function writeVaultFile(file: string, dir: string, doc: VaultDocument): void {
  const temp = join(dir, `.vault.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(doc, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    syncDirectory(dir);
  } catch (error) {
    rmSync(temp, { force: true });
    throw VaultErrors.create('VAULT_WRITE_FAILED', `The vault file ${file} could not be written.`, {
      cause: error,
    });
  }
}

function syncDirectory(dir: string): void {
  // Windows cannot open a directory for fsync; its rename is durable enough on NTFS.
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function ensureVaultDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 5_000;

/**
 * Runs `fn` holding `<home>/vault/vault.lock`, so two processes never interleave a
 * read-modify-write. A lock left by a dead process on this host, or older than 30 s (a write
 * takes milliseconds), is taken over.
 */
export function withVaultLock<T>(lock: string, fn: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(
        fd,
        JSON.stringify({ pid: process.pid, host: hostname(), time: new Date().toISOString() }),
      );
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw VaultErrors.create(
          'VAULT_WRITE_FAILED',
          `The vault lock ${lock} could not be created.`,
          {
            cause: error,
          },
        );
      }
      if (isStaleLock(lock)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw VaultErrors.create('VAULT_BUSY', `The vault is locked by another process (${lock}).`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Whether the lock belongs to a dead process on this host or is older than any write takes.
 * A lock that vanished while we looked is not stale: its holder released it, and another
 * process may already hold a new one under the same name, which must not be removed.
 */
function isStaleLock(lock: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(lock, 'utf8')) as { pid?: unknown; host?: unknown };
    if (owner.host === hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid)) {
      return true;
    }
  } catch {
    // Unreadable, half-written or just released: judge by age alone.
  }
  try {
    return Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
