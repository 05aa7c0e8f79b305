/**
 * Jobs the host runs on behalf of a service that offers an operation only as a promise
 * (verify, prune, catalog rebuild, recovery steps): the call returns a JobRef at once, the
 * work goes on, and its start, progress, log and end are pushed as the contract's job events.
 * `get` answers `jobs.get` for these ids until the app exits; the services' own records (the
 * catalog's job history) remain the durable trace.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type {
  HostEvent,
  JobDetail,
  JobKind,
  JobProgress,
  JobResult,
  JobSummary,
} from '../../shared/contract/index.js';
import { asLifeboatError } from '../../shared/errors.js';

type Detail = z.output<typeof JobDetail>;
type Summary = z.output<typeof JobSummary>;
type Kind = z.output<typeof JobKind>;
type Result = z.output<typeof JobResult>;
type Progress = z.output<typeof JobProgress>;

export interface JobControls {
  readonly signal: AbortSignal;
  progress(progress: Progress): void;
  log(level: 'info' | 'warning' | 'error', message: string): void;
}

interface Running {
  detail: Detail;
  abort: AbortController;
  pausedBy: 'cancel' | 'pause' | null;
}

const KEEP_FINISHED = 200;

export class HostJobs {
  private readonly jobs = new Map<string, Running>();

  constructor(private readonly emit: (event: HostEvent) => void) {}

  /** Starts `work` and returns its id at once; its outcome arrives as `job.finished`. */
  start(
    kind: Kind,
    subject: string | null,
    work: (controls: JobControls) => Promise<{ result: Result; status?: Summary['status'] }>,
  ): { jobId: string; kind: Kind } {
    const jobId = `job-${randomUUID()}`;
    const job: Summary = {
      jobId,
      kind,
      status: 'running',
      subject,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
    const running: Running = {
      detail: { job, progress: null, log: [], result: null },
      abort: new AbortController(),
      pausedBy: null,
    };
    this.jobs.set(jobId, running);
    this.forgetOld();
    this.emit({ type: 'job.started', job: { ...job } });
    void this.carryOut(running, work);
    return { jobId, kind };
  }

  private async carryOut(
    running: Running,
    work: (controls: JobControls) => Promise<{ result: Result; status?: Summary['status'] }>,
  ): Promise<void> {
    const { job } = running.detail;
    const controls: JobControls = {
      signal: running.abort.signal,
      progress: (progress) => {
        running.detail.progress = progress;
        const at = new Date().toISOString();
        this.emit({ type: 'job.progress', jobId: job.jobId, kind: job.kind, at, progress });
      },
      log: (level, message) => {
        const entry = { at: new Date().toISOString(), level, message };
        running.detail.log.push(entry);
        this.emit({ type: 'job.log', jobId: job.jobId, entry });
      },
    };
    try {
      const outcome = await work(controls);
      running.detail.result = outcome.result;
      job.status = outcome.status ?? 'succeeded';
    } catch (error) {
      const failure = asLifeboatError(error);
      job.status =
        running.pausedBy === 'pause'
          ? 'paused'
          : failure.category === 'cancelled'
            ? 'cancelled'
            : 'failed';
      job.error = job.status === 'failed' ? failure.toBody() : null;
    }
    job.finishedAt = new Date().toISOString();
    this.emit({ type: 'job.finished', job: { ...job } });
    this.emit({ type: 'changed', topics: ['jobs'] });
  }

  get(jobId: string): Detail | undefined {
    const running = this.jobs.get(jobId);
    return running === undefined ? undefined : structuredClone(running.detail);
  }

  /** Stops a running host job; `pause` leaves it resumable (recovery keeps its journal). */
  stop(jobId: string, why: 'cancel' | 'pause'): Summary | undefined {
    const running = this.jobs.get(jobId);
    if (running === undefined) return undefined;
    if (running.detail.job.finishedAt === null) {
      running.pausedBy = why;
      running.abort.abort();
    }
    return { ...running.detail.job };
  }

  /** Aborts every job still running (the app is closing) and waits for none of them. */
  stopAll(): void {
    for (const running of this.jobs.values()) running.abort.abort();
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((r) => r.detail.job.finishedAt !== null);
    for (const running of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      this.jobs.delete(running.detail.job.jobId);
    }
  }
}
