/**
 * What the recovery tests share: running `lifeboat` in-process with captured output, taking a
 * real backup of a lab rack with the real controller, and reading the lab rack's own record of
 * committed imports (to prove nothing was committed twice).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { runCli } from '../../electron/cli/main.js';
import {
  BackupController,
  formatKey,
  type BackupControllerOptions,
} from '../../electron/controller/index.js';
import type { LabRack } from '../helpers/lab-rack.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The `--json` document, when the output is one. */
  readonly json: unknown;
}

export async function cli(home: string, args: readonly string[]): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(['--home', home, ...args], {
    stdout,
    stderr,
    stdin: Readable.from([]),
    signal: new AbortController().signal,
  });
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    json = undefined;
  }
  return { code, stdout: out, stderr: err, json };
}

/** Without the test keyring (plain `vitest run`) the vault falls back to a passphrase. */
export function vaultOptions(): Partial<BackupControllerOptions> {
  return process.env['LIFEBOAT_TEST_KEYRING'] === '1'
    ? {}
    : { vaultPassphrase: Buffer.from('a long enough test passphrase') };
}

export interface Workstation {
  readonly home: string;
  readonly share: string;
  readonly keyFile: string;
  readonly operatorKey: Buffer;
  controller: BackupController;
}

/** The operator's workstation: backup enabled against the rack, into a folder, with a key. */
export async function enableBackup(root: string, rack: LabRack): Promise<Workstation> {
  const home = join(root, 'workstation');
  const share = join(root, 'share');
  mkdirSync(home, { recursive: true });
  const operatorKey = randomBytes(32);
  const keyFile = join(root, 'operator.key');
  writeFileSync(keyFile, `${formatKey(operatorKey)}\n`, { mode: 0o600 });
  const controller = await BackupController.open({
    home,
    actor: 'operator@site',
    ...vaultOptions(),
  });
  await controller.enable({
    location: { kind: 'folder', path: share },
    credentials: null,
    encryption: { mode: 'imported', key: Buffer.from(formatKey(operatorKey)) },
    rack: {
      url: rack.url,
      fingerprint: rack.fingerprint,
      username: rack.username,
      password: rack.password,
    },
  });
  return { home, share, keyFile, operatorKey, controller };
}

export async function backUp(station: Workstation): Promise<string> {
  const result = await station.controller.startBackup().done;
  if (result.status !== 'Succeeded' || result.backupId === null) {
    throw new Error(`the backup ended ${result.status}: ${result.error?.message ?? ''}`);
  }
  return result.backupId;
}

/** Every component's digest, as the lab rack computes it from its own state. */
export async function labDigests(rack: LabRack): Promise<Record<string, string>> {
  const { stdout } = await rack.run(['digest', '--json']);
  const parsed = JSON.parse(stdout) as Record<string, string>;
  if (Object.keys(parsed).length !== 10) throw new Error(`lab-rack digest printed ${stdout}`);
  return parsed;
}

/** How many imports the rack committed per component since it was redeployed. */
export function committedImports(rack: LabRack): Record<string, number> {
  const db = new Database(join(rack.stateDir, 'rack.sqlite'), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    const rows = db
      .prepare(
        "SELECT component, COUNT(*) AS n FROM imports WHERE state = 'committed' GROUP BY component",
      )
      .all() as { component: string; n: number }[];
    return Object.fromEntries(rows.map((row) => [row.component, row.n]));
  } finally {
    db.close();
  }
}
