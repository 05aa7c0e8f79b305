/**
 * The vault against a real OS keychain (gnome-keyring inside dbus-run-session under
 * `npm test`, which sets LIFEBOAT_TEST_KEYRING=1; then these tests fail, never skip, when the
 * keychain does not answer), and the fallback when no keychain is reachable (child processes
 * with D-Bus pointing nowhere, which need no keychain at all).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Entry } from '@napi-rs/keyring';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openVault } from '../../electron/vault/index.js';
import type { VaultStatus } from '../../electron/vault/index.js';
import type { ErrorBody } from '../../shared/errors.js';
import { caught, tempHome } from './helpers.js';

const withKeyring = process.env['LIFEBOAT_TEST_KEYRING'] === '1';

let home: string;
let cleanup: () => void;
const accounts: string[] = [];
beforeEach(() => ({ home, cleanup } = tempHome()));
afterEach(() => {
  cleanup();
  for (const account of accounts.splice(0)) keychainItem(account).deleteCredential();
});

function keychainItem(account: string): Entry {
  return new Entry('Lifeboat', account, { linux: { store: 'secret-service' } });
}

function accountOf(vaultHome: string): string {
  const doc = JSON.parse(readFileSync(join(vaultHome, 'vault', 'vault.json'), 'utf8')) as {
    slots: Array<{ kind: string; account?: string }>;
  };
  const account = doc.slots.find((s) => s.kind === 'keychain')?.account;
  if (account === undefined) throw new Error('the vault has no keychain slot');
  accounts.push(account);
  return account;
}

describe.runIf(withKeyring)('vault with the OS keychain (gnome-keyring)', () => {
  it('the keychain answers (a failure here means the test keyring did not start)', () => {
    const probe = keychainItem('lifeboat-test-probe');
    probe.setSecret(Buffer.from([1, 2, 3]));
    expect(probe.getSecret()).toEqual([1, 2, 3]);
    expect(probe.deleteCredential()).toBe(true);
  });

  it('protects a new vault with the keychain and reopens it without a passphrase', async () => {
    const vault = await openVault({ home });
    vault.put('storage-credentials:k', Buffer.from('keychain-pw'), { label: 'k' });
    expect(vault.status()).toMatchObject({
      backend: 'keychain',
      strength: 'os-account',
      slots: ['keychain'],
    });
    const account = accountOf(home);
    expect(account).toMatch(/^vault-[0-9a-f]{32}$/);
    // The keychain holds a key-encryption key, never a secret value.
    expect(Buffer.from(keychainItem(account).getSecret() ?? []).includes('keychain-pw')).toBe(
      false,
    );

    const again = await openVault({ home });
    expect(again.status()).toMatchObject({ backend: 'keychain', created: false });
    expect(again.get('storage-credentials:k').toString()).toBe('keychain-pw');
  });

  it('gives two profiles two keychain items that never collide', async () => {
    const other = tempHome();
    try {
      const a = await openVault({ home });
      const b = await openVault({ home: other.home });
      a.put('storage-credentials:same', Buffer.from('a-value'), { label: 'a' });
      b.put('storage-credentials:same', Buffer.from('b-value'), { label: 'b' });
      expect(accountOf(home)).not.toBe(accountOf(other.home));
      expect((await openVault({ home })).get('storage-credentials:same').toString()).toBe(
        'a-value',
      );
      expect(
        (await openVault({ home: other.home })).get('storage-credentials:same').toString(),
      ).toBe('b-value');
    } finally {
      other.cleanup();
    }
  });

  it('adds a passphrase slot when one is given, which opens the vault where the keychain lost its item', async () => {
    const vault = await openVault({
      home,
      passphrase: Buffer.from('a long enough vault passphrase'),
    });
    vault.put('storage-credentials:p', Buffer.from('pw'), { label: 'p' });
    expect(vault.status().slots).toEqual(['keychain', 'passphrase']);
    keychainItem(accountOf(home)).deleteCredential();

    const locked = await caught(() => openVault({ home }));
    expect(locked.code).toBe('VAULT_PASSPHRASE_REQUIRED');
    expect(locked.message).toMatch(/has no item "Lifeboat\/vault-/);
    const reopened = await openVault({
      home,
      passphrase: Buffer.from('a long enough vault passphrase'),
    });
    expect(reopened.status().backend).toBe('passphrase');
    expect(reopened.get('storage-credentials:p').toString()).toBe('pw');
  });

  it('gains a recovery passphrase later, and can drop it again', async () => {
    const vault = await openVault({ home });
    vault.put('storage-credentials:r', Buffer.from('pw'), { label: 'r' });
    vault.setPassphrase(Buffer.from('a recovery passphrase for later'));
    expect(vault.status().slots).toEqual(['keychain', 'passphrase']);
    const viaPassphrase = await openVault({
      home,
      useKeychain: false,
      passphrase: Buffer.from('a recovery passphrase for later'),
    });
    expect(viaPassphrase.get('storage-credentials:r').toString()).toBe('pw');
    viaPassphrase.setPassphrase(null);
    expect(vault.status().slots).toEqual(['keychain']);
    expect(accountOf(home)).toMatch(/^vault-/);
  });

  it('refuses a keychain item that belongs to another vault, naming why', async () => {
    await openVault({ home });
    keychainItem(accountOf(home)).setSecret(Buffer.alloc(32, 9));
    const error = await caught(() => openVault({ home }));
    expect(error.code).toBe('VAULT_CANNOT_UNLOCK');
    expect(error.message).toMatch(/belongs to another vault/);
  });
});

describe('vault where no keychain is reachable', () => {
  const fixture = join(import.meta.dirname, 'fixtures', 'open-vault.ts');

  function openInChild(passphrase: string | null): { status?: VaultStatus; error?: ErrorBody } {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', fixture, home, ...(passphrase === null ? [] : ['--passphrase-stdin'])],
      {
        input: passphrase ?? '',
        encoding: 'utf8',
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-such-bus')}` },
        timeout: 60_000,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as {
      status?: VaultStatus;
      error?: ErrorBody;
    };
  }

  it('falls back to the passphrase file and says why the keychain was not used', () => {
    const { status } = openInChild('a long enough vault passphrase');
    expect(status?.backend).toBe('passphrase');
    expect(status?.notUsed.find((n) => n.backend === 'keychain')?.reason).toMatch(
      /no Secret Service on D-Bus/,
    );
    expect(readFileSync(join(home, 'vault', 'vault.json'), 'utf8')).not.toContain('child-secret');
  });

  it('refuses to create a vault with neither keychain nor passphrase', () => {
    const { error } = openInChild(null);
    expect(error?.code).toBe('VAULT_NO_BACKEND');
    expect(error?.message).toMatch(/no Secret Service on D-Bus/);
    expect(error?.hint).toMatch(/passphrase/);
  });
});
