import { describe, expect, it } from 'vitest';
import { computeHealth, type HealthInput } from '../../electron/controller/health.js';
import { DAY_MS } from '../../electron/controller/retention.js';
import { HOUR_MS } from '../../electron/controller/scheduler.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const GiB = 1024 ** 3;

function input(overrides: Partial<HealthInput> = {}): HealthInput {
  return {
    nowMs: NOW,
    frequencyHours: 12,
    schedulerEnabled: true,
    nextRunMs: NOW + 6 * HOUR_MS,
    backups: [
      {
        id: 'full',
        createdMs: NOW - 3 * DAY_MS,
        status: 'Succeeded',
        storedBytes: 20 * GiB,
        failedComponents: [],
      },
      {
        id: 'inc1',
        createdMs: NOW - 2 * DAY_MS,
        status: 'Succeeded',
        storedBytes: 1 * GiB,
        failedComponents: [],
      },
      {
        id: 'inc2',
        createdMs: NOW - 6 * HOUR_MS,
        status: 'Succeeded',
        storedBytes: 1 * GiB,
        failedComponents: [],
      },
    ],
    location: { problem: null, freeBytes: 100 * GiB },
    rack: { reachable: true },
    ...overrides,
  };
}

describe('health', () => {
  it('reports age, next run, free space and days until full without alerts when all is well', () => {
    const health = computeHealth(input());
    expect(health.status).toBe('ok');
    expect(health.alerts).toEqual([]);
    expect(health.lastSucceeded).toMatchObject({ id: 'inc2', ageHours: 6 });
    expect(health.nextRunMs).toBe(NOW + 6 * HOUR_MS);
    // Incrementals of 1 GiB twice a day: 2 GiB a day, 100 GiB free → 50 days.
    expect(health.growthBytesPerDay).toBe(2 * GiB);
    expect(health.daysUntilFull).toBe(50);
  });

  it('alerts with reasons: location unreachable, access denied, full', () => {
    expect(
      computeHealth(
        input({ location: { problem: 'unreachable', freeBytes: null, detail: 'ENOENT' } }),
      ).alerts.map((a) => a.code),
    ).toEqual(['LOCATION_UNREACHABLE']);
    expect(
      computeHealth(input({ location: { problem: 'denied', freeBytes: null } })).alerts[0]?.code,
    ).toBe('ACCESS_DENIED');
    expect(
      computeHealth(input({ location: { problem: 'full', freeBytes: 0 } })).alerts[0]?.code,
    ).toBe('LOCATION_FULL');
    // Less free space than the last backup wrote: the next one will not fit.
    const tight = computeHealth(input({ location: { problem: null, freeBytes: GiB / 2 } }));
    expect(tight.alerts.map((a) => a.code)).toEqual(['LOCATION_FULL']);
    expect(tight.status).toBe('critical');
  });

  it('alerts when the rack is unreachable or the latest backup had a failed component', () => {
    const backups = [
      ...input().backups,
      {
        id: 'p',
        createdMs: NOW - HOUR_MS,
        status: 'PartialSucceeded' as const,
        storedBytes: GiB,
        failedComponents: [{ name: 'keyvault', reason: 'HTTP 500' }],
      },
    ];
    const health = computeHealth(
      input({ backups, rack: { reachable: false, detail: 'ECONNREFUSED' } }),
    );
    expect(health.alerts.map((a) => a.code)).toEqual(['RACK_UNREACHABLE', 'COMPONENT_FAILED']);
    expect(health.alerts[1]?.reason).toContain('keyvault: HTTP 500');
    expect(health.lastSucceeded?.id).toBe('inc2');
  });

  it('alerts when no backup Succeeded within two periods, and says when the scheduler is off', () => {
    const stale = input({
      schedulerEnabled: false,
      nextRunMs: null,
      backups: [
        {
          id: 'old',
          createdMs: NOW - 25 * HOUR_MS,
          status: 'Succeeded',
          storedBytes: GiB,
          failedComponents: [],
        },
      ],
    });
    const alert = computeHealth(stale).alerts.find((a) => a.code === 'NO_RECENT_SUCCESS');
    expect(alert?.reason).toContain('24 h');
    expect(alert?.reason).toContain('scheduler is off');
    const none = computeHealth(input({ backups: [] }));
    expect(none.lastSucceeded).toBeNull();
    expect(none.daysUntilFull).toBeNull();
    expect(none.alerts.map((a) => a.code)).toEqual(['NO_RECENT_SUCCESS']);
  });
});
