/**
 * The backup controller: the one object the desktop app's router, the `lifeboat` command and
 * the tests drive. It validates every change before saving it, audits it, runs one job at a
 * time (also across processes, through `<home>/jobs/`), and reports progress as the IPC
 * contract's `HostEvent`s to the listeners registered with `on()`. It never imports Electron
 * and never prints.
 */
import { asLifeboatError } from '../../shared/errors.js';
import { probeFingerprint } from '../rack/index.js';
import type { LocationInput } from './config.js';
import {
  openControllerContext,
  type ControllerContext,
  type ControllerOptions,
  type Listener,
} from './context.js';
import type {
  AuditVerification,
  BackupDetail,
  BackupSummary,
  Health,
  JobDetail,
  JobProgress,
  JobSummary,
  LocationTestResult,
  PrunePreview,
  Settings,
  VerifyResult,
} from './contract-types.js';
import {
  changeCredentials,
  changeKey,
  changeLocation,
  changeRack,
  enableBackup,
  type CredentialsInput,
  type EnableInput,
  type EncryptionInput,
  type RackInput,
} from './enable.js';
import { BackupErrors } from './errors.js';
import { gatherHealth } from './health-service.js';
import { jobDetail, jobSummary } from './jobs.js';
import {
  inspectCertificate,
  PendingKeys,
  type CertificateInfo,
  type GeneratedKey,
} from './keys.js';
import { checkLocation } from './location.js';
import {
  getBackup,
  listBackups,
  previewPrune,
  prune,
  rebuildCatalog,
  verifyBackup,
  type PruneOutcome,
} from './maintenance.js';
import { beginBackup, type BackupRunResult, type RunBackupOptions } from './run-backup.js';
import { saveSlots } from './schedule-store.js';
import { Scheduler } from './scheduler.js';
import {
  changeSchedule,
  getSettings,
  previewSchedule,
  scheduleState,
  type ScheduleInput,
} from './settings.js';

export interface BackupControllerOptions extends ControllerOptions {
  /** Tells whether a rack URL is the simulated lab rack (the UI shows a LAB badge). */
  readonly isLabRack?: (url: string) => boolean;
  /** How often the scheduler re-reads the wall clock (default 60 s). */
  readonly schedulerCheckMs?: number;
}

export interface RunningBackup {
  readonly jobId: string;
  /** Settles when the job ends; never rejects (failures are in the result). */
  readonly done: Promise<BackupRunResult>;
}

export class BackupController {
  private readonly listeners = new Set<Listener>();
  private readonly pendingKeys: PendingKeys;
  private readonly running = new Map<
    string,
    { cancel: () => void; done: Promise<BackupRunResult> }
  >();
  private readonly progress = new Map<string, JobProgress>();
  private scheduler: Scheduler | null = null;
  private ctx!: ControllerContext;
  private closeContext: () => void = () => undefined;

  private constructor(private readonly options: BackupControllerOptions) {
    this.pendingKeys = new PendingKeys(options.now);
  }

  /** Opens the profile's catalog, vault and log. */
  static async open(options: BackupControllerOptions): Promise<BackupController> {
    const controller = new BackupController(options);
    const { context, close } = await openControllerContext(options, controller.listeners);
    controller.ctx = context;
    controller.closeContext = close;
    controller.on((event) => {
      if (event.type === 'job.progress') controller.progress.set(event.jobId, event.progress);
    });
    return controller;
  }

  /** Registers a listener for progress, log, job and "changed" events; returns its remover. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the scheduler, cancels running jobs, waits for them, closes the catalog and vault. */
  async close(): Promise<void> {
    this.stopScheduler();
    for (const job of this.running.values()) job.cancel();
    await Promise.all([...this.running.values()].map((job) => job.done));
    this.closeContext();
  }

  // --- enable-backup wizard ---------------------------------------------------------------

  /** Reachable (with these credentials), writable (probe written, read back, deleted), free space, nesting. */
  async testLocation(
    location: LocationInput,
    credentials: CredentialsInput | null = null,
  ): Promise<LocationTestResult> {
    return (await checkLocation(this.ctx, location, credentials)).result;
  }

