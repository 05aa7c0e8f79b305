/**
 * Benchmark section "controller": a full backup of the lab rack at medium scale, then an
 * incremental one after `lab-rack mutate --percent 5`, each run by the controller in its own
 * process so its peak memory (max RSS, worker threads included) is the controller's alone. The
 * child runs the compiled build, as Lifeboat ships (see compiledBuild).
 *
 *     node --import tsx bench/controller.ts [--scale small|medium|large]
 *
 * Prints throughput (logical bytes read from the rack per second), bytes written to the
 * location, and the peak RSS sampled while the backup runs (target: under 300 MiB, flat as the
 * data grows).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BackupController } from '../electron/controller/index.js';
import { openVault, type KeyProtector, type Vault } from '../electron/vault/index.js';
import { startLabRack } from '../test/helpers/lab-rack.js';
import { compiledBuild } from './framework.js';

export interface ControllerBenchOptions {
  readonly scale?: 'small' | 'medium' | 'large';
}

export interface BackupMeasure {
  readonly label: string;
  readonly status: string;
  readonly seconds: number;
  readonly logicalBytes: number;
  readonly storedBytes: number;
  /** Peak RSS sampled every 50 ms during the backup (worker threads included). */
  readonly maxRssBytes: number;
}

const MiB = 1024 * 1024;
const SELF = new URL(import.meta.url).pathname;

export async function run(options: ControllerBenchOptions = {}): Promise<BackupMeasure[]> {
  const scale = options.scale ?? 'medium';
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-bench-controller-'));
  const home = join(root, 'home');
  // The vault is protected by a per-run in-memory key rather than a passphrase: scrypt's
  // 128 MiB would otherwise dominate the memory figure, and it is not part of a backup.
  const protectorKey = randomBytes(32);
  const rack = await startLabRack({ scale });
  try {
    const controller = await BackupController.open({
      home,
      vault: await benchVault(home, protectorKey),
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
    const full = await measureInChild('full', home, protectorKey);
    await rack.run(['mutate', '--percent', '5']);
    const incremental = await measureInChild('incremental after mutate 5%', home, protectorKey);
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
function measureInChild(label: string, home: string, protectorKey: Buffer): Promise<BackupMeasure> {
  return new Promise((resolve, reject) => {
    const build = compiledBuild();
    const entry =
      build === undefined ? ['--import', 'tsx', SELF] : [join(build, 'bench/controller.js')];
    const child = spawn(process.execPath, [...entry, '--child', home], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdin.end(protectorKey);
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
    vault: await benchVault(home, Buffer.concat(chunks)),
    source: 'bench',
  });
  try {
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
    const started = performance.now();
    const result = await controller.runBackup();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const listed = controller.listBackups().find((b) => b.backupId === result.backupId);
    process.stdout.write(
      `${JSON.stringify({
        status: result.status,
        seconds,
        logicalBytes: listed?.sizeBytes ?? 0,
        storedBytes: listed?.addedBytes ?? 0,
        maxRssBytes: peak,
      })}\n`,
    );
  } finally {
    await controller.close();
  }
}

/** A vault whose data key is wrapped by a key this benchmark run holds in memory. */
async function benchVault(home: string, key: Buffer): Promise<Vault> {
  const protector: KeyProtector = {
    name: 'benchmark run key (in memory)',
    availability: async () => ({ available: true }),
    protect: async (plaintext) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    unprotect: async (wrapped) => {
      const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, 12));
      decipher.setAuthTag(wrapped.subarray(12, 28));
      return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
    },
  };
  return await openVault({ home, protector, useKeychain: false });
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
