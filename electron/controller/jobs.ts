/**
 * Jobs as the screens and the command show them: the catalog's job rows and events mapped to
 * the contract's JobSummary / JobDetail.
 */
import { z } from 'zod';
import type { Catalog, Job } from '../catalog/index.js';
import { ErrorBodySchema } from '../../shared/contract/index.js';
import type { JobDetail, JobSummary } from './contract-types.js';
import { progressFromSamples } from './progress.js';

const STATUS = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  'partially-succeeded': 'partial',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;

/** What the controller writes into a job's result JSON. */
const jobResult = z
  .object({
    backupId: z.string().nullable().optional(),
    status: z.string().optional(),
    error: ErrorBodySchema.optional(),
  })
  .loose();

export function jobSummary(job: Job): JobSummary {
  const result = jobResult.safeParse(job.result ?? {});
  const body = result.success ? result.data : {};
  return {
    jobId: job.id,
    kind: job.kind,
    status: STATUS[job.state],
    subject: body.backupId ?? null,
    startedAt: job.started ?? job.created,
    finishedAt: job.finished,
    error: body.error ?? null,
  };
}

export function jobDetail(catalog: Catalog, jobId: string): JobDetail {
  const job = catalog.jobs.require(jobId);
  const events = catalog.jobs.events(jobId);
  const summary = jobSummary(job);
  const body = jobResult.safeParse(job.result ?? {});
  const backupId = body.success ? body.data.backupId : undefined;
  const status = body.success ? body.data.status : undefined;
  return {
    job: summary,
    // The last progress persisted with the job, so its history shows it after a restart.
    progress: progressFromSamples(events),
    log: events
      .filter((e) => e.kind === 'log')
      .map((e) => ({
        at: e.time,
        level: e.level === 'warn' ? 'warning' : e.level,
        message: e.message,
      })),
    result:
      job.kind === 'backup' && typeof backupId === 'string' && isBackupStatus(status)
        ? { kind: 'backup', backupId, status }
        : null,
  };
}

function isBackupStatus(value: unknown): value is 'Succeeded' | 'PartialSucceeded' | 'Failed' {
  return value === 'Succeeded' || value === 'PartialSucceeded' || value === 'Failed';
}
