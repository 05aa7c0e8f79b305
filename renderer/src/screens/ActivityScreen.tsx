import { useEffect, useState } from 'react';
import { JobCard, jobStatusLabel, jobTitle } from '../components/JobCard.js';
import { MaybeError } from '../components/ErrorNotice.js';
import { Notice } from '../components/Notice.js';
import { Section } from '../components/Section.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { formatTimestamp } from '../lib/format.js';
import { useActivity, useStores } from '../stores/index.js';
import { TableHead } from '../components/Choice.js';

/** Job history and the hash-chained audit log, with its verification on demand. */
export function ActivityScreen() {
  const stores = useStores();
  useEffect(() => {
    void stores.activity.getState().load();
  }, [stores]);
  return (
    <>
      <h1>Activity</h1>
      <JobsSection />
      <AuditSection />
    </>
  );
}

function JobsSection() {
  const jobs = useActivity((s) => s.jobs);
  const [open, setOpen] = useState<string | null>(null);
  const onOpen = (jobId: string) => setOpen(jobId === open ? null : jobId);
  return (
    <Section title="Jobs">
      {open !== null && <JobCard jobId={open} level={3} onClose={() => setOpen(null)} />}
      <MaybeError error={jobs.error} title="The job history could not be read" />
      <table aria-label="Job history">
        <TableHead columns={['Job', 'Status', 'Started', 'Finished', 'Error', 'Details']} />
        <tbody>
          {(jobs.data?.items ?? []).map((job) => (
            <tr key={job.jobId}>
              <td>{jobTitle({ jobId: job.jobId, summary: job })}</td>
              <td>
                <StatusBadge status={jobStatusLabel(job.status)} />
              </td>
              <td>{formatTimestamp(job.startedAt)}</td>
              <td>{job.finishedAt === null ? '—' : formatTimestamp(job.finishedAt)}</td>
              <td>{job.error === null ? '' : `${job.error.message} (${job.error.code})`}</td>
              <td>
                <button type="button" onClick={() => onOpen(job.jobId)}>
                  Show<span className="visually-hidden"> job {job.jobId}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function AuditSection() {
  const stores = useStores();
  const audit = useActivity((s) => s.audit);
  const verification = useActivity((s) => s.verification);
  const result = verification.data;
  return (
    <Section
      title="Audit log"
      actions={
        <button
          type="button"
          onClick={() => void stores.activity.getState().verifyAudit()}
          disabled={verification.loading}
        >
          Verify the audit log
        </button>
      }
    >
      <MaybeError error={audit.error} title="The audit log could not be read" />
      <MaybeError error={verification.error} title="The audit log could not be verified" />
      {result !== null && (
        <Notice
          tone={result.ok ? 'success' : 'warning'}
          title={result.ok ? 'Audit log intact' : 'Audit log broken'}
        >
          <p data-testid="audit-verification">
            {result.message} ({result.entries} entries
            {result.firstBrokenSeq === null ? '' : `; first broken entry #${result.firstBrokenSeq}`}
            )
          </p>
        </Notice>
      )}
      <table aria-label="Audit log entries">
        <TableHead columns={['#', 'When', 'Who', 'Action', 'Subject', 'Details']} />
        <tbody>
          {(audit.data?.items ?? []).map((entry) => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td>{formatTimestamp(entry.at)}</td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td className="mono">{entry.subject ?? ''}</td>
              <td className="mono">
                {Object.entries(entry.details)
                  .map(([key, value]) => `${key}=${String(value)}`)
                  .join(' ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
