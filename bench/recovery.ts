/**
 * Benchmark section "recovery": a full cloud recovery of the lab rack (medium scale by default)
 * from a backup taken by the controller, into the same rack after `lab-rack disaster` and
 * `lab-rack redeploy --recovery`. Prints, per component, the bytes restored, the time from the
 * first upload to the commit, and the throughput; then the whole run (pre-flight, restore and
 * proof) and the peak RSS of this process.
 *
 *     node --import tsx bench/recovery.ts [--scale small|medium|large]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog } from '../electron/catalog/index.js';
import { BackupController } from '../electron/controller/index.js';
import {
  openBackup,
  openLocation,
  runRecovery,
  verifyForRecovery,
  type RecoveryReport,
} from '../electron/recovery/index.js';
import { startLabRack } from '../test/helpers/lab-rack.js';

export interface RecoveryBenchOptions {
  readonly scale?: 'small' | 'medium' | 'large';
}

export interface RecoveryMeasure {
  readonly scale: string;
  readonly verifySeconds: number;
  readonly recoverySeconds: number;
  readonly report: RecoveryReport;
  readonly maxRssBytes: number;
}

const MiB = 1024 * 1024;
const SELF = new URL(import.meta.url).pathname;

export async function run(options: RecoveryBenchOptions = {}): Promise<RecoveryMeasure> {
  const scale = options.scale ?? 'medium';
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-bench-recovery-'));
  const share = join(root, 'share');
  const key = Buffer.alloc(32, 5).toString('base64');
  const rack = await startLabRack({ scale });
  try {
    const backupId = await takeBackup(root, share, key, rack);
    await rack.run(['disaster']);
    await rack.run(['redeploy', '--recovery']);
    const catalog = openCatalog({ home: join(root, 'laptop') });
    const backup = await openBackup(await openLocation(share), backupId, {
      mode: 'key',
      key: Buffer.from(key),
    });
    try {
      const signal = new AbortController().signal;
      let started = performance.now();
      await verifyForRecovery(backup, { signal });
      const verifySeconds = (performance.now() - started) / 1000;
      started = performance.now();
      const report = await runRecovery({
        home: join(root, 'laptop'),
        catalog,
        backup,
        target: {
          url: rack.url,
          fingerprint: rack.fingerprint,
          username: rack.username,
          password: rack.password,
        },
        signal,
      });
      const measure: RecoveryMeasure = {
        scale,
        verifySeconds,
        recoverySeconds: (performance.now() - started) / 1000,
        report,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      };
      printTable(measure);
      return measure;
    } finally {
      await backup.close();
      catalog.close();
    }
  } finally {
    await rack.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function takeBackup(
  root: string,
  share: string,
  key: string,
  rack: Awaited<ReturnType<typeof startLabRack>>,
): Promise<string> {
  const controller = await BackupController.open({
    home: join(root, 'workstation'),
    vaultPassphrase: Buffer.from('benchmark vault passphrase'),
    source: 'bench',
  });
  try {
    await controller.enable({
      location: { kind: 'folder', path: share },
      credentials: null,
      encryption: { mode: 'imported', key: Buffer.from(key) },
      rack: {
        url: rack.url,
        fingerprint: rack.fingerprint,
        username: rack.username,
        password: rack.password,
      },
    });
    const result = await controller.startBackup().done;
    if (result.backupId === null || result.status !== 'Succeeded') {
      throw new Error(
        `the benchmark backup ended ${result.status}: ${result.error?.message ?? result.components.map((c) => `${c.component} ${c.status} ${c.reason ?? ''}`).join('; ')}`,
      );
    }
    return result.backupId;
  } finally {
    await controller.close();
  }
}

function printTable(measure: RecoveryMeasure): void {
  const { report } = measure;
  console.log(
    `\nrecovery: full cloud recovery of the lab rack (${measure.scale} scale), result ${report.result}`,
  );
  console.log('| component | restored | seconds | upload s | commit s | MiB/s | digest equal |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | :---: |');
  let bytes = 0;
  for (const entry of report.components) {
    bytes += entry.bytes;
    const seconds = secondsBetween(entry.startedAt, entry.finishedAt);
    const upload = secondsBetween(entry.startedAt, entry.commitStartedAt);
    const commit = secondsBetween(entry.commitStartedAt, entry.finishedAt);
    console.log(
      `| ${entry.component} | ${(entry.bytes / MiB).toFixed(1)} MiB | ${seconds.toFixed(2)} | ${upload.toFixed(2)} | ${commit.toFixed(2)} | ${(entry.bytes / MiB / seconds).toFixed(1)} | ${entry.match ? 'yes' : 'NO'} |`,
    );
  }
  console.log(
    `| all (pre-flight, restore, proof) | ${(bytes / MiB).toFixed(1)} MiB | ${measure.recoverySeconds.toFixed(2)} | | | ${(bytes / MiB / measure.recoverySeconds).toFixed(1)} | ${report.result === 'proven' ? 'yes' : 'NO'} |`,
  );
  console.log(
    `verify before restore (full read): ${measure.verifySeconds.toFixed(2)} s, ${(bytes / MiB / measure.verifySeconds).toFixed(1)} MiB/s; peak RSS ${(measure.maxRssBytes / MiB).toFixed(0)} MiB`,
  );
}

function secondsBetween(from: string | null, to: string | null): number {
  return from === null || to === null ? Number.NaN : (Date.parse(to) - Date.parse(from)) / 1000;
}

if (process.argv[1] === SELF) {
  const scaleAt = process.argv.indexOf('--scale');
  const scale =
    scaleAt > 0 ? (process.argv[scaleAt + 1] as RecoveryBenchOptions['scale']) : undefined;
  run(scale ? { scale } : {}).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
