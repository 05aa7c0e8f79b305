/**
 * The `lab-rack` program run as an operator runs it: serve's one JSON line, the certificate and
 * password kept across restarts, the subcommands beside a running server, usage errors, and the
 * OpenAPI document in docs/ matching the schemas.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_IDS } from '../../shared/rack-api.js';
import { openApiDocument } from '../../lab-rack/openapi.js';
import { runLabRack, startLabRack, type LabRack } from '../helpers/lab-rack.js';

const root = mkdtempSync(join(tmpdir(), 'lab-rack-cli-'));
const stateDir = join(root, 'state');
let rack: LabRack;

beforeAll(async () => {
  rack = await startLabRack({ stateDir, version: '1.4.2' });
});
afterAll(async () => {
  await rack?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('lab-rack serve', () => {
  it('prints one JSON line with the URL, fingerprint, username and password file only', async () => {
    expect(rack.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(rack.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(rack.username).toBe('cloudadmin');
    expect(rack.passwordFile).toBe(join(stateDir, 'operator-password'));
    expect(statSync(rack.passwordFile).mode & 0o077).toBe(0);
    expect(rack.password.length).toBeGreaterThanOrEqual(24);
  });

  it('keeps its certificate and password across a restart', async () => {
    const { fingerprint, password } = rack;
    await rack.stop();
    rack = await startLabRack({ stateDir });
    expect(rack.fingerprint).toBe(fingerprint);
    expect(rack.password.equals(password)).toBe(true);
    expect(readFileSync(join(stateDir, 'tls', 'cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });
});

describe('a rack whose supervisor dies', () => {
  it('stops by itself (serve --exit-with-stdin, as the test helper starts it)', async () => {
    const script = join(root, 'supervisor.mts');
    const helper = new URL('../helpers/lab-rack.ts', import.meta.url).href;
    writeFileSync(
      script,
      [
        "import { writeSync } from 'node:fs';",
        `import { startLabRack } from ${JSON.stringify(helper)};`,
        'const rack = await startLabRack();',
        'writeSync(1, `${rack.pid} ${rack.stateDir}\\n`);',
        "process.kill(process.pid, 'SIGKILL');",
      ].join('\n'),
    );
    const printed = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'pipe' });
      let out = '';
      child.stdout.on('data', (data: Buffer) => (out += data.toString()));
      child.once('error', reject);
      child.once('close', () => resolve(out));
    });
    const [pidText, orphanState] = printed.trim().split(' ');
    const pid = Number(pidText);
    expect(pid).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let wait = 0; wait < 50 && alive(); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const survived = alive();
    if (survived) process.kill(pid, 'SIGTERM');
    if (orphanState !== undefined) rmSync(orphanState, { recursive: true, force: true });
    expect(survived).toBe(false);
  });
});

describe('subcommands beside a running server', () => {
  it('digest --json lists every component', async () => {
    const digests = JSON.parse((await rack.run(['digest', '--json'])).stdout) as Record<
      string,
      string
    >;
    expect(Object.keys(digests)).toEqual([...COMPONENT_IDS]);
    for (const digest of Object.values(digests)) expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('mutate --percent changes the data, and reports how', async () => {
    const before = JSON.parse((await rack.run(['digest', '--json'])).stdout) as Record<
      string,
      string
    >;
    const result = JSON.parse((await rack.run(['mutate', '--percent', '2'])).stdout) as {
      changed: number;
      added: number;
      deleted: number;
    };
    expect(Object.keys(result).sort()).toEqual(['added', 'changed', 'deleted']);
    expect(result.changed + result.added).toBeGreaterThan(0);
    const after = JSON.parse((await rack.run(['digest', '--json'])).stdout) as Record<
      string,
      string
    >;
    expect(after['keyvault']).not.toBe(before['keyvault']);
    expect(after['ca']).not.toBe(before['ca']);
  });

  it('refuses bad usage with exit code 2 and a coded message', async () => {
    const [noPercent, badComponent, badVersion, unknown, missing] = await Promise.all([
      rack.run(['mutate'], { allowFailure: true }),
      rack.run(['break', '--component', 'storage'], { allowFailure: true }),
      rack.run(['redeploy', '--recovery', '--version', 'two'], { allowFailure: true }),
      runLabRack(['explode']),
      runLabRack(['digest', '--state', join(root, 'nothing-here')]),
    ]);
    for (const result of [noPercent, badComponent, badVersion, unknown, missing]) {
      expect(result.code).toBe(2);
    }
    expect(noPercent.stderr).toMatch(/LAB_USAGE/);
    expect(missing.stderr).toMatch(/LAB_NO_RACK/);
  });
});

describe('the OpenAPI document', () => {
  it('docs/rack-api.openapi.json is the one generated from shared/rack-api.ts', async () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../docs/rack-api.openapi.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(openApiDocument());
    const printed = await runLabRack(['openapi']);
    expect(JSON.parse(printed.stdout)).toEqual(committed);
  });

  it('documents every path the contract names', () => {
    const paths = Object.keys((openApiDocument() as { paths: Record<string, unknown> }).paths);
    const doc = readFileSync(new URL('../../docs/rack-api.md', import.meta.url), 'utf8');
    for (const path of paths) {
      expect(doc.includes(path.replace(/\{(\w+)\}/g, '{$1}')), path).toBe(true);
    }
  });
});
