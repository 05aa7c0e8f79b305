import { StatusBadge } from '../../components/StatusBadge.js';
import { componentSummary } from '../../lib/backups.js';
import { formatBytes, formatTimestamp } from '../../lib/format.js';
import { useRecovery } from '../../stores/index.js';
import { TableHead } from '../../components/Choice.js';

/** The discovered backups, newest first; the operator picks one (usually the newest good one). */
export function BackupStep() {
  const backups = useRecovery((s) => s.discovery.data?.backups ?? []);
  const backupId = useRecovery((s) => s.backupId);
  const choose = useRecovery((s) => s.chooseBackup);
  const sorted = [...backups].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <fieldset>
      <legend>Choose the backup to restore</legend>
      <table aria-label="Discovered backups">
        <TableHead
          columns={[
            'Choose',
            'Backup id',
            'Created',
            'Status',
            'Components',
            'Rack',
            'Size',
            'Needs',
          ]}
        />
        <tbody>
          {sorted.map((b) => (
            <tr key={b.backupId} data-backup-id={b.backupId}>
              <td>
                <input
                  type="radio"
                  name="recovery-backup"
                  aria-label={`Backup ${b.backupId}`}
                  checked={b.backupId === backupId}
                  onChange={() => choose(b.backupId)}
                />
              </td>
              <td className="mono">{b.backupId}</td>
              <td>{formatTimestamp(b.createdAt)}</td>
              <td>
                <StatusBadge status={b.status} />
              </td>
              <td>{componentSummary(b.components)}</td>
              <td>
                {b.stampId ?? '—'} {b.rackVersion === null ? '' : `v${b.rackVersion}`}
              </td>
              <td>{b.sizeBytes === null ? '—' : formatBytes(b.sizeBytes)}</td>
              <td>
                {b.keyEpoch !== null
                  ? `key epoch ${b.keyEpoch}`
                  : b.certificateThumbprint !== null
                    ? `certificate ${b.certificateThumbprint.slice(0, 12)}…`
                    : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </fieldset>
  );
}