  /** The rack certificate's SHA-256 fingerprint, for the operator to confirm before trusting it. */
  async probeRack(url: string): Promise<{ url: string; fingerprint: string }> {
    const fingerprint = await probeFingerprint(url, { timeoutMs: 10_000 });
    return { url, fingerprint: fingerprint.replaceAll(':', '').toLowerCase() };
  }

  /** A new 256-bit key, returned ONCE; usable only after `confirmGeneratedKey`. */
  generateKey(): GeneratedKey {
    return this.pendingKeys.generate();
  }

  confirmGeneratedKey(pendingKeyId: string, confirmation: string) {
    const { keyFingerprint } = this.pendingKeys.confirm(pendingKeyId, confirmation);
    return { pendingKeyId, confirmed: true as const, keyFingerprint };
  }

  discardGeneratedKey(pendingKeyId: string): void {
    this.pendingKeys.discard(pendingKeyId);
  }

  inspectCertificate(certificate: Uint8Array): CertificateInfo {
    return inspectCertificate(Buffer.from(certificate));
  }

  /** Validates location, rack and key, creates or opens the repository, saves, audits. */
  async enable(input: EnableInput): Promise<Settings> {
    await enableBackup(this.ctx, this.pendingKeys, input);
    this.scheduler?.poke();
    return this.settings();
  }

  // --- backups -----------------------------------------------------------------------------

  /**
   * Starts a backup now and returns at once with its job id; a second start while one runs
   * (here or in another process) throws BACKUP_JOB_RUNNING naming the running job. An
   * on-demand backup does not move the next scheduled run.
   */
  startBackup(options: RunBackupOptions = {}): RunningBackup {
    const run = beginBackup(this.ctx, options);
    const done = run.done.finally(() => {
      this.running.delete(run.jobId);
      this.progress.delete(run.jobId);
    });
    this.running.set(run.jobId, { cancel: run.cancel, done });
    return { jobId: run.jobId, done };
  }

  /** Runs a backup to its end (for `lifeboat backup start --wait` and the scheduler). */
  async runBackup(options: RunBackupOptions = {}): Promise<BackupRunResult> {
    return await this.startBackup(options).done;
  }

  /** Cancels a job this process runs: the writer is aborted, nothing is listed as good. */
  cancelJob(jobId: string): JobSummary {
    const job = this.running.get(jobId);
    if (job === undefined) {
      throw BackupErrors.create('BACKUP_NOT_FOUND', `No job ${jobId} is running in this process.`, {
        hint: 'Cancel a job from the process that runs it (the app or the command that started it).',
      });
    }
    job.cancel();
    return jobSummary(this.ctx.catalog.jobs.require(jobId));
  }

  listBackups(filter: { statuses?: string[] } = {}): BackupSummary[] {
    return listBackups(this.ctx, filter);
  }

  async getBackup(backupId: string): Promise<BackupDetail> {
    return await getBackup(this.ctx, backupId);
  }

  async verifyBackup(
    backupId: string,
    options: { readData: boolean; signal?: AbortSignal },
  ): Promise<VerifyResult> {
    return await verifyBackup(this.ctx, backupId, options);
  }

  /** What retention (the configured one, or `retentionDays`) would delete now. */
  previewPrune(retentionDays: number | null = null): PrunePreview {
    return previewPrune(this.ctx, retentionDays);
  }

  /** Deletes exactly the confirmed backups retention selects, and reclaims their space. */
  async prune(options: {
    confirmBackupIds: readonly string[] | 'all-planned';
    dryRun?: boolean;
  }): Promise<PruneOutcome> {
    return await prune(this.ctx, options);
  }

  /** Rebuilds the catalog's backup list from the repository (the truth at the location). */
  async rebuildCatalog(): Promise<{ backups: number; added: number; removed: number }> {
    return await rebuildCatalog(this.ctx);
  }

  // --- settings ----------------------------------------------------------------------------

