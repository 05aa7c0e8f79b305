import { useShallow } from 'zustand/react/shallow';
import { MaybeError } from '../components/ErrorNotice.js';
import { JobCard } from '../components/JobCard.js';
import { Section } from '../components/Section.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { formatBytes, formatDuration, formatTimestamp } from '../lib/format.js';
import { isActive } from '../stores/jobs.js';
import { useBackups, useJobs, useStores } from '../stores/index.js';
import { TableHead } from '../components/Choice.js';

/** The selected backup: per-component status, sizes and digests, verification, problems. */
export function BackupDetails() {
  const stores = useStores();
  const detail = useBackups((s) => s.detail);
  const selectedId = useBackups((s) => s.selectedId);
  // Every verification of this backup seen in this window, until dismissed.
  const verifyJobs = useJobs(
    useShallow((s) =>
      Object.values(s.jobs)
        .filter((job) => job.summary?.kind === 'verify' && job.summary.subject === selectedId)
        .filter((job) => isActive(job) || s.dismissed[job.jobId] === undefined)
        .map((job) => job.jobId),
    ),
  );
  const data = detail.data?.summary.backupId === selectedId ? detail.data : null;

  async function verify(readData: boolean) {
    if (selectedId === null) return;
    await stores.backups.getState().verify(selectedId, readData);
  }

  return (
    <Section
      title={`Details of backup ${selectedId ?? ''}`}
      actions={
        <>
          <button type="button" onClick={() => void verify(false)}>
            Verify
          </button>
          <button type="button" onClick={() => void verify(true)}>
            Verify all data
          </button>
          <button type="button" onClick={() => void stores.backups.getState().select(null)}>
            Close details
          </button>
        </>
      }
    >
      <MaybeError error={detail.error} title="The backup's details could not be read" />
      {verifyJobs.map((id) => (
        <JobCard key={id} level={3} jobId={id} />
      ))}
      {data === null ? (
        <p aria-busy={detail.loading}>{detail.loading ? 'Loading…' : ''}</p>
      ) : (
        <>
          <dl className="grid">
            <div className="stat">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={data.summary.status} />
              </dd>
            </div>
            <div className="stat">
              <dt>Created</dt>
              <dd>{formatTimestamp(data.summary.createdAt)}</dd>
            </div>
            <div className="stat">
              <dt>Duration</dt>
              <dd>
                {data.summary.durationSeconds === null
                  ? '—'
                  : formatDuration(data.summary.durationSeconds)}
              </dd>
            </div>
            <div className="stat">
              <dt>Added at the location</dt>
              <dd>
                {data.summary.addedBytes === null ? '—' : formatBytes(data.summary.addedBytes)}
              </dd>
            </div>
            <div className="stat">
              <dt>Rack</dt>
              <dd>{data.rack.version === null ? '—' : `version ${data.rack.version}`}</dd>
            </div>
            <div className="stat">
              <dt>Last verified</dt>
              <dd>
                {data.lastVerified === null
                  ? 'Never'
                  : `${data.lastVerified.ok ? 'OK' : 'FAILED'} ${formatTimestamp(data.lastVerified.at)}${data.lastVerified.readData ? ' (all data read)' : ''}`}
              </dd>
            </div>
            <div className="stat">
              <dt>Recovery drill</dt>
              <dd>
                {data.summary.provenAt === null
                  ? 'Not proven yet'
                  : `Proven ${formatTimestamp(data.summary.provenAt)}`}
              </dd>
            </div>
          </dl>
          {data.problems.map((problem) => (
            <MaybeError
              key={problem.code + problem.message}
              error={problem}
              title="Problem with this backup"
            />
          ))}
          <table aria-label="Components of this backup">
            <TableHead columns={['Component', 'Status', 'Size', 'Artifacts', 'State digest']} />
            <tbody>
              {data.components.map((c) => (
                <tr key={c.component} data-component={c.component} data-status={c.status}>
                  <th scope="row">{c.component}</th>
                  <td>
                    <StatusBadge status={c.status} />
                    {c.reason !== null && <div className="muted">{c.reason}</div>}
                  </td>
                  <td>{c.sizeBytes === null ? '—' : formatBytes(c.sizeBytes)}</td>
                  <td>{c.artifacts}</td>
                  <td className="mono">{c.digest ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Section>
  );
}
