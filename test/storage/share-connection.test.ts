import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONNECT_SCRIPT,
  defaultShareConnector,
  parseConnectResult,
  shareRoot,
  throwForConnectCode,
  windowsShareConnector,
} from '../../electron/storage/share-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-share-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fake = join(import.meta.dirname, 'fixtures', 'fake-powershell.mjs');
const password = 'pa$$ \'quoted\' "and" ‘smart’ `tick` ;& newline\nsecond line';

function connectorAnswering(code: string, record: string) {
  return windowsShareConnector({ command: process.execPath, args: [fake, record, code] });
}

describe('UNC share connection', () => {
  it('connects per share root, whatever folder below it is named', () => {
    expect(shareRoot('\\\\nas01\\backups\\lifeboat\\rack-1')).toBe('\\\\nas01\\backups');
    expect(shareRoot('\\\\nas01\\backups')).toBe('\\\\nas01\\backups');
    expect(() => shareRoot('/mnt/backups')).toThrow();
  });

  it('reads only the exact result line of the script', () => {
    expect(parseConnectResult('noise\r\nLIFEBOAT-WNET 1326\r\n')).toBe(1326);
    expect(parseConnectResult('LIFEBOAT-WNET 0')).toBe(0);
    expect(parseConnectResult('LIFEBOAT-WNET abc')).toBeUndefined();
    expect(parseConnectResult('an error from PowerShell')).toBeUndefined();
  });

  it('names what the operator can do for each Windows error', () => {
    const codeOf = (code: number) => {
      try {
        throwForConnectCode(code, '\\\\nas01\\backups', 'CONTOSO\\backup');
        return 'ok';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(codeOf(0)).toBe('ok');
    expect(codeOf(1202)).toBe('ok');
    expect(codeOf(1326)).toBe('STORAGE_ACCESS_DENIED');
    expect(codeOf(86)).toBe('STORAGE_ACCESS_DENIED');
    expect(codeOf(53)).toBe('STORAGE_UNREACHABLE');
    expect(codeOf(1219)).toBe('STORAGE_CREDENTIAL_CONFLICT');
    expect(codeOf(1200)).toBe('STORAGE_IO');
  });

  it('hands the share, user and password to the script on standard input only', async () => {
    const record = join(dir, 'ok.json');
    const secret = Buffer.from(password);
    await connectorAnswering('0', record).connect('\\\\nas01\\backups\\lifeboat', {
      username: 'CONTOSO\\backup',
      password: secret,
    });
    const seen = JSON.parse(readFileSync(record, 'utf8')) as {
      lines: string[];
      argv: string[];
      env: Record<string, string>;
    };
    expect(seen.lines).toEqual(['\\\\nas01\\backups', 'CONTOSO\\backup', password]);
    expect(JSON.stringify(seen.argv)).not.toContain('pa$$');
    expect(JSON.stringify(seen.env)).not.toContain('pa$$');
    expect(secret.toString()).toBe(password); // the caller's buffer is the caller's to wipe
    // The real script is a constant: nothing the operator typed can become PowerShell code.
    expect(CONNECT_SCRIPT).not.toContain('pa$$');
  });

  it('turns refused credentials, a credential conflict and a silent shell into typed errors', async () => {
    const credentials = { username: 'backup', password: Buffer.from(password) };
    await expect(
      connectorAnswering('1326', join(dir, 'denied.json')).connect('\\\\nas01\\b', credentials),
    ).rejects.toMatchObject({ code: 'STORAGE_ACCESS_DENIED' });
    await expect(
      connectorAnswering('1219', join(dir, 'conflict.json')).connect('\\\\nas01\\b', credentials),
    ).rejects.toMatchObject({ code: 'STORAGE_CREDENTIAL_CONFLICT' });
    await expect(
      connectorAnswering('silent', join(dir, 'silent.json')).connect('\\\\nas01\\b', credentials),
    ).rejects.toMatchObject({ code: 'STORAGE_IO' });
    await expect(
      windowsShareConnector({ command: join(dir, 'no-such-shell'), args: [] }).connect(
        '\\\\nas01\\b',
        credentials,
      ),
    ).rejects.toMatchObject({ code: 'STORAGE_UNREACHABLE' });
  });

  it('refuses UNC paths where they cannot be opened, with or without credentials', async () => {
    const linux = defaultShareConnector('linux');
    await expect(linux.connect('\\\\nas01\\b', undefined)).rejects.toMatchObject({
      code: 'STORAGE_UNC_UNSUPPORTED',
    });
    await expect(
      linux.connect('\\\\nas01\\b', { username: 'u', password: Buffer.from('p') }),
    ).rejects.toMatchObject({ code: 'STORAGE_UNC_UNSUPPORTED' });
  });
});
