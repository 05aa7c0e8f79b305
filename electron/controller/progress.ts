/**
 * Per-component progress of a running backup: bytes, rate and ETA, in the shape the desktop
 * app shows (shared/contract `JobProgress`). Rates are measured over a sliding window so a
 * stall shows as a falling rate rather than an average that hides it.
 */
import type { ComponentName, ComponentStatus, JobProgress } from './contract-types.js';

const WINDOW_MS = 5_000;

interface ComponentState {
  component: ComponentName;
  status: ComponentStatus;
  reason: string | null;
  bytesDone: number;
  bytesTotal: number | null;
  startedMs: number | null;
  samples: { at: number; bytes: number }[];
}

export class ProgressTracker {
  private readonly components = new Map<ComponentName, ComponentState>();
  private readonly overallSamples: { at: number; bytes: number }[] = [];
  private phase = 'starting';

  constructor(
    components: readonly { component: ComponentName; estimatedBytes: number | null }[],
    private readonly now: () => number = Date.now,
  ) {
    for (const { component, estimatedBytes } of components) {
      this.components.set(component, {
        component,
        status: 'Queued',
        reason: null,
        bytesDone: 0,
        bytesTotal: estimatedBytes,
        startedMs: null,
        samples: [],
      });
    }
  }

  setPhase(phase: string): void {
    this.phase = phase;
  }

  start(component: ComponentName, exactBytes: number | null): void {
    const state = this.get(component);
    state.status = 'Running';
    state.startedMs = this.now();
    if (exactBytes !== null) state.bytesTotal = exactBytes;
    state.samples = [{ at: state.startedMs, bytes: 0 }];
  }

  add(component: ComponentName, bytes: number): void {
    const state = this.get(component);
    state.bytesDone += bytes;
    const at = this.now();
    pushSample(state.samples, { at, bytes: state.bytesDone });
    pushSample(this.overallSamples, { at, bytes: this.totalDone() });
  }

  finish(component: ComponentName, status: ComponentStatus, reason: string | null = null): void {
    const state = this.get(component);
    state.status = status;
    state.reason = reason;
    if (status === 'Succeeded') state.bytesTotal = state.bytesDone;
  }

  /** Components that have not finished: Failed with `reason` (a rack drop, a cancel). */
  failUnfinished(reason: string, status: ComponentStatus = 'Failed'): void {
    for (const state of this.components.values()) {
      if (state.status === 'Queued' || state.status === 'Running') {
        state.status = status;
        state.reason = reason;
      }
    }
  }

  snapshot(): JobProgress {
    const components = [...this.components.values()].map((state) => {
      const rate = state.status === 'Running' ? rateOf(state.samples) : null;
      return {
        component: state.component,
        status: state.status,
        reason: state.reason,
        bytesDone: state.bytesDone,
        bytesTotal: state.bytesTotal,
        bytesPerSecond: rate,
        etaSeconds: eta(state.bytesDone, state.bytesTotal, rate),
      };
    });
    const done = this.totalDone();
    const totals = components.map((c) =>
      c.status === 'Failed' || c.status === 'Skipped' ? c.bytesDone : c.bytesTotal,
    );
    const total = totals.every((t) => t !== null)
      ? totals.reduce<number>((sum, t) => sum + (t as number), 0)
      : null;
    const rate = rateOf(this.overallSamples);
    return {
      phase: this.phase,
      overall: {
        bytesDone: done,
        bytesTotal: total,
        bytesPerSecond: rate,
        etaSeconds: eta(done, total, rate),
      },
      components,
    };
  }

  private totalDone(): number {
    let sum = 0;
    for (const state of this.components.values()) sum += state.bytesDone;
    return sum;
  }

  private get(component: ComponentName): ComponentState {
    const state = this.components.get(component);
    if (state === undefined) throw new Error(`component ${component} is not part of this backup`);
    return state;
  }
}

function pushSample(
  samples: { at: number; bytes: number }[],
  sample: { at: number; bytes: number },
) {
  samples.push(sample);
  while (samples.length > 2 && (samples[1] as { at: number }).at < sample.at - WINDOW_MS) {
    samples.shift();
  }
}

function rateOf(samples: readonly { at: number; bytes: number }[]): number | null {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined || last.at <= first.at) return null;
  return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
}

function eta(done: number, total: number | null, rate: number | null): number | null {
  if (total === null || rate === null || rate <= 0) return null;
  return Math.max(0, total - done) / rate;
}
