import type { PrunePreview } from '../api/types.js';
import { countOf, formatBytes, formatTimestamp } from '../lib/format.js';
import { StatusBadge } from './StatusBadge.js';
import { TableHead } from './Choice.js';

/**
 * What a prune or a retention change would delete, listed before the operator confirms; used by
 * both the Backups screen and Settings so the two never disagree.
 */
export function DeletionList({ preview }: { preview: PrunePreview }) {
  if (preview.wouldDelete.length === 0) {
    return (
      <p data-testid="nothing-to-delete">
        With {preview.retentionDays} days of retention nothing would be deleted.
      </p>
    );
  }
  return (
    <>
      <p role="status">
        With {preview.retentionDays} days of retention,{' '}
        {countOf(preview.wouldDelete.length, 'backup')} would be deleted
        {preview.reclaimableBytes === null
          ? ''
          : `, freeing about ${formatBytes(preview.reclaimableBytes)}`}
        .
        {preview.keptNewestSucceeded !== null &&
          ` The newest Succeeded backup (${preview.keptNewestSucceeded}) is always kept.`}
      </p>
      <table aria-label="Backups that would be deleted">
        <TableHead columns={['Backup id', 'Created', 'Status']} />
        <tbody>
          {preview.wouldDelete.slice(0, 200).map((b) => (
            <tr key={b.backupId}>
              <td className="mono">{b.backupId}</td>
              <td>{formatTimestamp(b.createdAt)}</td>
              <td>
                <StatusBadge status={b.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {preview.wouldDelete.length > 200 && (
        <p className="muted">…and {preview.wouldDelete.length - 200} older backups.</p>
      )}
    </>
  );
}
