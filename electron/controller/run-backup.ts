/**
 * Running one backup job end to end: take the job lock, connect to the rack and the repository,
 * export every component into a backup writer, commit, verify the index, and record the result
 * in the catalog. Progress goes out as `job.progress` events at most every 250 ms, and a thinned
 * set of samples is kept with the job's events, so its history shows progress after a restart.
 */
import type { Manifest, Repository } from '../repository/index.js';
import { asLifeboatError, isAbortError, type LifeboatError } from '../../shared/errors.js';
import { COMPONENT_IDS } from '../../shared/rack-api.js';
import { exportAll, type ComponentOutcome } from './backup-job.js';
import { newId, type ControllerContext } from './context.js';
import type { BackupStatus, ComponentName, JobSummary } from './contract-types.js';
import { BackupErrors } from './errors.js';
import { acquireJobLock } from '../job-lock/index.js';
import { connectRack, openConfiguredRepository } from './connections.js';
import { jobSummary } from './jobs.js';
import { catalogRow } from './maintenance.js';
import { ProgressSampler, ProgressTracker } from './progress.js';

const PROGRESS_EVERY_MS = 250;

export interface BackupRunResult {
  readonly jobId: string;
  readonly backupId: string | null;
  readonly status: BackupStatus;
  readonly components: readonly ComponentOutcome[];
  readonly error: LifeboatError | null;
}

export interface RunBackupOptions {
  readonly jobId?: string;
  readonly signal?: AbortSignal;
  /** `scheduled` or `on-demand`, for the log and the audit trail. */
  readonly trigger?: 'scheduled' | 'on-demand';
}

/**
 * Takes the job lock synchronously (so a second start is refused before anything else runs)
 * and returns the running job.
 */
export function beginBackup(
  ctx: ControllerContext,
  options: RunBackupOptions,
): { jobId: string; done: Promise<BackupRunResult>; cancel: () => void } {
  ctx.config();
  // The lock comes first: a job row exists only for a job that really runs, and a process
  // opening the catalog meanwhile never mistakes it for an interrupted one.
  const jobId = options.jobId ?? newId();
  const lock = acquireJobLock(ctx.home, jobId, 'backup');
  let job;
  try {
    job = ctx.catalog.jobs.create({ kind: 'backup', id: jobId });
  } catch (error) {
    lock.release();
    throw error;
  }
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const done = runLocked(ctx, job.id, abort.signal, options.trigger ?? 'on-demand').finally(() => {
    options.signal?.removeEventListener('abort', onOuterAbort);
    lock.release();
  });
  return { jobId: job.id, done, cancel: () => abort.abort() };
}

async function runLocked(
  ctx: ControllerContext,
  jobId: string,
  signal: AbortSignal,
  trigger: string,
): Promise<BackupRunResult> {
  const log = ctx.logger.child({ jobId });
  ctx.catalog.jobs.markRunning(jobId);
  emitJob(ctx, 'job.started', jobId);
  log.info('backup.started', { trigger });
  const state: RunState = {
    backupId: null,
    writerOpen: false,
    progress: null,
    sampler: null,
    lastEmit: 0,
  };
  let result: BackupRunResult;
  try {
    result = await exportIntoRepository(ctx, jobId, signal, state);
  } catch (error) {
    const failure = asLifeboatError(error);
    const cancelled = signal.aborted || isAbortError(error);
    state.progress?.failUnfinished(cancelled ? 'cancelled' : failure.message);
    // Before the job ends, so its persisted samples already say how each component ended.
    emitProgress(ctx, jobId, state, true);
    result = { jobId, backupId: state.backupId, status: 'Failed', components: [], error: failure };
    log.error(cancelled ? 'backup.cancelled' : 'backup.failed', { error: failure });
    ctx.catalog.jobs.finish(jobId, {
      state: cancelled ? 'cancelled' : 'failed',
      errorCode: failure.code,
      result: { backupId: state.backupId, status: 'Failed', error: failure.toBody() },
    });
    if (state.backupId !== null) recordFailed(ctx, state.backupId);
    emitJob(ctx, 'job.finished', jobId);
    ctx.emit({ type: 'changed', topics: ['backups', 'health', 'jobs'] });
    return result;
  }
  ctx.catalog.jobs.finish(jobId, {
    state:
      result.status === 'Succeeded'
        ? 'succeeded'
        : result.status === 'PartialSucceeded'
          ? 'partially-succeeded'
          : 'failed',
    errorCode: result.error?.code ?? null,
    result: {
      backupId: result.backupId,
      status: result.status,
      ...(result.error ? { error: result.error.toBody() } : {}),
    },
  });
  log.info('backup.finished', { backupId: result.backupId, status: result.status });
  emitProgress(ctx, jobId, state, true);
  emitJob(ctx, 'job.finished', jobId);
  ctx.emit({ type: 'changed', topics: ['backups', 'health', 'jobs'] });
  return result;
}

