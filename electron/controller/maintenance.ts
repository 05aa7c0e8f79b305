/**
 * Listing, showing, verifying and pruning backups, and rebuilding the catalog from the
 * repository (the truth on the share; the catalog is a cache).
 */
import type { Backup, BackupConfig, BackupInput } from '../catalog/index.js';
import type {
  BackupSummary as RepoBackupSummary,
  Manifest,
  Repository,
} from '../repository/index.js';
import { asLifeboatError } from '../../shared/errors.js';
import { COMPONENT_IDS } from '../../shared/rack-api.js';
import { openConfiguredRepository } from './connections.js';
import { newId, type ControllerContext } from './context.js';
import type {
  BackupDetail,
  BackupSummary,
  ComponentName,
  PrunePreview,
  VerifyResult,
} from './contract-types.js';
import { BackupErrors, ConfigErrors } from './errors.js';
import { acquireJobLock } from '../job-lock/index.js';
import { planRetention } from './retention.js';

const isComponent = (name: string): name is ComponentName =>
  (COMPONENT_IDS as readonly string[]).includes(name);

/** Backups known at every location, newest first (older locations stay listed). */
export function listBackups(
  ctx: ControllerContext,
  filter: { statuses?: string[] } = {},
): BackupSummary[] {
  const locations = new Map(ctx.catalog.locations.list().map((l) => [l.id, l.path]));
  return ctx.catalog.backups
    .list(filter.statuses ? { statuses: filter.statuses as Backup['status'][] } : {})
    .map((b) => toSummary(b, locations.get(b.locationId) ?? b.locationId));
}

export function toSummary(backup: Backup, location: string): BackupSummary {
  return {
    backupId: backup.id,
    createdAt: backup.created,
    durationSeconds: backup.durationMs === null ? null : backup.durationMs / 1000,
    status: backup.status,
    components: backup.components
      .filter((c) => isComponent(c.name))
      .map((c) => ({ component: c.name as ComponentName, status: c.status })),
    sizeBytes: backup.logicalBytes,
    addedBytes: backup.storedBytes,
    keyEpoch: backup.keyEpoch,
    certificateThumbprint: backup.certificateThumbprint?.toLowerCase() ?? null,
    location,
    provenAt: backup.provenByDrill,
  };
}

/** One backup with its per-component detail, read from its manifest when the key is at hand. */
export async function getBackup(ctx: ControllerContext, backupId: string): Promise<BackupDetail> {
  const backup = ctx.catalog.backups.get(backupId);
  if (backup === null) {
    throw BackupErrors.create('BACKUP_NOT_FOUND', `No backup ${backupId} is known.`);
  }
  const location = ctx.catalog.locations.get(backup.locationId);
  const summary = toSummary(backup, location?.path ?? backup.locationId);
  const problems = [];
  let manifest: Manifest | null = null;
  if (backup.status === 'Succeeded' || backup.status === 'PartialSucceeded') {
    try {
      manifest = await readManifest(ctx, backupId);
    } catch (error) {
      problems.push(asLifeboatError(error).toBody());
    }
  }
  const config = ctx.catalog.config.get();
  let lastVerified: BackupDetail['lastVerified'] = null;
  try {
    lastVerified = latestVerification(ctx, backupId);
  } catch (error) {
    // A damaged result row must not hide the backup itself: it is shown as a problem.
    problems.push(asLifeboatError(error).toBody());
  }
  return {
    summary,
    components: backup.components
      .filter((c) => isComponent(c.name))
      .map((c) => {
        const record = manifest?.components.find((m) => m.name === c.name);
        return {
          component: c.name as ComponentName,
          status: c.status,
          reason: c.reason ?? null,
          sizeBytes: c.logicalBytes ?? null,
          artifacts: record?.artifacts.length ?? 0,
          digest: record?.meta['stateDigest'] ?? null,
        };
      }),
    rack: {
      stampId: backup.sourceStampId,
      version: backup.sourceVersion,
      url: manifest?.source.labels['url'] ?? config?.rack?.url ?? null,
    },
    lastVerified,
    problems,
  };
}

function latestVerification(
  ctx: ControllerContext,
  backupId: string,
): BackupDetail['lastVerified'] {
  const latest = ctx.catalog.verifications.latest(backupId);
  return latest === null ? null : { at: latest.verified, readData: latest.readData, ok: latest.ok };
}

async function readManifest(ctx: ControllerContext, backupId: string): Promise<Manifest> {
  const repo = await openConfiguredRepository(ctx, ctx.config());
  try {
    return await repo.loadManifest(backupId);
  } finally {
    await repo.close();
  }
}

