import { describe, expect, it } from 'vitest';
import {
  HOUR_MS,
  Scheduler,
  decide,
  enabledSchedule,
  nextRunAt,
  setEnabled,
  setFrequency,
  type ScheduleState,
} from '../../electron/controller/scheduler.js';

const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);

describe('schedule slots', () => {
  it('runs one period after being enabled, then every period', () => {
    let state = enabledSchedule(12, T0);
    expect(nextRunAt(state)).toBe(T0 + 12 * HOUR_MS);
    expect(decide(state, T0 + 11 * HOUR_MS).run).toBe(false);
    const first = decide(state, T0 + 12 * HOUR_MS + 5_000);
    expect(first.run).toBe(true);
    expect(first.missedSlots).toBe(0);
    state = first.state;
    expect(nextRunAt(state)).toBe(T0 + 24 * HOUR_MS);
  });

  it('runs ONCE after a sleep that spanned several slots, then stays on the grid', () => {
    const state = enabledSchedule(4, T0);
    // Asleep from hour 3 to hour 30: slots 4, 8, …, 28 passed (7 slots).
    const wake = decide(state, T0 + 30 * HOUR_MS);
    expect(wake.run).toBe(true);
    expect(wake.missedSlots).toBe(6);
    expect(wake.state.lastSlotMs).toBe(T0 + 28 * HOUR_MS);
    // A second tick right after the wake-up does not run again.
    expect(decide(wake.state, T0 + 30 * HOUR_MS + 1).run).toBe(false);
    expect(nextRunAt(wake.state)).toBe(T0 + 32 * HOUR_MS);
  });

  it('keeps the settings when disabled and does not replay missed slots when re-enabled', () => {
    const on = decide(enabledSchedule(6, T0), T0 + 6 * HOUR_MS).state;
    const off = setEnabled(on, false, T0 + 7 * HOUR_MS);
    expect(off.frequencyHours).toBe(6);
    expect(nextRunAt(off)).toBeNull();
    expect(decide(off, T0 + 100 * HOUR_MS).run).toBe(false);
    const again = setEnabled(off, true, T0 + 100 * HOUR_MS);
    expect(again.frequencyHours).toBe(6);
    expect(nextRunAt(again)).toBe(T0 + 106 * HOUR_MS);
  });

  it('applies a new frequency from the last slot', () => {
    const ran = decide(enabledSchedule(12, T0), T0 + 12 * HOUR_MS).state;
    expect(nextRunAt(setFrequency(ran, 4))).toBe(T0 + 16 * HOUR_MS);
  });
});

describe('Scheduler', () => {
  it('runs a due slot once per tick window and an on-demand run does not move it', async () => {
    let now = T0;
    let state: ScheduleState = enabledSchedule(4, T0);
    const runs: number[] = [];
    const scheduler = new Scheduler({
      load: () => state,
      save: (s) => (state = s),
      run: async (slot) => {
        runs.push(slot);
      },
      now: () => now,
    });
    expect(await scheduler.tick()).toBe(false);
    // An on-demand backup at hour 2 is not the scheduler's business: the state is untouched.
    now = T0 + 2 * HOUR_MS;
    expect(nextRunAt(state)).toBe(T0 + 4 * HOUR_MS);
    now = T0 + 13 * HOUR_MS; // slept through slots 4, 8 and 12
    expect(await scheduler.tick()).toBe(true);
    expect(await scheduler.tick()).toBe(false);
    expect(runs).toEqual([T0 + 12 * HOUR_MS]);
  });

  it('wakes by itself with a short check interval and survives a failing run', async () => {
    let state: ScheduleState = { ...enabledSchedule(4, 0), lastSlotMs: null, anchorMs: 0 };
    let calls = 0;
    const done = new Promise<void>((resolve) => {
      const scheduler = new Scheduler({
        load: () => state,
        save: (s) => (state = s),
        run: async () => {
          calls++;
          scheduler.stop();
          resolve();
          throw new Error('the job records its own failure');
        },
        now: () => 5 * HOUR_MS,
        checkEveryMs: 10,
      });
      scheduler.start();
    });
    await done;
    expect(calls).toBe(1);
    expect(state.lastSlotMs).toBe(4 * HOUR_MS);
  });
});
