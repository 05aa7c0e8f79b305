/**
 * Progress of a restore, per component and overall: bytes, rate and ETA.
 *
 * Pure bookkeeping with an injected clock so it is tested without timers. The rate is measured
 * over a sliding window of recent samples, so a pause (a dropped connection) shows as a falling
 * rate rather than a frozen average; bytes already on the rack when a recovery resumes count as
 * done but not towards the rate.
 */
import type { ComponentId } from './components.js';
import { componentBytes, type RestorePlan } from './plan.js';

export type ComponentPhase = 'pending' | 'restoring' | 'committed' | 'failed';

export interface Throughput {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second over the recent window; 0 when nothing moved. */
  readonly rate: number;
  /** Seconds left at the current rate; null when unknown (nothing moving yet). */
  readonly etaSeconds: number | null;
}

export interface ComponentProgress extends Throughput {
  readonly component: ComponentId;
  readonly phase: ComponentPhase;
}

export interface RestoreProgress {
  readonly overall: Throughput;
  readonly current: ComponentId | null;
  readonly components: readonly ComponentProgress[];
}

interface Sample {
  readonly at: number;
  readonly bytes: number;
}

/** Keeps recent (time, cumulative bytes) samples and derives a rate from them. */
class RateWindow {
  private readonly samples: Sample[] = [];
  private moved = 0;

  constructor(private readonly windowMs: number) {}

  add(at: number, bytes: number): void {
    this.moved += bytes;
    this.samples.push({ at, bytes: this.moved });
    while (this.samples.length > 2 && (this.samples[1] as Sample).at <= at - this.windowMs) {
      this.samples.shift();
    }
  }

  rate(now: number): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first === undefined || last === undefined) return 0;
    const elapsedMs = Math.max(now - first.at, 1);
    if (now - last.at > this.windowMs) return 0;
    return ((last.bytes - first.bytes) * 1000) / elapsedMs;
  }
}

interface ComponentCounter {
  readonly component: ComponentId;
  readonly total: number;
  done: number;
  phase: ComponentPhase;
  readonly window: RateWindow;
}

export class ProgressMeter {
  private readonly counters: ComponentCounter[];
  private readonly overallWindow: RateWindow;
  private current: ComponentId | null = null;

  constructor(
    plan: RestorePlan,
    private readonly now: () => number = Date.now,
    windowMs = 5000,
  ) {
    this.overallWindow = new RateWindow(windowMs);
    this.counters = plan.components.map((entry) => ({
      component: entry.component,
      total: componentBytes(entry),
      done: 0,
      phase: 'pending',
      window: new RateWindow(windowMs),
    }));
  }

  /** Bytes the rack already holds (on resume): done, but not part of the rate. */
  seed(component: ComponentId, bytes: number, committed: boolean): void {
    const counter = this.counter(component);
    counter.done = Math.min(bytes, counter.total);
    if (committed) counter.phase = 'committed';
  }

  start(component: ComponentId): void {
    this.current = component;
    this.counter(component).phase = 'restoring';
  }

  /** `bytes` newly confirmed for the component. */
  advance(component: ComponentId, bytes: number): void {
    const counter = this.counter(component);
    const at = this.now();
    counter.done = Math.min(counter.done + bytes, counter.total);
    counter.window.add(at, bytes);
    this.overallWindow.add(at, bytes);
  }

  /** The rack confirmed fewer bytes than were sent (a drop): count only what it holds. */
  rewind(component: ComponentId, toDone: number): void {
    const counter = this.counter(component);
    counter.done = Math.max(0, Math.min(toDone, counter.total));
  }

  finish(component: ComponentId, phase: 'committed' | 'failed'): void {
    const counter = this.counter(component);
    counter.phase = phase;
    if (phase === 'committed') counter.done = counter.total;
    if (this.current === component) this.current = null;
  }

  snapshot(): RestoreProgress {
    const now = this.now();
    const components = this.counters.map((counter) => ({
      component: counter.component,
      phase: counter.phase,
      ...throughput(counter.done, counter.total, counter.window.rate(now)),
    }));
    const done = this.counters.reduce((sum, counter) => sum + counter.done, 0);
    const total = this.counters.reduce((sum, counter) => sum + counter.total, 0);
    return {
      overall: throughput(done, total, this.overallWindow.rate(now)),
      current: this.current,
      components,
    };
  }

  private counter(component: ComponentId): ComponentCounter {
    const counter = this.counters.find((entry) => entry.component === component);
    if (counter === undefined) throw new RangeError(`component ${component} is not in the plan`);
    return counter;
  }
}

function throughput(done: number, total: number, rate: number): Throughput {
  const remaining = Math.max(total - done, 0);
  const etaSeconds = remaining === 0 ? 0 : rate > 0 ? remaining / rate : null;
  return { bytesDone: done, bytesTotal: total, rate, etaSeconds };
}