/** Verifies a backup's structure (or every byte with `readData`), under the job lock. */
export async function verifyBackup(
  ctx: ControllerContext,
  backupId: string,
  options: { readData: boolean; signal?: AbortSignal },
): Promise<VerifyResult> {
  const lock = acquireJobLock(ctx.home, newId(), 'verify');
  const job = ctx.catalog.jobs.create({ kind: 'verify', id: lock.jobId });
  ctx.catalog.jobs.markRunning(job.id);
  try {
    const repo = await openConfiguredRepository(ctx, ctx.config());
    try {
      const report = await repo.verifyBackup(backupId, {
        readData: options.readData,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const damagedComponents = report.damagedComponents.filter(isComponent);
      const result: VerifyResult = {
        backupId,
        ok: report.ok,
        readData: options.readData,
        damagedComponents,
        suggestedBackupId: report.ok
          ? null
          : await newestVerifiedOlder(ctx, repo, backupId, job.id),
        problems: report.damage.map((d) => ({
          code: 'REPO_DAMAGED',
          message: `${d.object}: ${d.problem} (${d.detail})`,
          hint: 'Use another backup; run `lifeboat repo check` for the whole location.',
          category: 'damaged' as const,
        })),
      };
      ctx.catalog.transaction(() => {
        rememberVerification(ctx, job.id, backupId, {
          ok: report.ok,
          readData: options.readData,
          damagedComponents,
        });
        ctx.catalog.jobs.finish(job.id, {
          state: report.ok ? 'succeeded' : 'failed',
          errorCode: report.ok ? null : 'REPO_DAMAGED',
          result: { backupId, ok: report.ok, damagedComponents },
        });
      });
      ctx.logger.info('backup.verified', { backupId, ok: report.ok, readData: options.readData });
      return result;
    } finally {
      await repo.close();
    }
  } catch (error) {
    const failure = asLifeboatError(error);
    ctx.catalog.jobs.finish(job.id, {
      state: 'failed',
      errorCode: failure.code,
      result: { backupId, error: failure.toBody() },
    });
    throw failure;
  } finally {
    lock.release();
  }
}

/**
 * Records a verification's outcome, which the backup's details show as `lastVerified`. Only
 * backups the catalog lists get one (a backup only the repository has yet is listed by the next
 * rebuild, without a result); a verification that could not run (storage unreachable, key
 * missing, cancelled) has no outcome and is never recorded.
 */
function rememberVerification(
  ctx: ControllerContext,
  jobId: string,
  backupId: string,
  outcome: { ok: boolean; readData: boolean; damagedComponents: string[] },
): void {
  if (ctx.catalog.backups.get(backupId) === null) return;
  ctx.catalog.verifications.record({
    backupId,
    jobId,
    verified: new Date(ctx.now()).toISOString(),
    ...outcome,
  });
}

async function newestVerifiedOlder(
  ctx: ControllerContext,
  repo: Awaited<ReturnType<typeof openConfiguredRepository>>,
  backupId: string,
  jobId: string,
): Promise<string | null> {
  const target = ctx.catalog.backups.get(backupId);
  if (target === null) return null;
  const older = ctx.catalog.backups
    .list({ locationId: target.locationId, statuses: ['Succeeded'] })
    .filter((b) => b.created < target.created);
  for (const candidate of older) {
    const report = await repo.verifyBackup(candidate.id, { readData: false });
    // A real check of that backup too, so its own record says so.
    rememberVerification(ctx, jobId, candidate.id, {
      ok: report.ok,
      readData: false,
      damagedComponents: report.damagedComponents.filter(isComponent),
    });
    if (report.ok) return candidate.id;
  }
  return null;
}

/** What retention of `retentionDays` (default: the configured one) would delete now. */
export function previewPrune(ctx: ControllerContext, retentionDays: number | null): PrunePreview {
  const config = ctx.config();
  const days = retentionDays ?? config.retentionDays;
  const backups = ctx.catalog.backups.list({ locationId: config.locationId });
  const plan = planRetention(
    backups.map((b) => ({ id: b.id, createdMs: Date.parse(b.created), status: b.status })),
    days,
    ctx.now(),
  );
  const byId = new Map(backups.map((b) => [b.id, b]));
  return {
    retentionDays: days,
    wouldDelete: plan.delete.map((d) => toSummary(byId.get(d.id) as Backup, config.locationPath)),
    keptNewestSucceeded: plan.protectedId,
    reclaimableBytes: null,
  };
}

export interface PruneOutcome {
  readonly deleted: string[];
  readonly bytesFreed: number;
  readonly dryRun: boolean;
}

/**
 * Deletes the backups retention selects, but only if they are exactly the ones the operator
 * confirmed (a backup that aged out since the preview is not deleted unseen), then reclaims
 * their space. With `dryRun` nothing changes.
 */
export async function prune(
  ctx: ControllerContext,
  options: {
    confirmBackupIds: readonly string[] | 'all-planned';
    dryRun?: boolean;
    retentionDays?: number;
  },
): Promise<PruneOutcome> {
  const preview = previewPrune(ctx, options.retentionDays ?? null);
  const planned = preview.wouldDelete.map((b) => b.backupId);
  if (options.dryRun === true) return { deleted: planned, bytesFreed: 0, dryRun: true };
  if (options.confirmBackupIds !== 'all-planned' && !sameSet(planned, options.confirmBackupIds)) {
    throw ConfigErrors.create(
      'CONFIG_CONFIRMATION_REQUIRED',
      `Retention now deletes ${planned.length} backup(s): ${planned.join(', ') || 'none'}; they differ from the ones confirmed.`,
      { details: { wouldDelete: planned.join(',') } },
    );
  }
  if (planned.length === 0) return { deleted: [], bytesFreed: 0, dryRun: false };
  const lock = acquireJobLock(ctx.home, newId(), 'prune');
  const job = ctx.catalog.jobs.create({ kind: 'prune', id: lock.jobId });
  ctx.catalog.jobs.markRunning(job.id);
  try {
    const repo = await openConfiguredRepository(ctx, ctx.config());
    let bytesFreed = 0;
    try {
      await requireSameSelection(repo, preview.retentionDays, planned);
      await repo.forget({ keepWithinDays: preview.retentionDays });
      bytesFreed = (await repo.prune({ dryRun: false })).bytesFreed;
    } finally {
      await repo.close();
    }
    ctx.catalog.transaction(() => {
      for (const id of planned) ctx.catalog.backups.setStatus(id, 'Deleted');
      ctx.audit('backup.delete', {
        backups: planned,
        retentionDays: preview.retentionDays,
        bytesFreed,
      });
    });
    ctx.catalog.jobs.finish(job.id, {
      state: 'succeeded',
      result: { deleted: planned, bytesFreed },
    });
    ctx.emit({ type: 'changed', topics: ['backups', 'health', 'jobs', 'audit'] });
    return { deleted: planned, bytesFreed, dryRun: false };
  } catch (error) {
    const failure = asLifeboatError(error);
    ctx.catalog.jobs.finish(job.id, {
      state: 'failed',
      errorCode: failure.code,
      result: { error: failure.toBody() },
    });
    throw failure;
  } finally {
    lock.release();
  }
}

/**
 * The repository applies retention itself (it is the truth); before it deletes anything, its
 * own dry run must select exactly the backups the operator confirmed.
 */
async function requireSameSelection(
  repo: Repository,
  retentionDays: number,
  planned: readonly string[],
): Promise<void> {
  const dry = await repo.forget({ keepWithinDays: retentionDays }, { dryRun: true });
  const selected = dry.removed.map((b) => b.id);
  if (!sameSet(selected, planned)) {
    throw ConfigErrors.create(
      'CONFIG_CONFIRMATION_REQUIRED',
      `The repository's retention selects ${selected.join(', ') || 'nothing'}, not the backups confirmed (${planned.join(', ')}).`,
      {
        hint: 'Rebuild the catalog (`lifeboat catalog rebuild`), review the list again and confirm it.',
        details: { wouldDelete: selected.join(',') },
      },
    );
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((id) => right.has(id));
}

/** Makes the catalog's list for the configured location equal to the repository's. */
export async function rebuildCatalog(
  ctx: ControllerContext,
): Promise<{ backups: number; added: number; removed: number }> {
  const config = ctx.config();
  const repo = await openConfiguredRepository(ctx, config);
  try {
    const backups: BackupInput[] = [];
    for (const summary of await repo.listBackups()) {
      // Backups of epochs whose key is not held here are listed from their label alone.
      backups.push(
        summary.verified
          ? catalogRow(config, await repo.loadManifest(summary.id))
          : catalogRowFromLabel(config, summary),
      );
    }
    const result = ctx.catalog.transaction(() => {
      const replaced = ctx.catalog.replaceBackupsForLocation(config.locationId, backups);
      ctx.audit('catalog.rebuild', {
        location: config.locationPath,
        backups: backups.length,
        ...replaced,
      });
      return replaced;
    });
    ctx.emit({ type: 'changed', topics: ['backups', 'health', 'audit'] });
    return { backups: backups.length, added: result.added, removed: result.removed };
  } finally {
    await repo.close();
  }
}

/** The catalog's record of a committed backup, from its manifest. */
export function catalogRow(
  config: BackupConfig,
  manifest: Manifest,
  status: BackupInput['status'] = manifest.status,
): BackupInput {
  return {
    id: manifest.id,
    locationId: config.locationId,
    created: manifest.created,
    durationMs: manifest.durationMs,
    status,
    components: manifest.components.map((c) => ({
      name: c.name,
      status: c.status,
      ...(c.reason === undefined ? {} : { reason: c.reason.slice(0, 2000) }),
      logicalBytes: c.artifacts.reduce((sum, a) => sum + a.size, 0),
    })),
    logicalBytes: manifest.size,
    storedBytes: manifest.storedBytes,
    keyEpoch: manifest.epoch,
    certificateThumbprint:
      config.encryption.mode === 'certificate' ? config.encryption.thumbprint : null,
    sourceStampId: manifest.source.id,
    sourceVersion: manifest.source.version,
  };
}

function catalogRowFromLabel(config: BackupConfig, summary: RepoBackupSummary): BackupInput {
  const certificate = summary.keys.find((k) => k.kind === 'certificate');
  return {
    id: summary.id,
    locationId: config.locationId,
    created: summary.created,
    status: summary.status,
    components: Object.entries(summary.components).map(([name, status]) => ({ name, status })),
    logicalBytes: summary.size,
    keyEpoch: summary.epoch,
    certificateThumbprint: certificate?.keyId ?? null,
    sourceStampId: summary.source.id,
    sourceVersion: summary.source.version,
  };
}