interface RunState {
  backupId: string | null;
  writerOpen: boolean;
  progress: ProgressTracker | null;
  sampler: ProgressSampler | null;
  lastEmit: number;
}

async function exportIntoRepository(
  ctx: ControllerContext,
  jobId: string,
  signal: AbortSignal,
  state: RunState,
): Promise<BackupRunResult> {
  const config = ctx.config();
  const rack = await connectRack(ctx, config, signal);
  const repo = await openConfiguredRepository(ctx, config);
  try {
    const info = await rack.info(signal);
    const components = info.components
      .slice()
      .sort((a, b) => a.order - b.order)
      .map((c) => c.id)
      .filter((id): id is ComponentName => (COMPONENT_IDS as readonly string[]).includes(id));
    const progress = new ProgressTracker(
      info.components.map((c) => ({
        component: c.id as ComponentName,
        estimatedBytes: c.sizeBytes,
      })),
      ctx.now,
    );
    state.progress = progress;
    state.sampler = new ProgressSampler(progress, ctx.now);
    progress.setPhase('exporting');
    const created = new Date(ctx.now()).toISOString();
    const writer = await repo.startBackup({
      source: {
        kind: 'rack',
        id: info.stampId,
        version: info.version,
        labels: {
          url: config.rack?.url ?? '',
          region: info.region,
          externalDomain: info.externalDomain,
        },
      },
      signal,
      expectedTotal: info.components.reduce((sum, c) => sum + c.sizeBytes, 0),
    });
    state.backupId = writer.id;
    recordRunning(ctx, config.locationId, writer.id, created, config, info);
    let outcomes: ComponentOutcome[];
    try {
      outcomes = await exportAll({
        rack,
        sink: writer,
        components,
        progress,
        signal,
        onProgress: () => emitProgress(ctx, jobId, state, false),
        onComponentDone: (outcome) => logComponent(ctx, jobId, outcome),
        isFatal: isStorageFailure,
        meta: { rackVersion: info.version },
      });
    } catch (error) {
      await writer.abort().catch(() => undefined);
      throw error;
    }
    if (outcomes.every((o) => o.status === 'Failed')) {
      await writer.abort().catch(() => undefined);
      const reasons = outcomes.map((o) => `${o.component}: ${o.reason}`).join('; ');
      throw BackupErrors.create('BACKUP_FAILED', `Every component failed: ${reasons}`, {
        hint: 'Check that the rack is reachable and healthy, then run the backup again.',
      });
    }
    progress.setPhase('committing');
    emitProgress(ctx, jobId, state, true);
    const written = await writer.commit();
    progress.setPhase('verifying');
    // The backup as the location now holds it, read back, not as the writer remembers it.
    const manifest = await repo.loadManifest(written.id);
    const missing = await chunksMissingFromIndex(repo, manifest);
    const status: BackupStatus = missing === 0 ? manifest.status : 'Failed';
    recordCommitted(ctx, config, manifest, status, outcomes);
    const error =
      missing === 0
        ? null
        : BackupErrors.create(
            'BACKUP_FAILED',
            `Backup ${manifest.id} was written but ${missing} of its chunks are not in the index read back.`,
          );
    return { jobId, backupId: manifest.id, status, components: outcomes, error };
  } finally {
    rack.close();
    await repo.close();
  }
}

/**
 * Re-reads every index from the location (not the writer's memory) and counts the manifest's
 * chunks it does not name: a backup counts as Succeeded only when this is zero.
 */