  settings(): Settings {
    return getSettings(this.ctx, this.isLab);
  }

  previewSchedule(schedule: ScheduleInput): PrunePreview {
    return previewSchedule(this.ctx, schedule);
  }

  /** Throws CONFIG_CONFIRMATION_REQUIRED listing the backups a lower retention would delete. */
  changeSchedule(schedule: ScheduleInput, confirmDeletes: readonly string[] = []): Settings {
    changeSchedule(this.ctx, schedule, confirmDeletes);
    this.scheduler?.poke();
    return this.settings();
  }

  async changeLocation(input: {
    location: LocationInput;
    credentials: CredentialsInput | null;
    encryption?: EncryptionInput | null;
  }): Promise<Settings> {
    await changeLocation(
      this.ctx,
      { ...input, encryption: input.encryption ?? null },
      this.pendingKeys,
    );
    return this.settings();
  }

  async changeCredentials(credentials: CredentialsInput): Promise<Settings> {
    await changeCredentials(this.ctx, credentials);
    return this.settings();
  }

  async changeKey(encryption: EncryptionInput): Promise<Settings> {
    await changeKey(this.ctx, this.pendingKeys, encryption);
    return this.settings();
  }

  async changeRack(rack: RackInput): Promise<Settings> {
    await changeRack(this.ctx, rack);
    return this.settings();
  }

  // --- activity and health -------------------------------------------------------------------

  async health(): Promise<Health> {
    return await gatherHealth(this.ctx, this.isLab);
  }

  listJobs(options: { limit?: number } = {}): JobSummary[] {
    return this.ctx.catalog.jobs.list({ limit: options.limit ?? 500 }).map(jobSummary);
  }

  getJob(jobId: string): JobDetail {
    const detail = jobDetail(this.ctx.catalog, jobId);
    // A job this process runs has fresher progress in memory than its persisted samples.
    return { ...detail, progress: this.progress.get(jobId) ?? detail.progress };
  }

  listAudit(options: { afterSeq?: number; limit?: number } = {}) {
    return this.ctx.catalog.audit.list(options);
  }

  verifyAudit(): AuditVerification {
    const result = this.ctx.catalog.verifyAudit();
    return result.ok
      ? {
          ok: true,
          entries: result.entries,
          firstBrokenSeq: null,
          message: `All ${result.entries} audit entries chain correctly.`,
        }
      : {
          ok: false,
          entries: result.entries,
          firstBrokenSeq: result.firstBrokenSeq,
          message: `The audit log is broken at entry ${result.firstBrokenSeq}: ${result.reason}`,
        };
  }

  // --- scheduler -----------------------------------------------------------------------------

  /** Runs scheduled backups while this process lives (the desktop app calls it once). */
  startScheduler(): void {
    if (this.scheduler !== null) return;
    this.scheduler = new Scheduler({
      load: () => {
        const config = this.ctx.catalog.config.get();
        return config === null
          ? { enabled: false, frequencyHours: 12, anchorMs: this.ctx.now(), lastSlotMs: null }
          : scheduleState(this.ctx, config);
      },
      save: (state) => saveSlots(this.ctx.home, state),
      run: async (slotMs, missed) => {
        this.ctx.logger.info('schedule.due', {
          slot: new Date(slotMs).toISOString(),
          missedSlots: missed,
        });
        try {
          await this.runBackup({ trigger: 'scheduled' });
        } catch (error) {
          // A refused start (another job runs) skips this slot, as Azure Stack marks it Skipped.
          this.ctx.logger.warn('schedule.skipped', { error: asLifeboatError(error) });
        }
      },
      now: this.ctx.now,
      ...(this.options.schedulerCheckMs === undefined
        ? {}
        : { checkEveryMs: this.options.schedulerCheckMs }),
    });
    this.scheduler.start();
  }

  stopScheduler(): void {
    this.scheduler?.stop();
    this.scheduler = null;
  }

  private readonly isLab = (url: string): boolean => this.options.isLabRack?.(url) ?? false;
}
