/**
 * A recovery run from start to proof: plan → pre-flight → journal → restore → prove → report.
 * Also resuming an unfinished run, healing single components of a running rack, and the drill
 * (the same run into a lab rack, marking the backup proven).
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import { asLifeboatError } from '../../shared/errors.js';
import type { Catalog } from '../catalog/index.js';
import { acquireJobLock } from '../job-lock/index.js';
import type { RackClient } from '../rack/index.js';
import { RESTORE_ORDER, inRestoreOrder, parseComponentId, type ComponentId } from './components.js';
import { RecoveryErrors } from './errors.js';
import { CatalogJournal, loadRunContext, saveRunContext, type RunContext } from './journal.js';
import {
  componentBytes,
  planRestore,
  type BackupComponentSummary,
  type JournalComponent,
  type RestorePlan,
} from './plan.js';
import { assertPreflight, preflight, type PreflightResult, type RackTarget } from './preflight.js';
import type { RestoreProgress } from './progress.js';
import { isTransientRackFailure, rackImportTarget } from './rack-target.js';
import {
  REPORT_FORMAT,
  notRestoredList,
  type ComponentResult,
  type RecoveryReport,
} from './report.js';
import { saveReport } from './report-store.js';
import { executeRestore, type ComponentTiming } from './restore.js';

/** A backup opened with its key: what a restore reads. See backup.ts. */
export interface RestorableBackup {
  readonly id: string;
  readonly createdAt: string;
  readonly location: string;
  readonly sourceId: string;
  readonly sourceVersion: string;
  /** "key epoch 3" or "certificate <thumbprint>". */
  readonly keyReference: string;
  readonly components: readonly BackupComponentSummary[];
  openArtifact(
    component: ComponentId,
    name: string,
    offset: number,
    signal: AbortSignal,
  ): Promise<Readable>;
}

export type RecoveryKind = 'recovery' | 'heal' | 'drill';

export type RecoveryEvent =
  | { readonly type: 'phase'; readonly phase: RecoveryPhase; readonly message: string }
  | { readonly type: 'progress'; readonly progress: RestoreProgress };
export type RecoveryPhase = 'preflight' | 'verify' | 'restore' | 'prove' | 'finish';

export interface Operator {
  readonly user: string;
  readonly host: string;
}

export interface RunOptions {
  /** The profile folder (reports and run contexts live under `<home>/recovery/`). */
  readonly home: string;
  readonly catalog: Catalog;
  readonly backup: RestorableBackup;
  readonly target: RackTarget;
  /** A subset of components; all of them by default. */
  readonly components?: readonly ComponentId[] | undefined;
  readonly kind?: RecoveryKind | undefined;
  readonly signal: AbortSignal;
  readonly onEvent?: ((event: RecoveryEvent) => void) | undefined;
  /** Automatic retries after a dropped connection, before leaving it to `resume` (default 3). */
  readonly retries?: number | undefined;
  readonly operator?: Operator | undefined;
  /**
   * Runs once pre-flight passed and before anything is written to the rack: the command line
   * verifies the backup here (a full read), so a wrong rack is refused before that long read.
   */
  readonly beforeRestore?: ((preflight: PreflightResult) => Promise<void>) | undefined;
}

export function currentOperator(): Operator {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container): the report says "unknown" rather than failing.
  }
  return { user, host: hostname() };
}

/**
 * Restores the backup into the rack and proves it; returns the saved report. Refused with
 * BACKUP_JOB_RUNNING while another job (a backup, verify, prune or recovery) runs on this
 * profile; the run holds the job lock from pre-flight to the report.
 */
export async function runRecovery(options: RunOptions): Promise<RecoveryReport> {
  const kind = options.kind ?? (options.components === undefined ? 'recovery' : 'heal');
  const components = inRestoreOrder(options.components ?? RESTORE_ORDER);
  const plan = planRestore(options.backup.id, options.backup.components, components);
  // Known before the lock is taken, so a job refused meanwhile names this recovery's id (the
  // one its journal, report and `recovery resume --id` use).
  const runId = randomUUID();
  return await holdingJobLock(options.home, runId, kind, () =>
    startRun(options, { runId, kind, components, plan }),
  );
}

