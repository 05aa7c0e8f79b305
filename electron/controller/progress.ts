/**
 * Per-component progress of a running backup: bytes, rate and ETA, in the shape the desktop
 * app shows (shared/contract `JobProgress`). Rates are measured over a sliding window so a
 * stall shows as a falling rate rather than an average that hides it.
 *
 * The live stream carries every change; the catalog keeps a thinned set of samples with the
 * job's events (`ProgressSampler`), from which `progressFromSamples` gives the job's last known
 * progress back after a restart.
 */
import { z } from 'zod';
import type { JobEvent } from '../catalog/index.js';
import { ComponentProgress as ComponentProgressSchema } from '../../shared/contract/index.js';
import type { ComponentName, ComponentStatus, JobProgress } from './contract-types.js';

const WINDOW_MS = 5_000;

type ComponentProgress = z.output<typeof ComponentProgressSchema>;

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

  get currentPhase(): string {
    return this.phase;
  }

  /** Each component's status, in the backup's order (cheap: no rates computed). */
  statuses(): { component: ComponentName; status: ComponentStatus }[] {
    return [...this.components.values()].map(({ component, status }) => ({ component, status }));
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
    const components = [...this.components.keys()].map((name) => this.progressOf(name));
    return jobProgress(this.phase, components, rateOf(this.overallSamples));
  }

  progressOf(component: ComponentName): ComponentProgress {
    const state = this.get(component);
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

/** The overall figures follow from the components': bytes summed, a total once all are known. */
function jobProgress(
  phase: string,
  components: ComponentProgress[],
  rate: number | null,
): JobProgress {
  const done = components.reduce((sum, c) => sum + c.bytesDone, 0);
  const totals = components.map((c) =>
    c.status === 'Failed' || c.status === 'Skipped' ? c.bytesDone : c.bytesTotal,
  );
  const total = totals.every((t) => t !== null)
    ? totals.reduce<number>((sum, t) => sum + (t as number), 0)
    : null;
  return {
    phase,
    overall: {
      bytesDone: done,
      bytesTotal: total,
      bytesPerSecond: rate,
      etaSeconds: eta(done, total, rate),
    },
    components,
  };
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

/** One component's progress as persisted with its job: what `JobProgress` shows, plus the phase. */
const progressSample = ComponentProgressSchema.extend({ phase: z.string().min(1).max(100) });
export type ProgressSample = z.output<typeof progressSample>;

/**
 * How densely a running component's progress is persisted: a sample every `firstEveryMs`, the
 * spacing doubling after each `samplesPerStep` samples, at most `maxPerComponent`, plus one
 * when the component ends. A component that ends within `firstEveryMs` leaves only its end.
 * An hour-long component leaves about 40 rows, a day-long one 60: the catalog stays small
 * however long a backup runs, while a short one keeps its detail.
 */
export const SAMPLE_POLICY = { firstEveryMs: 5_000, samplesPerStep: 6, maxPerComponent: 60 };

interface SampledComponent {
  kept: number;
  nextAt: number;
  ended: boolean;
}

export class ProgressSampler {
  private readonly sampled = new Map<ComponentName, SampledComponent>();

  constructor(
    private readonly tracker: ProgressTracker,
    private readonly now: () => number,
    private readonly policy: typeof SAMPLE_POLICY = SAMPLE_POLICY,
  ) {}

  /** The samples to persist now (cheap when none is due: called on every progress tick). */
  due(): ProgressSample[] {
    const at = this.now();
    const samples: ProgressSample[] = [];
    for (const { component, status } of this.tracker.statuses()) {
      if (status === 'Queued') continue;
      let state = this.sampled.get(component);
      if (state === undefined) {
        state = { kept: 0, nextAt: at + this.policy.firstEveryMs, ended: false };
        this.sampled.set(component, state);
      }
      if (state.ended) continue;
      const ended = status !== 'Running';
      if (!ended && (at < state.nextAt || state.kept >= this.policy.maxPerComponent)) continue;
      state.kept += 1;
      state.ended = ended;
      const step = Math.floor(state.kept / this.policy.samplesPerStep);
      state.nextAt = at + this.policy.firstEveryMs * 2 ** step;
      samples.push(compact(this.tracker.progressOf(component), this.tracker.currentPhase));
    }
    return samples;
  }
}

/** Whole bytes per second and seconds: a persisted sample needs no more precision. */
function compact(progress: ComponentProgress, phase: string): ProgressSample {
  const round = (value: number | null) => (value === null ? null : Math.round(value));
  return {
    ...progress,
    bytesPerSecond: round(progress.bytesPerSecond),
    etaSeconds: round(progress.etaSeconds),
    phase,
  };
}

/**
 * A job's last known progress from its persisted samples (each component's latest), or null
 * when it has none. Rates are of the moment each sample was taken; no overall rate is guessed.
 * A sample this build cannot read (hand-edited, another version's shape) is left out: it is
 * history for display, and one bad row must not hide the job.
 */
export function progressFromSamples(events: readonly JobEvent[]): JobProgress | null {
  const latest = new Map<ComponentName, ComponentProgress>();
  let phase: string | null = null;
  for (const event of events) {
    if (event.kind !== 'progress') continue;
    const parsed = progressSample.safeParse(event.data);
    if (!parsed.success) continue;
    const { phase: samplePhase, ...component } = parsed.data;
    latest.set(component.component, component);
    phase = samplePhase;
  }
  return phase === null ? null : jobProgress(phase, [...latest.values()], null);
}
