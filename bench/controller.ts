/**
 * Benchmark section "controller": a full backup of the lab rack at medium scale, then an
 * incremental one after `lab-rack mutate --percent 5`, each run by the controller in its own
 * process so its peak memory (max RSS, worker threads included) is the controller's alone.
 *
 *     node --import tsx bench/controller.ts [--scale small|medium|large]
 *
 * Prints throughput (logical bytes read from the rack per second), bytes written to the
 * location, and peak RSS (target: under 300 MiB, flat as the data grows).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupController } from '../electron/controller/index.js';
import { startLabRack } from '../test/helpers/lab-rack.js';

export interface ControllerBenchOptions {
  readonly scale?: 'small' | 'medium' | 'large';
  readonly passphrase?: Buffer;
}

export interface BackupMeasure {
  readonly label: string;
  readonly status: string;
  readonly seconds: number;
  readonly logicalBytes: number;
  readonly storedBytes: number;
  readonly maxRssBytes: number;
}

const MiB = 1024 * 1024;
const SELF = new URL(import.meta.url).pathname;

export async function run(options: ControllerBenchOptions = {}): Promise<BackupMeasure[]> {
  const scale = options.scale ?? 'medium';
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-bench-controller-'));
  const home = join(root, 'home');
  const passphrase = options.passphrase ?? Buffer.from('benchmark vault passphrase');
  const rack = await startLabRack({ scale });
  try {
    const controller = await BackupController.open({
      home,
      vaultPassphrase: passphrase,
      source: 'bench',
    });
    try {
      await controller.enable({
        location: { kind: 'folder', path: join(root, 'share') },
        credentials: null,
        encryption: { mode: 'imported', key: Buffer.from(Buffer.alloc(32, 7).toString('base64')) },
        rack: {
          url: rack.url,
          fingerprint: rack.fingerprint,
          username: rack.username,
          password: rack.password,
        },
      });
    } finally {
      await controller.close();
    }
    const full = await measureInChild('full', home, passphrase);
    await rack.run(['mutate', '--percent', '5']);
    const incremental = await measureInChild('incremental after mutate 5%', home, passphrase);
    const results = [full, incremental];
    printTable(scale, results);
    return results;
  } finally {
    await rack.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

function printTable(scale: string, results: readonly BackupMeasure[]): void {
  console.log(`\ncontroller: backup of the lab rack (${scale} scale)`);
  console.log('| backup | status | seconds | rack data | MiB/s | written to location | peak RSS |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.label} | ${r.status} | ${r.seconds.toFixed(1)} | ${(r.logicalBytes / MiB).toFixed(1)} MiB | ${(r.logicalBytes / MiB / r.seconds).toFixed(1)} | ${(r.storedBytes / MiB).toFixed(1)} MiB | ${(r.maxRssBytes / MiB).toFixed(0)} MiB |`,
    );
  }
  const peak = Math.max(...results.map((r) => r.maxRssBytes));
  console.log(
    `peak RSS ${(peak / MiB).toFixed(0)} MiB (target < 300 MiB): ${peak < 300 * MiB ? 'met' : 'NOT met'}`,
  );
}

/** Runs one backup in a fresh process (this file with `--child`) and reads its JSON line. */
function measureInChild(label: string, home: string, passphrase: Buffer): Promise<BackupMeasure> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', home], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdin.end(passphrase);
    let out = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        const measure = JSON.parse(out.trim().split('\n').at(-1) ?? '') as Omit<
          BackupMeasure,
          'label'
        >;
        resolve({ label, ...measure });
      } catch {
        reject(new Error(`benchmark child exited ${code} without a result: ${out}`));
      }
    });
  });
}

async function childMain(home: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const controller = await BackupController.open({
    home,
    vaultPassphrase: Buffer.concat(chunks),
    source: 'bench',
  });
  try {
    const started = performance.now();
    const result = await controller.runBackup();
    const seconds = (performance.now() - started) / 1000;
    const listed = controller.listBackups().find((b) => b.backupId === result.backupId);
    process.stdout.write(
      `${JSON.stringify({
        status: result.status,
        seconds,
        logicalBytes: listed?.sizeBytes ?? 0,
        storedBytes: listed?.addedBytes ?? 0,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      })}\n`,
    );
  } finally {
    await controller.close();
  }
}

if (process.argv[1] === SELF) {
  const childAt = process.argv.indexOf('--child');
  const scaleAt = process.argv.indexOf('--scale');
  const scale =
    scaleAt > 0 ? (process.argv[scaleAt + 1] as ControllerBenchOptions['scale']) : undefined;
  const main =
    childAt > 0 ? childMain(process.argv[childAt + 1] as string) : run(scale ? { scale } : {});
  main.catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
