/**
 * Starts a real lab rack for a test: spawns `lab-rack serve` from source on 127.0.0.1 with a
 * random port, reads its JSON line, and hands back what a client needs. Nothing is mocked.
 *
 *     const rack = await startLabRack({ scale: 'small' });
 *     const client = await RackClient.connect({ ...rack, password: rack.password });
 *     await rack.run(['redeploy', '--recovery']);      // other subcommands on the same state
 *     await rack.setFaults({ dropDownload: { atByte: 1000 } });
 *     await rack.stop();                                // also removes a temporary state folder
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { LabFaultsInput } from '../../shared/rack-api.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'lab-rack', 'bin.ts');

export interface LabRackOptions {
  readonly scale?: 'small' | 'medium' | 'large';
  /** Reuse (and keep) this state folder; by default a temporary one is made and removed. */
  readonly stateDir?: string;
  readonly version?: string;
  readonly seed?: number;
  readonly tokenTtlSeconds?: number;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface LabRack {
  readonly url: string;
  readonly fingerprint: string;
  readonly username: string;
  readonly password: Buffer;
  readonly passwordFile: string;
  readonly stateDir: string;
  /** The server's process id (the benchmark reads its CPU time). */
  readonly pid: number;
  /** Runs `lab-rack <args> --state <stateDir>`; rejects on a non-zero exit unless allowFailure. */
  run(args: readonly string[], options?: { allowFailure?: boolean }): Promise<RunResult>;
  /** Replaces the injected faults (`{}` clears them). */
  setFaults(faults: LabFaultsInput): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function labRackProcess(
  args: readonly string[],
  stdin: 'ignore' | 'pipe' = 'ignore',
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    cwd: ROOT,
    stdio: [stdin, 'pipe', 'pipe'],
  });
}

/** Runs a lab-rack subcommand to completion. */
export function runLabRack(args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = labRackProcess(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => fail(new Error(`lab-rack serve printed nothing in ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr?.on('data', (data: Buffer) => (err += data.toString()));
    child.stdout?.on('data', (data: Buffer) => {
      out += data.toString();
      const end = out.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, end));
      }
    });
    child.once('exit', (code) =>
      fail(new Error(`lab-rack serve exited (${code ?? 'signal'}): ${err}`)),
    );
  });
}

export async function startLabRack(options: LabRackOptions = {}): Promise<LabRack> {
  const ownsState = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'lab-rack-'));
  const args = [
    'serve',
    '--state',
    stateDir,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--scale',
    options.scale ?? 'small',
  ];
  if (options.version !== undefined) args.push('--version', options.version);
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  if (options.tokenTtlSeconds !== undefined)
    args.push('--token-ttl', String(options.tokenTtlSeconds));
  // The server stops when our end of its stdin closes, so a test process killed outright
  // leaves no orphan rack behind.
  args.push('--exit-with-stdin');
  const child = labRackProcess(args, 'pipe');
  running.add(child);
  const line = await firstLine(
    child,
    options.scale === 'small' || options.scale === undefined ? 60_000 : 900_000,
  );
  const printed = JSON.parse(line) as {
    url: string;
    fingerprint: string;
    username: string;
    passwordFile: string;
  };
  const file = readFileSync(printed.passwordFile);
  const trimmed = file.subarray(0, file.indexOf(0x0a) < 0 ? file.length : file.indexOf(0x0a));
  const rack: LabRack = {
    ...printed,
    password: Buffer.from(trimmed),
    stateDir,
    pid: child.pid ?? -1,
    run: async (runArgs, runOptions = {}) => {
      const result = await runLabRack([...runArgs, '--state', stateDir]);
      if (result.code !== 0 && runOptions.allowFailure !== true) {
        throw new Error(`lab-rack ${runArgs.join(' ')} exited ${result.code}: ${result.stderr}`);
      }
      return result;
    },
    setFaults: async (faults) => {
      // The lab password is base64url, so it needs no JSON escaping; it stays bytes.
      const credentials = Buffer.concat([
        Buffer.from(`{"username":${JSON.stringify(printed.username)},"password":"`),
        trimmed,
        Buffer.from('"}'),
      ]);
      const token = await labRequest(rack, 'POST', '/v1/auth/token', credentials);
      const bearer = (JSON.parse(token) as { token: string }).token;
      await labRequest(rack, 'PUT', '/v1/lab/faults', Buffer.from(JSON.stringify(faults)), bearer);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      if (ownsState) rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return rack;
}

/** A minimal pinned request for the lab-only endpoints (tests use RackClient for the API). */
function labRequest(
  rack: LabRack,
  method: string,
  path: string,
  payload: Buffer,
  token?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, rack.url),
      {
        method,
        agent: false, // a fresh connection, so the certificate below is this request's
        rejectUnauthorized: false,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        const seen = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        res.on('data', (data: Buffer) => (text += data.toString()));
        res.on('end', () => {
          if (seen !== rack.fingerprint)
            reject(new Error('the lab rack presented another certificate'));
          else if ((res.statusCode ?? 0) >= 300)
            reject(new Error(`${method} ${path}: ${res.statusCode}: ${text}`));
          else resolve(text);
        });
      },
    );
    req.once('error', reject);
    req.end(payload);
  });
}
