/**
 * Health of the backup set-up, computed from facts the controller gathers (catalog rows, a
 * location probe, a rack probe). Pure: every alert carries the reason an operator reads and
 * what to do about it.
 */
import { DAY_MS, type BackupStatus } from './retention.js';
import { HOUR_MS } from './scheduler.js';

export type AlertCode =
  | 'LOCATION_UNREACHABLE'
  | 'ACCESS_DENIED'
  | 'LOCATION_FULL'
  | 'RACK_UNREACHABLE'
  | 'COMPONENT_FAILED'
  | 'NO_RECENT_SUCCESS';

export interface HealthAlert {
  readonly code: AlertCode;
  readonly severity: 'warning' | 'critical';
  readonly reason: string;
  readonly hint: string;
}

export interface HealthBackup {
  readonly id: string;
  readonly createdMs: number;
  readonly status: BackupStatus;
  /** Bytes this backup added at the location (new packs and indexes). */
  readonly storedBytes: number;
  readonly failedComponents: readonly { name: string; reason: string }[];
}

/** What a probe of the location found; `problem` is set when it could not be used. */
export interface LocationProbe {
  readonly problem: 'unreachable' | 'denied' | 'full' | null;
  readonly detail?: string;
  readonly freeBytes: number | null;
}

export interface RackProbe {
  readonly reachable: boolean;
  readonly detail?: string;
}

export interface HealthInput {
  readonly nowMs: number;
  readonly frequencyHours: number;
  readonly schedulerEnabled: boolean;
  readonly nextRunMs: number | null;
  readonly backups: readonly HealthBackup[];
  readonly location: LocationProbe;
  readonly rack: RackProbe;
}

export interface Health {
  readonly status: 'ok' | 'warning' | 'critical';
  readonly lastSucceeded: { id: string; createdMs: number; ageHours: number } | null;
  readonly nextRunMs: number | null;
  readonly freeBytes: number | null;
  /** Expected bytes added a day at the current schedule and backup sizes. */
  readonly growthBytesPerDay: number | null;
  readonly daysUntilFull: number | null;
  readonly alerts: readonly HealthAlert[];
}

/** Growth is estimated from the last 14 days of backups; older ones say little about today. */
const GROWTH_WINDOW_MS = 14 * DAY_MS;

export function computeHealth(input: HealthInput): Health {
  const byAge = [...input.backups].sort((a, b) => b.createdMs - a.createdMs);
  const last = byAge.find((b) => b.status === 'Succeeded');
  const growth = growthPerDay(byAge, input.nowMs, input.frequencyHours);
  const free = input.location.freeBytes;
  const daysUntilFull = free === null || growth === null || growth <= 0 ? null : free / growth;
  const alerts = [
    ...locationAlerts(input.location, byAge[0], daysUntilFull),
    ...rackAlerts(input.rack),
    ...componentAlerts(byAge[0]),
    ...recencyAlerts(input, last),
  ];
  return {
    status: alerts.some((a) => a.severity === 'critical')
      ? 'critical'
      : alerts.length > 0
        ? 'warning'
        : 'ok',
    lastSucceeded:
      last === undefined
        ? null
        : {
            id: last.id,
            createdMs: last.createdMs,
            ageHours: (input.nowMs - last.createdMs) / HOUR_MS,
          },
    nextRunMs: input.nextRunMs,
    freeBytes: free,
    growthBytesPerDay: growth,
    daysUntilFull,
    alerts,
  };
}

/**
 * Bytes a day: the mean size of the recent incremental backups (all but the oldest in the
 * window, which is usually the full one) times the runs a day. One backup alone counts whole.
 */
export function growthPerDay(
  newestFirst: readonly HealthBackup[],
  nowMs: number,
  frequencyHours: number,
): number | null {
  const recent = newestFirst.filter(
    (b) => nowMs - b.createdMs <= GROWTH_WINDOW_MS && b.status !== 'Failed',
  );
  if (recent.length === 0) return null;
  const sample = recent.length === 1 ? recent : recent.slice(0, -1);
  const perRun = sample.reduce((sum, b) => sum + b.storedBytes, 0) / sample.length;
  return perRun * (24 / frequencyHours);
}

function locationAlerts(
  probe: LocationProbe,
  latest: HealthBackup | undefined,
  daysUntilFull: number | null,
): HealthAlert[] {
  const detail = probe.detail === undefined ? '' : ` (${probe.detail})`;
  if (probe.problem === 'unreachable') {
    return [
      {
        code: 'LOCATION_UNREACHABLE',
        severity: 'critical',
        reason: `The backup location cannot be reached${detail}.`,
        hint: 'Check that the share is mounted and reachable from this workstation.',
      },
    ];
  }
  if (probe.problem === 'denied') {
    return [
      {
        code: 'ACCESS_DENIED',
        severity: 'critical',
        reason: `The backup location refused access${detail}.`,
        hint: 'Update the storage credentials or the share permissions.',
      },
    ];
  }
  const nextWontFit =
    probe.freeBytes !== null && latest !== undefined && probe.freeBytes < latest.storedBytes;
  if (probe.problem === 'full' || nextWontFit || (daysUntilFull !== null && daysUntilFull < 1)) {
    return [
      {
        code: 'LOCATION_FULL',
        severity: 'critical',
        reason: `The backup location is full or will be before the next backup${detail}.`,
        hint: 'Free space, lower the retention, or move backups to a larger location.',
      },
    ];
  }
  return [];
}

function rackAlerts(rack: RackProbe): HealthAlert[] {
  if (rack.reachable) return [];
  const detail = rack.detail === undefined ? '' : ` (${rack.detail})`;
  return [
    {
      code: 'RACK_UNREACHABLE',
      severity: 'critical',
      reason: `The rack does not answer${detail}.`,
      hint: 'Check the rack URL, its certificate fingerprint, the credentials and the network.',
    },
  ];
}

function componentAlerts(latest: HealthBackup | undefined): HealthAlert[] {
  if (latest === undefined || latest.failedComponents.length === 0) return [];
  const names = latest.failedComponents.map((c) => `${c.name}: ${c.reason}`).join('; ');
  return [
    {
      code: 'COMPONENT_FAILED',
      severity: 'warning',
      reason: `The latest backup ${latest.id} is ${latest.status}; failed: ${names}.`,
      hint: 'Fix the named component on the rack and run a backup now.',
    },
  ];
}

function recencyAlerts(input: HealthInput, last: HealthBackup | undefined): HealthAlert[] {
  const limitMs = 2 * input.frequencyHours * HOUR_MS;
  if (last !== undefined && input.nowMs - last.createdMs <= limitMs) return [];
  const scheduler = input.schedulerEnabled ? '' : ' The scheduler is off.';
  return [
    {
      code: 'NO_RECENT_SUCCESS',
      severity: 'critical',
      reason:
        (last === undefined
          ? 'No backup has Succeeded yet.'
          : `No backup has Succeeded within two periods (${2 * input.frequencyHours} h).`) +
        scheduler,
      hint: 'Run a backup now and resolve the alerts above; turn the scheduler on if it is off.',
    },
  ];
}