async function startRun(
  options: RunOptions,
  run: { runId: string; kind: RecoveryKind; components: ComponentId[]; plan: RestorePlan },
): Promise<RecoveryReport> {
  const { runId, kind, components, plan } = run;
  const heal = kind === 'heal';
  const checked = await checkedClient(options, components, { heal, running: heal });
  const { client } = checked;
  try {
    await options.beforeRestore?.(checked.preflight);
    const context: RunContext = {
      runId,
      kind,
      backupId: options.backup.id,
      location: options.backup.location,
      rack: { url: client.url, fingerprint: client.fingerprint, username: options.target.username },
      components,
      operator: options.operator ?? currentOperator(),
      startedAt: new Date().toISOString(),
      resumes: 0,
    };
    await saveRunContext(options.home, context);
    const journal = CatalogJournal.start(options.catalog, plan, client.url, runId);
    audit(options.catalog, context, 'recovery.start');
    return await carryOut(options, context, plan, journal, checked);
  } finally {
    client.close();
  }
}

/**
 * Runs `work` holding the profile's job lock under the recovery's id, so a backup, verify or
 * prune (scheduled, in the app or another process) never runs beside a restore into the rack,
 * and a controller opening meanwhile does not settle this run's job as interrupted.
 */
async function holdingJobLock<T>(
  home: string,
  runId: string,
  kind: RecoveryKind,
  work: () => Promise<T>,
): Promise<T> {
  const lock = acquireJobLock(home, runId, kind);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

export interface ResumeOptions extends Omit<
  RunOptions,
  'components' | 'kind' | 'backup' | 'target'
> {
  readonly runId: string;
  readonly backup: RestorableBackup;
  /** The rack password; everything else comes from the run's context. */
  readonly rackPassword: Buffer;
}

/** The unfinished runs of this profile, newest first, with their contexts. */
export async function unfinishedRecoveries(
  home: string,
  catalog: Catalog,
): Promise<{ context: RunContext; components: JournalComponent[] }[]> {
  const runs = catalog.journals.list({ unfinishedOnly: true });
  const result = [];
  for (const run of runs) {
    const context = await loadRunContext(home, run.id).catch(() => undefined);
    if (context !== undefined) {
      result.push({ context, components: CatalogJournal.existing(catalog, run.id).load() });
    }
  }
  return result;
}

/**
 * Continues an unfinished run where its journal stands; never commits a component twice.
 * Holds the job lock under the run's id, like a new run.
 */
export async function resumeRecovery(options: ResumeOptions): Promise<RecoveryReport> {
  const saved = await loadRunContext(options.home, options.runId);
  return await holdingJobLock(options.home, saved.runId, saved.kind, () =>
    continueRun(options, saved),
  );
}

async function continueRun(options: ResumeOptions, saved: RunContext): Promise<RecoveryReport> {
  if (saved.backupId !== options.backup.id) {
    throw RecoveryErrors.create(
      'RECOVERY_JOURNAL_MISMATCH',
      `Recovery ${saved.runId} restores backup ${saved.backupId}, not ${options.backup.id}.`,
    );
  }
  const journal = CatalogJournal.existing(options.catalog, saved.runId);
  if (journal.run().finished !== null) {
    throw RecoveryErrors.create(
      'RECOVERY_NOTHING_TO_RESUME',
      `Recovery ${saved.runId} already finished.`,
    );
  }
  const components = saved.components.map(parseComponentId);
  const plan = planRestore(options.backup.id, options.backup.components, components);
  const entries = journal.load();
  const unfinished = entries.filter((e) => e.state !== 'committed').map((e) => e.component);
  const notStarted = entries.filter((e) => e.state === 'pending').map((e) => e.component);
  const target: RackTarget = { ...saved.rack, password: options.rackPassword };
  const runOptions: RunOptions = { ...options, target, components, kind: saved.kind };
  // Committed components hold data now, and one under way may have been committed with its
  // answer lost: only the components not started yet must still be empty.
  const checked = await checkedClient(runOptions, unfinished, {
    heal: saved.kind === 'heal' || unfinished.length === 0,
    running: saved.kind === 'heal',
    mustBeEmpty: notStarted,
  });
  try {
    const context = { ...saved, resumes: saved.resumes + 1 };
    await saveRunContext(options.home, context);
    audit(options.catalog, context, 'recovery.resume');
    return await carryOut(runOptions, context, plan, journal, checked);
  } finally {
    checked.client.close();
  }
}

interface CheckedRack {
  readonly client: RackClient;
  readonly preflight: PreflightResult;
}

async function checkedClient(
  options: RunOptions,
  components: readonly ComponentId[],
  scope: { heal: boolean; running?: boolean; mustBeEmpty?: readonly ComponentId[] },
): Promise<CheckedRack> {
  phase(options, 'preflight', `Checking the rack at ${options.target.url}.`);
  const result = await preflight(options.target, {
    backupVersion: options.backup.sourceVersion,
    // Only a heal of a running rack is tied to its own stamp; a redeployed rack may be new.
    backupStampId: scope.heal && scope.running ? options.backup.sourceId : undefined,
    components,
    heal: scope.heal,
    mustBeEmpty: scope.mustBeEmpty,
    signal: options.signal,
    retries: 0,
  });
  return { client: assertPreflight(result), preflight: result };
}

/** Restore, prove, report: shared by a new run and a resumed one. */
async function carryOut(
  options: RunOptions,
  context: RunContext,
  plan: RestorePlan,
  journal: CatalogJournal,
  checked: CheckedRack,
): Promise<RecoveryReport> {
  const { client } = checked;
  const jobId = startJob(options.catalog, context.kind === 'drill' ? 'drill' : 'recovery');
  try {
    if (context.kind === 'heal') await setModes(client, plan, 'recovery', options.signal);
    phase(
      options,
      'restore',
      `Restoring ${plan.components.length} component(s) from backup ${plan.backupId}.`,
    );
    const result = await executeRestore(plan, journal.load(), {
      source: {
        open: (component, name, offset, signal) =>
          options.backup.openArtifact(component, name, offset, signal),
      },
      target: rackImportTarget(client, options.backup.sourceVersion),
      store: journal,
      signal: options.signal,
      onProgress: (progress) => options.onEvent?.({ type: 'progress', progress }),
      retries: options.retries ?? 3,
      isTransient: isTransientRackFailure,
    });
    phase(options, 'prove', 'Comparing every restored component’s state digest with the backup’s.');
    const components = await prove(client, plan, result.timings, options.signal);
    const proven = components.every((entry) => entry.match);
    phase(options, 'finish', proven ? 'Every digest matches.' : 'Some digests differ.');
    if (proven) await returnToService(client, plan, context.kind, options.signal);
    const report = buildReport(options, context, checked, components, proven);
    await saveReport(options.home, report);
    if (proven && context.kind === 'drill') markProven(options.catalog, report);
    journal.finish(proven ? 'succeeded' : 'failed');
    finishJob(options.catalog, jobId, {
      state: proven ? 'succeeded' : 'failed',
      result: { recoveryId: context.runId, allDigestsMatch: proven },
    });
    audit(options.catalog, context, proven ? 'recovery.proven' : 'recovery.mismatch');
    return report;
  } catch (error) {
    const typed = asLifeboatError(error);
    finishJob(options.catalog, jobId, {
      state: typed.code === 'CANCELLED' ? 'cancelled' : 'failed',
      errorCode: typed.code,
    });
    audit(options.catalog, context, 'recovery.interrupted', { errorCode: typed.code });
    throw typed;
  }
}

/** Reads each restored component's digest from the rack and compares it with the backup's. */
async function prove(
  client: RackClient,
  plan: RestorePlan,
  timings: ReadonlyMap<ComponentId, ComponentTiming>,
  signal: AbortSignal,
): Promise<ComponentResult[]> {
  const results: ComponentResult[] = [];
  for (const planned of plan.components) {
    const after = (await client.digest(planned.component, signal)).stateDigest;
    const timing = timings.get(planned.component);
    results.push({
      component: planned.component,
      bytes: componentBytes(planned),
      digestAtBackup: planned.digestAtBackup,
      digestAfterRestore: after,
      match: after === planned.digestAtBackup,
      startedAt: timing?.startedAt ?? null,
      commitStartedAt: timing?.commitStartedAt ?? null,
      finishedAt: timing?.finishedAt ?? null,
    });
  }
  return results;
}

/** A proven full recovery ends the rack's recovery mode; healed components go back to serving. */
async function returnToService(
  client: RackClient,
  plan: RestorePlan,
  kind: RecoveryKind,
  signal: AbortSignal,
): Promise<void> {
  if (kind === 'heal') await setModes(client, plan, 'normal', signal);
  else if (plan.components.length === RESTORE_ORDER.length) await client.finishRecovery(signal);
}

async function setModes(
  client: RackClient,
  plan: RestorePlan,
  mode: 'recovery' | 'normal',
  signal: AbortSignal,
): Promise<void> {
  for (const planned of plan.components)
    await client.setComponentMode(planned.component, mode, signal);
}

function buildReport(
  options: RunOptions,
  context: RunContext,
  { client, preflight: checks }: CheckedRack,
  components: ComponentResult[],
  proven: boolean,
): RecoveryReport {
  const rack = checks.rack;
  return {
    format: REPORT_FORMAT,
    recoveryId: context.runId,
    kind: context.kind,
    result: proven ? 'proven' : 'mismatch',
    backup: {
      id: options.backup.id,
      createdAt: options.backup.createdAt,
      location: options.backup.location,
      sourceId: options.backup.sourceId,
      sourceVersion: options.backup.sourceVersion,
      keyReference: options.backup.keyReference,
    },
    rack: {
      url: client.url,
      fingerprint: client.fingerprint,
      stampId: rack?.stampId ?? 'unknown',
      version: rack?.version ?? 'unknown',
      lab: context.kind === 'drill',
    },
    operator: context.operator,
    startedAt: context.startedAt,
    finishedAt: new Date().toISOString(),
    resumes: context.resumes,
    components,
    notRestored: notRestoredList(),
  };
}

/**
 * A proven drill marks the backup "proven" with the date, also when the drill was resumed. A
 * backup this profile never listed (a laptop that only ran the drill) has no row to mark; the
 * report itself is the proof there.
 */
function markProven(catalog: Catalog, report: RecoveryReport): void {
  if (catalog.backups.get(report.backup.id) !== null) {
    catalog.backups.markProven(report.backup.id, report.finishedAt);
  }
}

function phase(options: RunOptions, name: RecoveryPhase, message: string): void {
  options.onEvent?.({ type: 'phase', phase: name, message });
}

function startJob(catalog: Catalog, kind: 'recovery' | 'drill'): string {
  const job = catalog.jobs.create({ kind });
  catalog.jobs.markRunning(job.id);
  return job.id;
}

function finishJob(
  catalog: Catalog,
  jobId: string,
  outcome: Parameters<Catalog['jobs']['finish']>[1],
): void {
  catalog.jobs.finish(jobId, outcome);
}

function audit(
  catalog: Catalog,
  context: RunContext,
  action: string,
  extra: Record<string, string> = {},
): void {
  catalog.audit.append({
    actor: `${context.operator.user}@${context.operator.host}`,
    action,
    details: {
      recoveryId: context.runId,
      kind: context.kind,
      backupId: context.backupId,
      rack: context.rack.url,
      components: context.components.join(','),
      ...extra,
    },
  });
}
