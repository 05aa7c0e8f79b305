import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  planRetention,
  type RetentionCandidate,
} from '../../electron/controller/retention.js';

const NOW = Date.UTC(2026, 10, 20);
const ago = (days: number) => NOW - days * DAY_MS;

describe('retention planner', () => {
  it('deletes stored backups older than the retention, oldest first', () => {
    const backups: RetentionCandidate[] = [
      { id: 'a', createdMs: ago(10), status: 'Succeeded' },
      { id: 'b', createdMs: ago(8), status: 'PartialSucceeded' },
      { id: 'c', createdMs: ago(3), status: 'Succeeded' },
      { id: 'd', createdMs: ago(1), status: 'Succeeded' },
    ];
    const plan = planRetention(backups, 7, NOW);
    expect(plan.delete.map((d) => d.id)).toEqual(['a', 'b']);
    expect(plan.keep).toEqual(['c', 'd']);
    expect(plan.protectedId).toBe('d');
    expect(plan.delete[0]?.ageDays).toBeCloseTo(10);
  });

  it('never deletes the newest Succeeded backup, however old', () => {
    const backups: RetentionCandidate[] = [
      { id: 'old-good', createdMs: ago(30), status: 'Succeeded' },
      { id: 'older-good', createdMs: ago(40), status: 'Succeeded' },
      { id: 'recent-partial', createdMs: ago(20), status: 'PartialSucceeded' },
    ];
    const plan = planRetention(backups, 2, NOW);
    expect(plan.keep).toEqual(['old-good']);
    expect(plan.delete.map((d) => d.id)).toEqual(['older-good', 'recent-partial']);
  });

  it('keeps the newest PartialSucceeded backup when none succeeded', () => {
    const plan = planRetention(
      [
        { id: 'p1', createdMs: ago(9), status: 'PartialSucceeded' },
        { id: 'p2', createdMs: ago(8), status: 'PartialSucceeded' },
      ],
      7,
      NOW,
    );
    expect(plan).toMatchObject({ keep: ['p2'], protectedId: 'p2' });
    expect(plan.delete.map((d) => d.id)).toEqual(['p1']);
  });

  it('ignores backups that never reached the repository', () => {
    const plan = planRetention(
      [
        { id: 'f', createdMs: ago(30), status: 'Failed' },
        { id: 'x', createdMs: ago(30), status: 'Deleted' },
      ],
      7,
      NOW,
    );
    expect(plan).toEqual({ keep: [], delete: [], protectedId: null });
  });

  it('shows what lowering the retention would delete', () => {
    const backups: RetentionCandidate[] = [4, 5, 6].map((d) => ({
      id: `b${d}`,
      createdMs: ago(d),
      status: 'Succeeded',
    }));
    expect(planRetention(backups, 7, NOW).delete).toEqual([]);
    expect(planRetention(backups, 4, NOW).delete.map((d) => d.id)).toEqual(['b6', 'b5']);
  });
});
