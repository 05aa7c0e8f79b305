/**
 * The backup schedule: a run every `frequencyHours`, counted from an anchor slot.
 *
 * Why slots rather than "last run + period": a laptop that slept through three slots must run
 * ONCE on wake, not three times, and an on-demand backup must not move the next scheduled run
 * (as Start-AzsBackup does not). So the schedule remembers only the last slot it ran for; on
 * each tick it compares the wall clock to the next slot, and when one or more slots have passed
 * it runs once and records the latest passed slot. The pure functions below hold that rule; the
 * `Scheduler` class only adds timers around them.
 */

export const HOUR_MS = 3_600_000;

export interface ScheduleState {
  readonly enabled: boolean;
  readonly frequencyHours: number;
  /** Wall-clock ms the slots count from: set when the schedule is enabled. */
  readonly anchorMs: number;
  /** The latest slot a scheduled run was started for, or null before the first. */
  readonly lastSlotMs: number | null;
}

/** When the next scheduled run is due, or null while the scheduler is disabled. */
export function nextRunAt(state: ScheduleState): number | null {
  if (!state.enabled) return null;
  return (state.lastSlotMs ?? state.anchorMs) + state.frequencyHours * HOUR_MS;
}

export interface ScheduleDecision {
  /** Whether a scheduled backup should start now. */
  readonly run: boolean;
  /** The state to persist once the run has been started (unchanged when `run` is false). */
  readonly state: ScheduleState;
  /** How many slots were missed and folded into this one run (0 when on time). */
  readonly missedSlots: number;
}

/** Decides at `nowMs` whether a scheduled run is due; passed slots collapse into one run. */
export function decide(state: ScheduleState, nowMs: number): ScheduleDecision {
  const next = nextRunAt(state);
  if (next === null || nowMs < next) return { run: false, state, missedSlots: 0 };
  const period = state.frequencyHours * HOUR_MS;
  const base = state.lastSlotMs ?? state.anchorMs;
  const passed = Math.floor((nowMs - base) / period);
  return {
    run: true,
    state: { ...state, lastSlotMs: base + passed * period },
    missedSlots: passed - 1,
  };
}

/** A fresh schedule enabled at `nowMs`: the first run is one period later. */
export function enabledSchedule(frequencyHours: number, nowMs: number): ScheduleState {
  return { enabled: true, frequencyHours, anchorMs: nowMs, lastSlotMs: null };
}

/**
 * Turns the scheduler on or off without losing its settings. Re-enabling starts a new anchor
 * so slots missed while it was off are not run.
 */
export function setEnabled(state: ScheduleState, enabled: boolean, nowMs: number): ScheduleState {
  if (state.enabled === enabled) return state;
  return enabled ? { ...state, enabled, anchorMs: nowMs, lastSlotMs: null } : { ...state, enabled };
}

/** A new frequency keeps the last slot, so the next run is one new period after it. */
export function setFrequency(state: ScheduleState, frequencyHours: number): ScheduleState {
  return { ...state, frequencyHours };
}

export interface SchedulerOptions {
  load(): ScheduleState;
  save(state: ScheduleState): void;
  /** Starts the scheduled backup; errors are the job's to record, the scheduler goes on. */
  run(slotMs: number, missedSlots: number): Promise<void>;
  now?: () => number;
  /**
   * The longest the scheduler sleeps between wall-clock checks. Timers do not run while the
   * machine sleeps, so a bounded wait notices a wake-up within this delay.
   */
  checkEveryMs?: number;
}

/** Timers around `decide`: one in-flight run at a time, no drift, no catch-up storms. */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = true;
  private readonly now: () => number;
  private readonly checkEveryMs: number;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.checkEveryMs = options.checkEveryMs ?? 60_000;
  }

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Re-reads the settings at once (after they changed). */
  poke(): void {
    if (!this.stopped) this.arm(0);
  }

  /** Evaluates the schedule once; exposed so callers (and tests) can drive it. */
  async tick(): Promise<boolean> {
    if (this.running) return false;
    const decision = decide(this.options.load(), this.now());
    if (!decision.run) return false;
    // Persist the slot before running, so a crash mid-run does not replay it on restart.
    this.options.save(decision.state);
    this.running = true;
    try {
      await this.options.run(decision.state.lastSlotMs as number, decision.missedSlots);
    } finally {
      this.running = false;
    }
    return true;
  }

  private arm(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.onTimer(), delayMs);
    this.timer.unref();
  }

  private async onTimer(): Promise<void> {
    try {
      await this.tick();
    } catch {
      // run() records its own failures; a failed tick must never stop the schedule.
    }
    if (this.stopped) return;
    const next = nextRunAt(this.options.load());
    const wait = next === null ? this.checkEveryMs : Math.max(0, next - this.now());
    this.arm(Math.min(wait, this.checkEveryMs));
  }
}
