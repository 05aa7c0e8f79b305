import { spawn } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../shared/contract/index.js';
import { systemOpener, writeLaunchPage } from '../../electron/host/browser.js';
import { findElectronBinary } from '../../electron/host/electron-binary.js';

const repo = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-start-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('finding Electron without downloading it', () => {
  it('reports a package whose binary was never downloaded', async () => {
    const root = await scratch();
    await mkdir(join(root, 'node_modules', 'electron'), { recursive: true });
    const result = findElectronBinary(root, {});
    expect(result).toMatchObject({ found: false });
    expect(!result.found && result.reason).toContain('path.txt');
    expect(findElectronBinary(await scratch(), {})).toMatchObject({ found: false });
  });

  it('finds a downloaded binary, and one in ELECTRON_OVERRIDE_DIST_PATH', async () => {
    const root = await scratch();
    const dist = join(root, 'node_modules', 'electron', 'dist');
    await mkdir(dist, { recursive: true });
    await writeFile(join(root, 'node_modules', 'electron', 'path.txt'), 'electron');
    expect(findElectronBinary(root, {})).toEqual({ found: false, reason: expect.any(String) });
    await writeFile(join(dist, 'electron'), '');
    expect(findElectronBinary(root, {})).toEqual({ found: true, path: join(dist, 'electron') });
    const vetted = await scratch();
    expect(findElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: vetted }).found).toBe(false);
    await writeFile(join(vetted, 'electron'), '');
    expect(findElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: vetted })).toEqual({
      found: true,
      path: join(vetted, 'electron'),
    });
  });
});

describe('opening the system browser', () => {
  it('uses xdg-open only when it is on PATH, and never fails without one', async () => {
    expect(systemOpener('linux', { PATH: await scratch() })).toBeNull();
    const bin = await scratch();
    await writeFile(join(bin, 'xdg-open'), '#!/bin/sh\n');
    chmodSync(join(bin, 'xdg-open'), 0o755);
    expect(systemOpener('linux', { PATH: bin })?.command).toBe('xdg-open');
    expect(systemOpener('darwin', {})?.command).toBe('open');
    expect(systemOpener('win32', {})?.command).toBe('cmd');
  });

  it('hands the opener an owner-only page, so the token is not on a command line', async () => {
    const dir = await scratch();
    const url = 'http://127.0.0.1:5000/#token=abc"<def';
    const page = writeLaunchPage(join(dir, 'console'), url);
    expect(statSync(page.path).mode & 0o077).toBe(0);
    const html = await readFile(page.path, 'utf8');
    expect(html).toContain('url=http://127.0.0.1:5000/#token=abc&quot;&lt;def');
    page.remove();
    expect(existsSync(page.path)).toBe(false);
  });
});

describe('the preload', () => {
  it('uses the contract channels and requires nothing but electron', async () => {
    const source = await readFile(join(repo, 'electron', 'preload.cts'), 'utf8');
    expect(source).toContain(`'${IPC_CALL_CHANNEL}'`);
    expect(source).toContain(`'${IPC_EVENT_CHANNEL}'`);
    const requires = [...source.matchAll(/require\(['"]([^'"]+)['"]\)/g)].map((m) => m[1]);
    expect(requires).toEqual(['electron']);
    const valueImports = [...source.matchAll(/^import (?!type )[^;]*from ['"]([^'"]+)['"]/gm)];
    expect(valueImports).toEqual([]);
    expect(source).toContain("exposeInMainWorld('lifeboat'");
    expect(source).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*\)/);
  });
});

describe('npm start without Electron', () => {
  it('says Electron is missing and serves the console on loopback with a token', async () => {
    const home = await scratch();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repo, 'test', 'host', 'start-fixture.ts')],
      {
        env: {
          ...process.env,
          LIFEBOAT_HOME: home,
          LIFEBOAT_LAB_RACK: '0',
          LIFEBOAT_NO_BROWSER: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no console address in: ${output}`)), 30_000);
      child.stdout.on('data', (part: Buffer) => {
        output += part.toString('utf8');
        const match = /Lifeboat console: (http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(output);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.stderr.on('data', (part: Buffer) => (output += part.toString('utf8')));
      child.once('exit', () => reject(new Error(`exited early: ${output}`)));
    });
    try {
      expect(output).toContain('Electron is not available here');
      const origin = url.slice(0, url.indexOf('/#'));
      const token = url.slice(url.indexOf('token=') + 'token='.length);
      const reply = await fetch(`${origin}/api/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'app.info', params: {} }),
      });
      const body = (await reply.json()) as { ok: boolean; result: { home: string } };
      expect(body).toMatchObject({ ok: true, result: { home, transport: 'console' } });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    expect(output).toContain('Stopping');
  }, 60_000);
});
