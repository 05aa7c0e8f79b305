/**
 * Gathers the facts health needs (catalog rows, a location probe, a rack probe, the running
 * job) and maps `computeHealth` to the dashboard's shape. Probes are bounded by a timeout so a
 * dead share or rack makes an alert, not a hanging dashboard.
 */
import { asLifeboatError } from '../../shared/errors.js';
import type { BackupConfig } from '../catalog/index.js';
import { connectRack, openLocation } from './connections.js';
import type { ControllerContext } from './context.js';
import type { Health } from './contract-types.js';
import { computeHealth, type LocationProbe, type RackProbe } from './health.js';
import { currentJob } from '../job-lock/index.js';
import { nextScheduledRun } from './settings.js';

const PROBE_TIMEOUT_MS = 10_000;

export async function gatherHealth(
  ctx: ControllerContext,
  isLab: (url: string) => boolean,
): Promise<Health> {
  const config = ctx.catalog.config.get();
  const running = currentJob(ctx.home)?.jobId ?? null;
  if (config === null) {
    return {
      configured: false,
      lab: false,
      lastSucceeded: null,
      lastBackup: null,
      nextRunAt: null,
      schedulerEnabled: false,
      location: null,
      rack: null,
      runningJobId: running,
      alerts: [
        {
          code: 'NOT_CONFIGURED',
          severity: 'warning',
          message: 'Backup is not enabled: this rack is not protected.',
          hint: 'Enable backup: choose a location, its credentials and an encryption key.',
        },
      ],
    };
  }
  const [probed, rack] = await Promise.all([probeLocation(ctx, config), probeRack(ctx, config)]);
  const location = withLastJobFailure(ctx, probed);
  const backups = ctx.catalog.backups
    .list({ locationId: config.locationId })
    .filter((b) => b.status !== 'Deleted');
  const nowMs = ctx.now();
  const nextRunMs = nextScheduledRun(ctx, config);
  const health = computeHealth({
    nowMs,
    frequencyHours: config.frequencyHours,
    schedulerEnabled: config.schedulerEnabled,
    nextRunMs,
    backups: backups
      .filter((b) => b.status !== 'Running' && b.status !== 'Queued')
      .map((b) => ({
        id: b.id,
        createdMs: Date.parse(b.created),
        status: b.status,
        storedBytes: b.storedBytes,
        failedComponents: b.components
          .filter((c) => c.status === 'Failed')
          .map((c) => ({ name: c.name, reason: c.reason ?? 'failed' })),
      })),
    location: location.probe,
    rack,
  });
  const last = backups[0];
  const lab = config.rack !== null && isLab(config.rack.url);
  return {
    configured: true,
    lab,
    lastSucceeded:
      health.lastSucceeded === null
        ? null
        : {
            backupId: health.lastSucceeded.id,
            createdAt: new Date(health.lastSucceeded.createdMs).toISOString(),
            ageSeconds: Math.max(0, health.lastSucceeded.ageHours * 3600),
          },
    lastBackup:
      last === undefined
        ? null
        : { backupId: last.id, createdAt: last.created, status: last.status },
    nextRunAt: health.nextRunMs === null ? null : new Date(health.nextRunMs).toISOString(),
    schedulerEnabled: config.schedulerEnabled,
    location: {
      path: config.locationPath,
      reachable: location.probe.problem !== 'unreachable' && location.probe.problem !== 'denied',
      freeBytes: health.freeBytes,
      totalBytes: location.totalBytes,
      daysUntilFull: health.daysUntilFull,
    },
    rack: config.rack === null ? null : { url: config.rack.url, reachable: rack.reachable, lab },
    runningJobId: running,
    alerts: health.alerts.map((a) => ({
      code: a.code,
      severity: a.severity,
      message: a.reason,
      hint: a.hint,
    })),
  };
}

const PROBLEM_OF_CODE: Record<string, LocationProbe['problem']> = {
  STORAGE_FULL: 'full',
  STORAGE_ACCESS_DENIED: 'denied',
  STORAGE_UNREACHABLE: 'unreachable',
};

/**
 * A probe can pass while backups still fail (a quota that a small probe fits under, a share
 * that drops under load), so the last backup job's storage failure counts too.
 */
function withLastJobFailure(
  ctx: ControllerContext,
  probed: { probe: LocationProbe; totalBytes: number | null },
): { probe: LocationProbe; totalBytes: number | null } {
  if (probed.probe.problem !== null) return probed;
  const last = ctx.catalog.jobs.list({ kinds: ['backup'], limit: 1 })[0];
  const problem = last?.state === 'failed' ? PROBLEM_OF_CODE[last.errorCode ?? ''] : undefined;
  if (problem === undefined || last === undefined) return probed;
  return {
    ...probed,
    probe: { ...probed.probe, problem, detail: `the last backup failed with ${last.errorCode}` },
  };
}

async function probeLocation(
  ctx: ControllerContext,
  config: BackupConfig,
): Promise<{ probe: LocationProbe; totalBytes: number | null }> {
  try {
    const storage = await withTimeout(openLocation(ctx, config.locationPath));
    const space = await withTimeout(storage.freeSpace());
    const free = space?.available ?? null;
    return {
      probe: { problem: free === 0 ? 'full' : null, freeBytes: free },
      totalBytes: space?.total ?? null,
    };
  } catch (error) {
    const failure = asLifeboatError(error);
    const problem =
      failure.code === 'STORAGE_ACCESS_DENIED'
        ? 'denied'
        : failure.code === 'STORAGE_FULL'
          ? 'full'
          : 'unreachable';
    return { probe: { problem, detail: failure.code, freeBytes: null }, totalBytes: null };
  }
}

async function probeRack(ctx: ControllerContext, config: BackupConfig): Promise<RackProbe> {
  try {
    const client = await connectRack(ctx, config, AbortSignal.timeout(PROBE_TIMEOUT_MS));
    try {
      await client.info(AbortSignal.timeout(PROBE_TIMEOUT_MS));
    } finally {
      client.close();
    }
    return { reachable: true };
  } catch (error) {
    return { reachable: false, detail: asLifeboatError(error).code };
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
