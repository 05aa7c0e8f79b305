import { useEffect, useState } from 'react';
import type { ErrorBody } from '../../../shared/errors.js';
import { formatTimestamp } from '../lib/format.js';
import { isActive, type LiveJob } from '../stores/jobs.js';
import { attempt } from '../stores/resource.js';
import { useJobs, useStores } from '../stores/index.js';
import { MaybeError } from './ErrorNotice.js';
import { ComponentProgressList, ProgressBar } from './ProgressView.js';
import { Section } from './Section.js';
import { StatusBadge } from './StatusBadge.js';

const KIND_LABELS: Record<string, string> = {
  backup: 'Backup',
  verify: 'Verification',
  prune: 'Prune',
  'catalog-rebuild': 'Catalog rebuild',
  'recovery-verify': 'Backup verification',
  recovery: 'Cloud recovery',
  drill: 'Recovery drill',
};

function kindLabel(job: Pick<LiveJob, 'summary'>): string {
  return job.summary === null ? 'Job' : (KIND_LABELS[job.summary.kind] ?? job.summary.kind);
}

export function jobTitle(job: Pick<LiveJob, 'summary' | 'jobId'>): string {
  const kind = kindLabel(job);
  const subject = job.summary?.subject;
  return subject ? `${kind} ${subject}` : kind;
}

/** The job statuses in the Azure-Stack words the rest of the screens use. */
export function jobStatusLabel(status: string): string {
  const labels: Record<string, string> = {
    queued: 'Queued',
    running: 'Running',
    paused: 'Paused',
    succeeded: 'Succeeded',
    partial: 'PartialSucceeded',
    failed: 'Failed',
    cancelled: 'Cancelled',
  };
  return labels[status] ?? status;
}

/**
 * One job, live: overall and per-component progress (bytes, rate, ETA), its status, its last
 * log lines, its error with the hint, and Cancel while it runs.
 */
export function JobCard({
  jobId,
  title,
  level = 2,
  onClose,
}: {
  jobId: string;
  title?: string;
  /** 3 where the card sits inside a section with its own h2. */
  level?: 2 | 3;
  /** Where the card was opened on demand (Activity): Close instead of Dismiss. */
  onClose?: () => void;
}) {
  const job = useJobs((s) => s.jobs[jobId]);
  const dismiss = useJobs((s) => s.dismiss);
  const load = useJobs((s) => s.load);
  // Events may have gone by before this window listened (a reload, a job started elsewhere):
  // ask for the job's record instead of waiting for an event that will not come.
  useEffect(() => {
    if (job === undefined) void load(jobId);
  }, [job, jobId, load]);
  const { client } = useStores();
  const [cancelError, setCancelError] = useState<ErrorBody | null>(null);
  if (job === undefined) {
    return (
      <Section title={title ?? 'Job'} level={level}>
        <p>Starting…</p>
      </Section>
    );
  }
  async function cancel() {
    const outcome = await attempt(() => client.call('jobs.cancel', { jobId }));
    setCancelError(outcome.ok ? null : outcome.error);
  }
  const status = job.summary?.status ?? 'queued';
  const lastLog = job.log.at(-1);
  return (
    <Section
      title={title ?? jobTitle(job)}
      level={level}
      actions={
        isActive(job) ? (
          <button type="button" className="danger" onClick={() => void cancel()}>
            Cancel {kindLabel(job).toLowerCase()}
          </button>
        ) : (
          <button type="button" onClick={onClose ?? (() => dismiss(jobId))}>
            {onClose === undefined ? 'Dismiss' : 'Close'}
          </button>
        )
      }
    >
      <div className="row" data-testid={`job-${jobId}`} data-job-status={status}>
        <StatusBadge status={jobStatusLabel(status)} />
        {job.summary !== null && (
          <span className="muted">started {formatTimestamp(job.summary.startedAt)}</span>
        )}
        {job.progress !== null && isActive(job) && (
          <span className="muted">{job.progress.phase}</span>
        )}
      </div>
      {job.progress !== null && (
        <>
          <ProgressBar label="Overall" progress={job.progress.overall} />
          {job.progress.components.length > 0 && (
            <ComponentProgressList
              caption={`${jobTitle(job)}: progress per component`}
              components={job.progress.components}
            />
          )}
        </>
      )}
      {lastLog !== undefined && (
        <p className="muted" aria-live="polite">
          {lastLog.message}
        </p>
      )}
      {job.log.length > 1 && (
        <details>
          <summary>Job log ({job.log.length} lines)</summary>
          <ol className="job-log">
            {job.log.map((entry, index) => (
              <li key={index} data-level={entry.level}>
                <span className="muted">{formatTimestamp(entry.at)}</span> {entry.level}:{' '}
                {entry.message}
              </li>
            ))}
          </ol>
        </details>
      )}
      <MaybeError error={job.summary?.error ?? null} title={`${jobTitle(job)} failed`} />
      <MaybeError error={cancelError} title="The job could not be cancelled" />
    </Section>
  );
}
