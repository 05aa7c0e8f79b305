import { useEffect } from 'react';
import type { RecoveryReport } from '../../api/types.js';
import { MaybeError } from '../../components/ErrorNotice.js';
import { formatBytes, formatDuration, formatTimestamp } from '../../lib/format.js';
import { useRecovery } from '../../stores/index.js';
import { TableHead } from '../../components/Choice.js';

/** Saves text made here (the report) as a file, through a short-lived blob URL. */
function save(text: string, type: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The recovery report: the backup, the rack, every component's digest before and after. */
export function ReportStep() {
  const report = useRecovery((s) => s.report);
  const loadReport = useRecovery((s) => s.loadReport);
  useEffect(() => {
    if (report.data === null && !report.loading && report.error === null) void loadReport();
  }, [report, loadReport]);
  return (
    <>
      <MaybeError error={report.error} title="The report could not be read" />
      {report.data === null ? (
        <p aria-busy={report.loading}>{report.loading ? 'Reading the report…' : ''}</p>
      ) : (
        <Report report={report.data} />
      )}
    </>
  );
}

function Report({ report }: { report: RecoveryReport }) {
  const { html, ...withoutHtml } = report;
  const base = `recovery-report-${report.recoveryId}`;
  return (
    <section
      aria-labelledby="report-title"
      data-testid="recovery-report"
      data-all-match={report.allDigestsMatch}
    >
      <h3 id="report-title">
        {report.drill ? 'Drill' : 'Recovery'} report:{' '}
        {report.allDigestsMatch ? 'every digest matches' : 'DIGESTS DIFFER'}
      </h3>
      <div className={`notice ${report.allDigestsMatch ? 'success' : 'error'}`} role="status">
        {report.allDigestsMatch
          ? `What was restored equals what was backed up, for all ${report.components.length} components.`
          : 'Some restored components differ from the backup: do not return the rack to service.'}
      </div>
      <dl className="summary">
        <dt>Backup</dt>
        <dd className="mono">{report.backupId}</dd>
        <dt>Rack</dt>
        <dd className="mono">
          {report.rack.url} {report.rack.version === null ? '' : `(version ${report.rack.version})`}
        </dd>
        <dt>Run by</dt>
        <dd>{report.operator}</dd>
        <dt>Started</dt>
        <dd>{formatTimestamp(report.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{report.finishedAt === null ? '—' : formatTimestamp(report.finishedAt)}</dd>
      </dl>
      <table aria-label="Digests per component">
        <TableHead
          columns={[
            'Component',
            'Match',
            'Digest in the backup',
            'Digest after restore',
            'Size',
            'Time',
          ]}
        />
        <tbody>
          {report.components.map((c) => (
            <tr key={c.component} data-component={c.component} data-match={c.match}>
              <th scope="row">{c.component}</th>
              <td>
                <span className={`badge ${c.match ? 'ok' : 'bad'}`}>
                  {c.match ? 'Match' : 'Differs'}
                </span>
              </td>
              <td className="mono">{c.backupDigest}</td>
              <td className="mono">{c.restoredDigest ?? '—'}</td>
              <td>{formatBytes(c.bytes)}</td>
              <td>{c.seconds === null ? '—' : formatDuration(c.seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>Not restored, by design: {report.notRestored.join(', ')}.</p>
      <div className="row no-print">
        <button type="button" onClick={() => save(html, 'text/html', `${base}.html`)}>
          Save the printable report (HTML)
        </button>
        <button
          type="button"
          onClick={() =>
            save(JSON.stringify(withoutHtml, null, 2), 'application/json', `${base}.json`)
          }
        >
          Save the report as JSON
        </button>
      </div>
    </section>
  );
}
