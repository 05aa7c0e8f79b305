import { useEffect, useState } from 'react';
import type { BackupSummary } from '../api/types.js';
import { MaybeError } from '../components/ErrorNotice.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { VirtualTable, type Column } from '../components/VirtualTable.js';
import { countOf, formatBytes, formatDuration, formatTimestamp } from '../lib/format.js';
import { componentSummary } from '../lib/backups.js';
import { useBackups, useStores } from '../stores/index.js';
import { BackupDetails } from './BackupDetails.js';
import { PrunePanel } from './PrunePanel.js';
import { RunningJobs } from './RunningJobs.js';

const COLUMNS: readonly Column<BackupSummary>[] = [
  {
    header: 'Backup id',
    width: 'minmax(8rem, 2fr)',
    cell: (b) => (
      <span className="mono" title={b.backupId}>
        {b.backupId}
      </span>
    ),
  },
  { header: 'Created', width: '10.5rem', cell: (b) => formatTimestamp(b.createdAt) },
  {
    header: 'Duration',
    width: '5.5rem',
    cell: (b) => (b.durationSeconds === null ? '—' : formatDuration(b.durationSeconds)),
  },
  { header: 'Status', width: '10rem', cell: (b) => <StatusBadge status={b.status} /> },
  {
    header: 'Components',
    width: 'minmax(8.5rem, 1fr)',
    cell: (b) => componentSummary(b.components),
  },
  {
    header: 'Size',
    width: '6.5rem',
    cell: (b) => (b.sizeBytes === null ? '—' : formatBytes(b.sizeBytes)),
  },
  {
    header: 'Key',
    width: '6rem',
    cell: (b) =>
      b.keyEpoch !== null
        ? `epoch ${b.keyEpoch}`
        : b.certificateThumbprint !== null
          ? 'certificate'
          : '—',
  },
];

/** Every backup (virtualized), the running one live, details, verify, back up now, prune. */
export function BackupsScreen() {
  const stores = useStores();
  const list = useBackups((s) => s.list);
  const selectedId = useBackups((s) => s.selectedId);
  const actionError = useBackups((s) => s.actionError);
  const [starting, setStarting] = useState(false);

  useEffect(() => {
    void stores.backups.getState().load();
  }, [stores]);

  async function backUpNow() {
    setStarting(true);
    await stores.backups.getState().startBackup();
    setStarting(false);
  }

  const items = list.data?.items ?? [];
  return (
    <>
      <div className="row spread">
        <h1>Backups</h1>
        <div className="row">
          <button
            type="button"
            className="primary"
            onClick={() => void backUpNow()}
            disabled={starting}
          >
            Back up now
          </button>
          <button type="button" onClick={() => void stores.backups.getState().previewPrune()}>
            Prune…
          </button>
        </div>
      </div>
      <MaybeError error={actionError} />
      <RunningJobs
        kinds={['backup', 'verify', 'prune', 'catalog-rebuild']}
        exclude={(job) => job.summary?.kind === 'verify' && job.summary.subject === selectedId}
      />
      <PrunePanel />
      <MaybeError error={list.error} title="The backups could not be listed" />
      <p className="muted" aria-live="polite">
        {list.loading && list.data === null
          ? 'Reading the catalog…'
          : countOf(list.data?.total ?? 0, 'backup')}
      </p>
      {items.length > 0 && (
        <VirtualTable
          label="Backups"
          rows={items}
          columns={COLUMNS}
          rowKey={(b) => b.backupId}
          selectedKey={selectedId}
          onSelect={(b) => void stores.backups.getState().select(b.backupId)}
        />
      )}
      {selectedId !== null && <BackupDetails />}
    </>
  );
}
