import type { Health } from '../api/types.js';
import { MaybeError } from '../components/ErrorNotice.js';
import { Notice } from '../components/Notice.js';
import { Section } from '../components/Section.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { VaultUnlock } from '../components/VaultUnlock.js';
import { formatBytes, formatRelative, formatTimestamp } from '../lib/format.js';
import { useState } from 'react';
import type { ErrorBody } from '../../../shared/errors.js';
import { useApp, useStores } from '../stores/index.js';
import { useNow } from '../lib/useNow.js';
import { RunningJobs } from './RunningJobs.js';

/** Health at a glance: last good backup, next run, space, alerts with what to do. */
export function DashboardScreen() {
  const health = useApp((s) => s.health);
  const locked = useApp((s) => s.vault.data?.locked ?? false);
  const go = useApp((s) => s.go);
  const data = health.data;
  return (
    <>
      <h1>Dashboard</h1>
      <MaybeError error={health.error} title="Health could not be read" />
      {locked && <VaultUnlock />}
      {data === null ? (
        <p aria-busy={health.loading}>
          {health.loading ? 'Reading the rack and the location…' : ''}
        </p>
      ) : !data.configured ? (
        <Notice tone="info" title="Backup is not enabled yet">
          <p>Nothing protects this rack&apos;s infrastructure data until backup is enabled.</p>
          <button type="button" className="primary" onClick={() => go('enable')}>
            Enable backup
          </button>
        </Notice>
      ) : (
        <HealthSummary health={data} />
      )}
      <RunningJobs />
    </>
  );
}

function HealthSummary({ health }: { health: Health }) {
  const now = useNow(30_000);
  const stores = useStores();
  const [startError, setStartError] = useState<ErrorBody | null>(null);
  async function backUpNow() {
    await stores.backups.getState().startBackup();
    setStartError(stores.backups.getState().actionError);
  }
  return (
    <>
      <div className="row no-print">
        <button
          type="button"
          className="primary"
          onClick={() => void backUpNow()}
          disabled={health.runningJobId !== null}
        >
          Back up now
        </button>
      </div>
      <MaybeError error={startError} title="The backup did not start" />
      <Section title="Alerts">
        {health.alerts.length === 0 ? (
          <p className="muted" data-testid="no-alerts">
            No alerts: backups are running on schedule.
          </p>
        ) : (
          <ul aria-label="Alerts">
            {health.alerts.map((alert) => (
              <li key={alert.code} data-alert={alert.code}>
                <span
                  className={`badge ${alert.severity === 'critical' ? 'bad' : alert.severity === 'warning' ? 'warn' : 'info'}`}
                >
                  {alert.severity}
                </span>{' '}
                <strong>{alert.message}</strong>
                <div>What to do: {alert.hint}</div>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <div className="grid">
        <dl className="card stat">
          <dt>Last Succeeded backup</dt>
          <dd data-testid="last-succeeded">
            {health.lastSucceeded === null
              ? 'None yet'
              : formatRelative(Date.parse(health.lastSucceeded.createdAt), now)}
          </dd>
          {health.lastSucceeded !== null && (
            <dd className="muted mono">
              {health.lastSucceeded.backupId} · {formatTimestamp(health.lastSucceeded.createdAt)}
            </dd>
          )}
        </dl>
        <dl className="card stat">
          <dt>Latest backup</dt>
          <dd data-testid="latest-backup">
            {health.lastBackup === null ? (
              'None yet'
            ) : (
              <StatusBadge status={health.lastBackup.status} />
            )}
          </dd>
          {health.lastBackup !== null && (
            <dd className="muted mono">
              {health.lastBackup.backupId} · {formatTimestamp(health.lastBackup.createdAt)}
            </dd>
          )}
        </dl>
        <dl className="card stat">
          <dt>Next scheduled run</dt>
          <dd data-testid="next-run">
            {!health.schedulerEnabled
              ? 'Schedule off'
              : health.nextRunAt === null
                ? '—'
                : formatRelative(Date.parse(health.nextRunAt), now)}
          </dd>
        </dl>
        <dl className="card stat">
          <dt>Free space at the location</dt>
          <dd>
            {(health.location?.freeBytes ?? null) === null
              ? '—'
              : formatBytes(health.location?.freeBytes ?? 0)}
          </dd>
          <dd className="muted">
            {health.location === null
              ? ''
              : health.location.daysUntilFull === null
                ? 'Days until full: not enough history yet'
                : `Full in about ${Math.floor(health.location.daysUntilFull)} days`}
          </dd>
        </dl>
        <dl className="card stat">
          <dt>Rack</dt>
          <dd>
            {health.rack === null ? '—' : health.rack.reachable ? 'Reachable' : 'Unreachable'}
          </dd>
          {health.rack !== null && <dd className="muted mono">{health.rack.url}</dd>}
        </dl>
      </div>
    </>
  );
}
