/**
 * The vault with the passphrase backend only (the OS keychain turned off), against real files:
 * storing and reading secrets, refusals, tamper detection, and that secrets never leak.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keychainReason } from '../../electron/vault/backends.js';
import { seal, unseal } from '../../electron/vault/crypto.js';
import {
  inspectVault,
  openVault,
  secretIds,
  type KeyProtector,
} from '../../electron/vault/index.js';
import { caught, encodings, tempHome } from './helpers.js';

const passphrase = () => Buffer.from('a long enough vault passphrase');
const open = (home: string, phrase: Buffer | undefined = passphrase()) =>
  openVault({ home, passphrase: phrase, useKeychain: false });

let home: string;
let cleanup: () => void;
beforeEach(() => ({ home, cleanup } = tempHome()));
afterEach(() => cleanup());

const vaultFile = () => join(home, 'vault', 'vault.json');

describe('vault with a passphrase', () => {
  it('stores, lists, replaces and deletes secrets, and reports its backend', async () => {
    const vault = await open(home);
    const storageId = secretIds.storageCredentials('loc-1');
    const keyId = secretIds.repoOperatorKey('repo-9', 2);
    vault.put(storageId, Buffer.from('share-password'), { label: 'Share credentials' });
    vault.put(keyId, Buffer.from([0, 1, 2, 255]), { label: 'Key epoch 2' });

    expect(vault.get(storageId).toString()).toBe('share-password');
    expect(vault.get(keyId)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(vault.has(keyId)).toBe(true);
    expect(vault.list().map((e) => [e.id, e.label])).toEqual([
      [keyId, 'Key epoch 2'],
      [storageId, 'Share credentials'],
    ]);

    vault.put(storageId, Buffer.from('new-password'), { label: 'Share credentials' });
    expect(vault.get(storageId).toString()).toBe('new-password');
    expect(vault.delete(keyId)).toBe(true);
    expect(vault.delete(keyId)).toBe(false);
    expect(vault.has(keyId)).toBe(false);

    const status = vault.status();
    expect(status).toMatchObject({
      backend: 'passphrase',
      strength: 'passphrase',
      slots: ['passphrase'],
    });
    expect(status.secretCount).toBe(1);
    expect(status.created).toBe(true);
    expect(status.notUsed).toEqual([
      { backend: 'protector', reason: expect.stringMatching(/no OS key protector/) },
      { backend: 'keychain', reason: 'the caller turned the OS keychain off' },
    ]);
    vault.close();
  });

  it('reopens with the passphrase, and two handles see each other’s writes', async () => {
    const first = await open(home);
    first.put(secretIds.rackCredentials('https://rack.local'), Buffer.from('rack-pw'), {
      label: 'rack',
    });
    const second = await open(home);
    expect(second.status().created).toBe(false);
    expect(second.get('rack-credentials:https://rack.local').toString()).toBe('rack-pw');
    second.put(secretIds.storageCredentials('b'), Buffer.from('b-pw'), { label: 'b' });
    expect(first.get('storage-credentials:b').toString()).toBe('b-pw');
  });

  it('can be inspected without unlocking', async () => {
    expect(inspectVault({ home })).toEqual({ file: vaultFile(), exists: false, slots: [] });
    (await open(home)).close();
    expect(inspectVault({ home })).toEqual({
      file: vaultFile(),
      exists: true,
      slots: ['passphrase'],
    });
    writeFileSync(vaultFile(), 'garbage');
    expect((await caught(() => inspectVault({ home }))).code).toBe('VAULT_FILE_DAMAGED');
  });

  it('changes its passphrase, and refuses to remove the only way in', async () => {
    const vault = await open(home);
    vault.put('storage-credentials:c', Buffer.from('pw'), { label: 'c' });
    vault.setPassphrase(Buffer.from('the brand new vault passphrase'));
    expect((await caught(() => open(home))).code).toBe('VAULT_WRONG_PASSPHRASE');
    const reopened = await open(home, Buffer.from('the brand new vault passphrase'));
    expect(reopened.get('storage-credentials:c').toString()).toBe('pw');
    expect((await caught(() => reopened.setPassphrase(null))).code).toBe('VAULT_LAST_SLOT');
    expect((await caught(() => reopened.setPassphrase(Buffer.from('short')))).code).toBe(
      'VAULT_WEAK_PASSPHRASE',
    );
    expect(reopened.status().slots).toEqual(['passphrase']);
  });

  it('names the id when a secret is absent', async () => {
    const vault = await open(home);
    const error = await caught(() => vault.get('storage-credentials:nowhere'));
    expect(error.code).toBe('VAULT_SECRET_NOT_FOUND');
    expect(error.message).toContain('storage-credentials:nowhere');
  });

  it('refuses a wrong passphrase and a missing one, changing nothing', async () => {
    (await open(home)).put('storage-credentials:x', Buffer.from('pw'), { label: 'x' });
    const before = readFileSync(vaultFile());
    const wrong = await caught(() => open(home, Buffer.from('not the right passphrase')));
    expect(wrong.code).toBe('VAULT_WRONG_PASSPHRASE');
    expect(wrong.category).toBe('auth');
    const missing = await caught(() => openVault({ home, useKeychain: false }));
    expect(missing.code).toBe('VAULT_PASSPHRASE_REQUIRED');
    expect(readFileSync(vaultFile())).toEqual(before);
  });

  it('refuses a short passphrase and creating a vault with no backend', async () => {
    expect((await caught(() => open(home, Buffer.from('short')))).code).toBe(
      'VAULT_WEAK_PASSPHRASE',
    );
    const none = await caught(() => openVault({ home, useKeychain: false }));
    expect(none.code).toBe('VAULT_NO_BACKEND');
    expect(none.message).toMatch(/keychain: the caller turned the OS keychain off/);
  });

  it('refuses invalid ids without echoing them, and invalid secrets', async () => {
    const vault = await open(home);
    const error = await caught(() =>
      vault.put('hunter2 is my password', Buffer.from('x'), { label: '' }),
    );
    expect(error.code).toBe('VAULT_INVALID_ID');
    expect(error.message).not.toContain('hunter2');
    expect(
      (await caught(() => vault.put('storage-credentials:a', Buffer.alloc(0), { label: '' }))).code,
    ).toBe('VAULT_INVALID_SECRET');
    expect(
      (
        await caught(() =>
          vault.put('storage-credentials:a', Buffer.from('x'), { label: 'bad\nlabel' }),
        )
      ).code,
    ).toBe('VAULT_INVALID_SECRET');
  });

  it('never lets a secret appear in the file, the list, the status or an error', async () => {
    const secret = Buffer.from('Zebra-Quartz-7731-secret-value');
    const vault = await open(home);
    vault.put('storage-credentials:leak', secret, { label: 'leak test' });
    const surfaces = [
      readFileSync(vaultFile(), 'utf8'),
      JSON.stringify(vault.list()),
      JSON.stringify(vault.status()),
      JSON.stringify((await caught(() => vault.get('storage-credentials:other'))).toBody()),
      JSON.stringify(
        (await caught(() => open(home, Buffer.from('wrong passphrase here')))).toBody(),
      ),
    ];
    for (const surface of surfaces) {
      for (const form of encodings(secret)) expect(surface).not.toContain(form);
    }
  });

  it('loses no write when two processes store secrets at the same time', async () => {
    (await open(home)).close();
    const fixture = join(import.meta.dirname, 'fixtures', 'put-many.ts');
    const writer = (prefix: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', fixture, home, prefix, '40'], {
          stdio: ['pipe', 'ignore', 'inherit'],
        });
        child.stdin.end(passphrase());
        child.on('exit', resolve);
      });
    expect(await Promise.all([writer('a'), writer('b')])).toEqual([0, 0]);
    const vault = await open(home);
    expect(vault.list()).toHaveLength(80);
    expect(vault.get('storage-credentials:a-39').toString()).toBe('a-value-39');
    expect(vault.get('storage-credentials:b-0').toString()).toBe('b-value-0');
  });

  it('takes over a lock left by a process that died', async () => {
    const vault = await open(home);
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    writeFileSync(
      join(home, 'vault', 'vault.lock'),
      JSON.stringify({ pid: dead, host: hostname(), time: new Date().toISOString() }),
    );
    vault.put('storage-credentials:after-crash', Buffer.from('pw'), { label: 'x' });
    expect(vault.has('storage-credentials:after-crash')).toBe(true);
    expect(readdirSync(join(home, 'vault'))).toEqual(['vault.json']);
  });

  it('writes atomically: one 0600 file, no temporary files left', async () => {
    const vault = await open(home);
    for (let i = 0; i < 5; i++)
      vault.put(`storage-credentials:s${i}`, Buffer.from(`v${i}`), { label: `${i}` });
    expect(readdirSync(join(home, 'vault'))).toEqual(['vault.json']);
    if (process.platform !== 'win32') expect(statSync(vaultFile()).mode & 0o777).toBe(0o600);
  });
});

describe('a vault file that is not what Lifeboat wrote', () => {
  async function tamperedOpen(edit: (doc: Record<string, unknown>) => void) {
    (await open(home)).put('storage-credentials:t', Buffer.from('pw'), { label: 'original' });
    const doc = JSON.parse(readFileSync(vaultFile(), 'utf8')) as Record<string, unknown>;
    edit(doc);
    const text = JSON.stringify(doc);
    writeFileSync(vaultFile(), text);
    const error = await caught(() => open(home));
    expect(readFileSync(vaultFile(), 'utf8')).toBe(text);
    return error;
  }

  it('refuses a changed label', async () => {
    const error = await tamperedOpen((doc) => {
      (doc['records'] as Array<{ label: string }>)[0]!.label = 'changed';
    });
    expect(error.code).toBe('VAULT_TAMPERED');
  });

  it('refuses a record renamed to another id', async () => {
    const error = await tamperedOpen((doc) => {
      (doc['records'] as Array<{ id: string }>)[0]!.id = 'storage-credentials:other';
    });
    expect(error.code).toBe('VAULT_TAMPERED');
  });

  it('refuses weakened key-derivation parameters', async () => {
    const error = await tamperedOpen((doc) => {
      (doc['slots'] as Array<{ N: number }>)[0]!.N = 1024;
    });
    expect(error.code).toBe('VAULT_TAMPERED');
    expect(error.message).toMatch(/weaker than Lifeboat writes/);
  });

  it('refuses a newer format version', async () => {
    const error = await tamperedOpen((doc) => {
      doc['version'] = 2;
    });
    expect(error.code).toBe('VAULT_VERSION_TOO_NEW');
  });

  it('refuses a foreign or damaged file without overwriting it', async () => {
    await open(home);
    for (const text of [
      '{"format":"something-else"}',
      'not json at all',
      '{"format":"lifeboat-vault","version":1}',
    ]) {
      writeFileSync(vaultFile(), text);
      const error = await caught(() => open(home));
      expect(error.code).toBe('VAULT_FILE_DAMAGED');
      expect(readFileSync(vaultFile(), 'utf8')).toBe(text);
    }
  });
});

describe('record sealing', () => {
  it('binds a ciphertext to its record id: moved under another id it does not open', () => {
    const key = Buffer.alloc(32, 7);
    const sealed = seal(key, Buffer.from('pw'), 'lifeboat-vault-record:v:storage-credentials:a');
    expect(unseal(key, sealed, 'lifeboat-vault-record:v:storage-credentials:a')?.toString()).toBe(
      'pw',
    );
    expect(unseal(key, sealed, 'lifeboat-vault-record:v:storage-credentials:b')).toBeNull();
    expect(
      unseal(Buffer.alloc(32, 8), sealed, 'lifeboat-vault-record:v:storage-credentials:a'),
    ).toBeNull();
    const again = seal(key, Buffer.from('pw'), 'x');
    expect(again.nonce.equals(seal(key, Buffer.from('pw'), 'x').nonce)).toBe(false);
  });
});

describe('keychain failure reasons', () => {
  it('tells a missing Secret Service from a locked or refusing keychain', () => {
    const reason = (message: string) => keychainReason(new Error(message));
    expect(
      reason('Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled'),
    ).toMatch(/^no Secret Service on D-Bus/);
    expect(
      reason('Platform failure: DBus error: Cannot create an item in a locked collection'),
    ).toMatch(/^the OS keychain is locked/);
    expect(
      reason("Couldn't access platform storage: Secret Service: unlock prompt was dismissed"),
    ).toMatch(/^the OS keychain is locked/);
    expect(reason('AccessDenied')).toMatch(/^the OS keychain refused access/);
  });
});

describe('an injected key protector', () => {
  /** Stands in for Electron safeStorage, which cannot run outside Electron. */
  function xorProtector(available: boolean): KeyProtector {
    const pad = Buffer.alloc(32, 0x5a);
    const flip = (b: Buffer) => Buffer.from(b.map((byte, i) => byte ^ pad[i % 32]!));
    return {
      name: 'Test protector',
      availability: async () =>
        available
          ? { available: true }
          : { available: false, reason: 'uses basic_text (a hard-coded password)' },
      protect: async (p) => flip(p),
      unprotect: async (w) => flip(w),
    };
  }

  it('is used first when available, with the passphrase as a second slot', async () => {
    const vault = await openVault({
      home,
      protector: xorProtector(true),
      passphrase: passphrase(),
      useKeychain: false,
    });
    vault.put('storage-credentials:p', Buffer.from('pw'), { label: 'p' });
    expect(vault.status()).toMatchObject({
      backend: 'protector',
      strength: 'os-account',
      slots: ['protector', 'passphrase'],
    });
    const viaPassphrase = await open(home);
    expect(viaPassphrase.status().backend).toBe('passphrase');
    expect(viaPassphrase.get('storage-credentials:p').toString()).toBe('pw');
    const viaProtector = await openVault({
      home,
      protector: xorProtector(true),
      useKeychain: false,
    });
    expect(viaProtector.get('storage-credentials:p').toString()).toBe('pw');
  });

  it('falls through to the passphrase when the protector returns a wrong key', async () => {
    (
      await openVault({
        home,
        protector: xorProtector(true),
        passphrase: passphrase(),
        useKeychain: false,
      })
    ).close();
    const lying: KeyProtector = {
      ...xorProtector(true),
      unprotect: async () => Buffer.alloc(32, 1),
    };
    const vault = await openVault({
      home,
      protector: lying,
      passphrase: passphrase(),
      useKeychain: false,
    });
    expect(vault.status().backend).toBe('passphrase');
    expect(vault.status().notUsed[0]?.reason).toMatch(/does not open this vault/);
    const error = await caught(() => openVault({ home, protector: lying, useKeychain: false }));
    expect(error.code).toBe('VAULT_PASSPHRASE_REQUIRED');
  });

  it('is skipped with its reason when it would not really protect', async () => {
    const vault = await openVault({
      home,
      protector: xorProtector(false),
      passphrase: passphrase(),
      useKeychain: false,
    });
    expect(vault.status().backend).toBe('passphrase');
    expect(vault.status().notUsed[0]).toEqual({
      backend: 'protector',
      reason: 'Test protector: uses basic_text (a hard-coded password)',
    });
  });
});
