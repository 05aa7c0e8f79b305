/**
 * Live jobs: what the `job.*` events say about backups, verifications, prunes and recoveries in
 * flight. The reducer is pure so it is tested without a transport; the store wraps it.
 */
import { createStore } from 'zustand/vanilla';
import type { LifeboatClient } from '../api/client.js';
import type { HostEvent, JobDetail, JobLogEntry, JobProgress, JobSummary } from '../api/types.js';

export interface LiveJob {
  jobId: string;
  summary: JobSummary | null;
  progress: JobProgress | null;
  log: JobLogEntry[];
  result: JobDetail['result'];
}

/** Enough log lines to explain a failure without letting a chatty job grow without bound. */
export const MAX_LOG_LINES = 200;

export type JobsById = Readonly<Record<string, LiveJob>>;

function blank(jobId: string): LiveJob {
  return { jobId, summary: null, progress: null, log: [], result: null };
}

/** Folds one host event into the live jobs; events about other things leave them unchanged. */
export function applyJobEvent(jobs: JobsById, event: HostEvent): JobsById {
  switch (event.type) {
    case 'job.started':
    case 'job.finished': {
      const job = jobs[event.job.jobId] ?? blank(event.job.jobId);
      return { ...jobs, [job.jobId]: { ...job, summary: event.job } };
    }
    case 'job.progress': {
      const job = jobs[event.jobId] ?? blank(event.jobId);
      // A progress event that arrives after the end (reordering across reconnects) is stale.
      if (job.summary !== null && job.summary.finishedAt !== null) return jobs;
      return { ...jobs, [job.jobId]: { ...job, progress: event.progress } };
    }
    case 'job.log': {
      const job = jobs[event.jobId] ?? blank(event.jobId);
      const log = [...job.log, event.entry].slice(-MAX_LOG_LINES);
      return { ...jobs, [job.jobId]: { ...job, log } };
    }
    default:
      return jobs;
  }
}

/**
 * Replaces what events told us with the main process's full record (after a reload, at the
 * end). The last progress seen stays when the record has none, so a finished job still shows
 * each component's final status.
 */
export function applyJobDetail(jobs: JobsById, detail: JobDetail): JobsById {
  const id = detail.job.jobId;
  return {
    ...jobs,
    [id]: {
      jobId: id,
      summary: detail.job,
      progress: detail.progress ?? jobs[id]?.progress ?? null,
      log: detail.log.slice(-MAX_LOG_LINES),
      result: detail.result,
    },
  };
}

export function isActive(job: LiveJob): boolean {
  const status = job.summary?.status;
  return status === undefined || status === 'queued' || status === 'running' || status === 'paused';
}

export interface JobsState {
  jobs: JobsById;
  /** Finished jobs the operator closed; until then a finished job stays on screen. */
  dismissed: Readonly<Record<string, true>>;
  dismiss(jobId: string): void;
  apply(event: HostEvent): void;
  /** Fetches a job's full record (progress, log, result); used after a reload and at the end. */
  load(jobId: string): Promise<void>;
}

export function createJobsStore(client: LifeboatClient) {
  return createStore<JobsState>()((set, get) => ({
    jobs: {},
    dismissed: {},
    dismiss(jobId) {
      set({ dismissed: { ...get().dismissed, [jobId]: true } });
    },
    apply(event) {
      const next = applyJobEvent(get().jobs, event);
      if (next !== get().jobs) set({ jobs: next });
      if (event.type === 'job.finished') void get().load(event.job.jobId);
    },
    async load(jobId) {
      try {
        const detail = await client.call('jobs.get', { jobId });
        set({ jobs: applyJobDetail(get().jobs, detail) });
      } catch {
        // The job's events remain; a missing record (pruned history) is not worth an alert.
      }
    },
  }));
}
