/**
 * Events main pushes to the renderer: job progress and "something changed, refetch". They are
 * broadcast to every window (Electron) and every event stream (console); none carries a secret.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { JobKind, JobLogEntry, JobProgress, JobSummary } from './models.js';

export const Topic = z.enum([
  'health',
  'backups',
  'settings',
  'jobs',
  'audit',
  'vault',
  'recoveries',
]);
export type Topic = z.infer<typeof Topic>;

export const HostEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('job.started'), job: JobSummary }),
  z.strictObject({
    type: z.literal('job.progress'),
    jobId: Id,
    kind: JobKind,
    at: Timestamp,
    progress: JobProgress,
  }),
  z.strictObject({ type: z.literal('job.log'), jobId: Id, entry: JobLogEntry }),
  z.strictObject({ type: z.literal('job.finished'), job: JobSummary }),
  /** Data behind these topics changed (a backup finished, a setting changed): refetch them. */
  z.strictObject({ type: z.literal('changed'), topics: z.array(Topic).min(1) }),
]);
export type HostEvent = z.infer<typeof HostEvent>;