async function chunksMissingFromIndex(repo: Repository, manifest: Manifest): Promise<number> {
  const index = await repo.loadIndex(true);
  let missing = 0;
  for (const component of manifest.components) {
    for (const artifact of component.artifacts) {
      for (const [chunkId] of artifact.chunks) if (!index.blobs.has(chunkId)) missing++;
    }
  }
  return missing;
}

/** Storage failures end the backup; rack and data failures only their component. */
function isStorageFailure(error: LifeboatError): boolean {
  if (error.code === 'REPO_ARTIFACT_MISMATCH' || error.code === 'REPO_ARTIFACT_READ') return false;
  return error.code.startsWith('STORAGE_') || error.code.startsWith('REPO_');
}

function recordRunning(
  ctx: ControllerContext,
  locationId: string,
  backupId: string,
  created: string,
  config: ReturnType<ControllerContext['config']>,
  info: { stampId: string; version: string },
): void {
  ctx.catalog.backups.upsert({
    id: backupId,
    locationId,
    created,
    status: 'Running',
    keyEpoch: config.encryption.mode === 'key' ? config.encryption.keyEpoch : null,
    certificateThumbprint:
      config.encryption.mode === 'certificate' ? config.encryption.thumbprint : null,
    sourceStampId: info.stampId,
    sourceVersion: info.version,
  });
}

function recordCommitted(
  ctx: ControllerContext,
  config: ReturnType<ControllerContext['config']>,
  manifest: Manifest,
  status: BackupStatus,
  outcomes: readonly ComponentOutcome[],
): void {
  ctx.catalog.backups.upsert(catalogRow(config, manifest, status));
  ctx.logger.info('backup.committed', {
    backupId: manifest.id,
    status,
    failed: outcomes.filter((o) => o.status === 'Failed').map((o) => o.component),
  });
}

function recordFailed(ctx: ControllerContext, backupId: string): void {
  try {
    ctx.catalog.backups.setStatus(backupId, 'Failed');
  } catch (error) {
    ctx.logger.warn('backup.record-failed', { backupId, error });
  }
}

function logComponent(ctx: ControllerContext, jobId: string, outcome: ComponentOutcome): void {
  const failed = outcome.status === 'Failed';
  const message = failed
    ? `${outcome.component} failed: ${outcome.reason}`
    : `${outcome.component} backed up (${outcome.bytes} bytes)`;
  ctx.catalog.jobs.appendEvent(jobId, {
    kind: 'log',
    level: failed ? 'error' : 'info',
    message,
    data: { component: outcome.component, status: outcome.status, bytes: outcome.bytes },
  });
  ctx.logger.child({ jobId }).info('backup.component', {
    component: outcome.component,
    status: outcome.status,
    reason: outcome.reason,
    bytes: outcome.bytes,
  });
  ctx.emit({
    type: 'job.log',
    jobId,
    entry: { at: new Date(ctx.now()).toISOString(), level: failed ? 'error' : 'info', message },
  });
}

function emitProgress(
  ctx: ControllerContext,
  jobId: string,
  state: RunState,
  force: boolean,
): void {
  if (state.progress === null) return;
  recordSamples(ctx, jobId, state);
  const now = ctx.now();
  if (!force && now - state.lastEmit < PROGRESS_EVERY_MS) return;
  state.lastEmit = now;
  ctx.emit({
    type: 'job.progress',
    jobId,
    kind: 'backup',
    at: new Date(now).toISOString(),
    progress: state.progress.snapshot(),
  });
}

/** Persists the progress samples due now; failing to keep history never fails the backup. */
function recordSamples(ctx: ControllerContext, jobId: string, state: RunState): void {
  if (state.sampler === null) return;
  try {
    for (const sample of state.sampler.due()) {
      ctx.catalog.jobs.appendEvent(jobId, {
        kind: 'progress',
        level: 'info',
        message: `${sample.component} ${sample.status}: ${sample.bytesDone} of ${sample.bytesTotal ?? 'unknown'} bytes`,
        data: sample,
      });
    }
  } catch (error) {
    ctx.logger.warn('backup.progress-not-recorded', { jobId, error });
  }
}

function emitJob(
  ctx: ControllerContext,
  type: 'job.started' | 'job.finished',
  jobId: string,
): void {
  const job: JobSummary = jobSummary(ctx.catalog.jobs.require(jobId));
  ctx.emit({ type, job });
}
