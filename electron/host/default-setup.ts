/**
 * The default set-up a newcomer gets from `npm start` on a fresh machine: a lab rack (small
 * scale, state in `<home>/lab-rack`) served on loopback as a child process, and `<home>/storage`
 * as the suggested external location. The lab rack is a separate program (lab-rack/), so it is
 * spawned, never imported; it prints one JSON line when it listens, which is validated here.
 *
 * The port is remembered in `<home>/lab-rack.port` so the configured rack URL stays the same
 * from one start to the next; if that port is taken, a new one is picked and remembered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineErrors } from '../../shared/errors.js';
import { describeIssues } from './router.js';

export const DefaultSetupErrors = defineErrors({
  IPC_LAB_RACK_START: {
    category: 'rack',
    hint: 'The lab rack could not start. Run `lab-rack serve --state <home>/lab-rack` to see why, or set LIFEBOAT_LAB_RACK=0 to start without it.',
  },
});

/** How `npm start` tells the Electron app about the lab rack it started (JSON of LabRackInfo). */
export const LAB_RACK_ENV = 'LIFEBOAT_LAB_RACK_INFO';

export const LabRackInfo = z.object({
  url: z.url().refine((u) => u.startsWith('https://127.0.0.1:'), 'a loopback https URL'),
  fingerprint: z.string().regex(/^([0-9a-fA-F]{2}:?){32}$/),
  username: z.string().min(1),
  passwordFile: z.string().min(1),
});
export type LabRackInfo = z.infer<typeof LabRackInfo>;

export interface LabRack {
  readonly info: LabRackInfo;
  readonly stateDir: string;
  stop(): Promise<void>;
}

export interface LabRackOptions {
  readonly home: string;
  /** The `lab-rack` program to run, e.g. `<repo>/bin/lab-rack.js`. */
  readonly program: string;
  /** The Node executable (process.execPath under plain Node). */
  readonly node?: string;
  /** Arguments for Node before the program (tests pass `--import tsx` to run from source). */
  readonly nodeArgs?: readonly string[];
  /** Extra environment (Electron in development runs it with ELECTRON_RUN_AS_NODE=1). */
  readonly env?: Readonly<Record<string, string>>;
  readonly scale?: 'small' | 'medium' | 'large';
  readonly timeoutMs?: number;
}

export function defaultLocationPath(home: string): string {
  return join(home, 'storage');
}

function rememberedPort(file: string): number {
  try {
    const port = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(port) && port > 1024 && port < 65536 ? port : 0;
  } catch {
    return 0;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Spawns `lab-rack serve` and resolves with what it printed once it listens. */
function serveOnce(options: LabRackOptions, stateDir: string, port: number): Promise<LabRack> {
  const args = [
    ...(options.nodeArgs ?? []),
    options.program,
    'serve',
    '--state',
    stateDir,
    '--host',
    '127.0.0.1',
  ];
  args.push('--port', String(port), '--scale', options.scale ?? 'small');
  const child = spawn(options.node ?? process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stopChild(child);
      const tail = stderr.trim().split('\n').slice(-3).join(' / ').slice(0, 500);
      reject(
        DefaultSetupErrors.create('IPC_LAB_RACK_START', `The lab rack ${why}.`, {
          details: { stderr: tail === '' ? null : tail },
        }),
      );
    };
    const timer = setTimeout(() => fail('did not start in time'), options.timeoutMs ?? 120_000);
    child.stderr?.on('data', (part: Buffer) => (stderr += part.toString('utf8')));
    child.once('error', () => fail('program could not be run'));
    child.once('exit', (code) => fail(`stopped (exit code ${code ?? 'none'})`));
    child.stdout?.on('data', (part: Buffer) => {
      stdout += part.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(stdout.slice(0, newline));
      } catch {
        // reported below as not matching
      }
      const info = LabRackInfo.safeParse(parsed);
      if (!info.success) return fail(`printed an unexpected line (${describeIssues(info.error)})`);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      resolve({ info: info.data, stateDir, stop: () => stopChild(child) });
    });
  });
}

/** Starts the default lab rack, on the remembered port if it is free. */
export async function startLabRack(options: LabRackOptions): Promise<LabRack> {
  const stateDir = join(options.home, 'lab-rack');
  const portFile = join(options.home, 'lab-rack.port');
  try {
    mkdirSync(stateDir, { recursive: true });
  } catch (error) {
    throw DefaultSetupErrors.create(
      'IPC_LAB_RACK_START',
      `The lab rack's state folder ${stateDir} cannot be created.`,
      { cause: error },
    );
  }
  const remembered = rememberedPort(portFile);
  let rack: LabRack;
  try {
    rack = await serveOnce(options, stateDir, remembered);
  } catch (error) {
    if (remembered === 0) throw error;
    rack = await serveOnce(options, stateDir, 0);
  }
  writeFileSync(portFile, `${new URL(rack.info.url).port}\n`);
  return rack;
}

/** Runs one lab-rack subcommand to its end; refuses with its error output when it fails. */
function runLabRack(options: LabRackOptions, args: readonly string[]): Promise<void> {
  const child = spawn(
    options.node ?? process.execPath,
    [...(options.nodeArgs ?? []), options.program, ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...options.env },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (part: Buffer) => (stderr += part.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', () =>
      reject(
        DefaultSetupErrors.create('IPC_LAB_RACK_START', 'The lab rack program could not be run.'),
      ),
    );
    child.once('exit', (code) => {
      if (code === 0) return resolve();
      const tail = stderr.trim().split('\n').slice(-2).join(' / ').slice(0, 500);
      reject(
        DefaultSetupErrors.create(
          'IPC_LAB_RACK_START',
          `lab-rack ${args[0] ?? ''} failed (exit code ${code ?? 'none'}).`,
          {
            details: { stderr: tail === '' ? null : tail },
          },
        ),
      );
    });
  });
}

/**
 * A lab rack for recovery drills, beside the default one: created on first use in
 * `<home>/drill-rack`, redeployed empty in recovery mode (`lab-rack redeploy --recovery`) before
 * every drill, and served on a fresh loopback port until the drill ends.
 */
export async function startDrillRack(options: LabRackOptions): Promise<LabRack> {
  const stateDir = join(options.home, 'drill-rack');
  if (!existsSync(join(stateDir, 'operator-password'))) {
    mkdirSync(stateDir, { recursive: true });
    await (await serveOnce(options, stateDir, 0)).stop();
  }
  await runLabRack(options, ['redeploy', '--state', stateDir, '--recovery']);
  return await serveOnce(options, stateDir, 0);
}
