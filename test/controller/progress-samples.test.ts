/**
 * Which progress samples a backup keeps in the catalog (thinned, bounded, every end kept) and
 * how a job's last known progress is read back from them, on a fake clock and a real catalog.
 */
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../electron/catalog/index.js';
import {
  ProgressSampler,
  ProgressTracker,
  SAMPLE_POLICY,
  progressFromSamples,
  type ProgressSample,
} from '../../electron/controller/progress.js';
import { freshCatalog } from '../catalog/helpers.js';

const MiB = 1024 * 1024;

function clock() {
  let now = Date.UTC(2026, 2, 1);
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Streams `seconds` of a component in 100 ms ticks, collecting what the sampler keeps. */
function stream(
  tracker: ProgressTracker,
  sampler: ProgressSampler,
  time: ReturnType<typeof clock>,
  component: 'identity' | 'keyvault',
  seconds: number,
): { sample: ProgressSample; at: number }[] {
  const kept: { sample: ProgressSample; at: number }[] = [];
  const take = () => kept.push(...sampler.due().map((sample) => ({ sample, at: time.now() })));
  tracker.start(component, seconds * 10 * 64 * 1024);
  take();
  for (let tick = 0; tick < seconds * 10; tick++) {
    time.advance(100);
    tracker.add(component, 64 * 1024);
    take();
  }
  tracker.finish(component, 'Succeeded');
  take();
  return kept;
}

describe('progress samples kept with a job', () => {
  it('keeps only the end of a component that finishes within the first interval', () => {
    const time = clock();
    const tracker = new ProgressTracker([{ component: 'identity', estimatedBytes: MiB }], time.now);
    const kept = stream(tracker, new ProgressSampler(tracker, time.now), time, 'identity', 3);
    expect(kept.map((k) => k.sample.status)).toEqual(['Succeeded']);
    expect(kept[0]?.sample).toMatchObject({ bytesDone: 30 * 64 * 1024, phase: 'starting' });
  });

  it('thins a two-hour component to a bounded, widening series plus its end', () => {
    const time = clock();
    const tracker = new ProgressTracker(
      [
        { component: 'identity', estimatedBytes: null },
        { component: 'keyvault', estimatedBytes: null },
      ],
      time.now,
    );
    tracker.setPhase('exporting');
    const sampler = new ProgressSampler(tracker, time.now);
    const kept = stream(tracker, sampler, time, 'identity', 2 * 3600);
    const running = kept.filter((k) => k.sample.status === 'Running');
    const ends = kept.filter((k) => k.sample.status !== 'Running');
    // 72,000 ticks; far fewer samples, never more than the policy's bound.
    expect(running.length).toBeGreaterThan(20);
    expect(running.length).toBeLessThanOrEqual(SAMPLE_POLICY.maxPerComponent);
    expect(running.length).toBeLessThan(60);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.sample).toMatchObject({ status: 'Succeeded', bytesDone: 72_000 * 64 * 1024 });
    // Never closer than the first interval; later gaps are wider than earlier ones.
    const gaps = running.slice(1).map((k, i) => k.at - (running[i] as { at: number }).at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(SAMPLE_POLICY.firstEveryMs);
    expect(gaps.at(-1)).toBeGreaterThan(16 * SAMPLE_POLICY.firstEveryMs);
    // A running sample carries a rate (whole bytes per second) and an ETA.
    expect(running[0]?.sample.bytesPerSecond).toBe(655_360);
    expect(running[0]?.sample.etaSeconds).toBeGreaterThan(0);
    // The component that never started is not sampled until it ends.
    expect(sampler.due()).toEqual([]);
    tracker.failUnfinished('cancelled');
    expect(sampler.due()).toEqual([
      expect.objectContaining({ component: 'keyvault', status: 'Failed', reason: 'cancelled' }),
    ]);
    expect(sampler.due()).toEqual([]);
  });

  it('gives the last known progress back from the catalog after a restart', () => {
    const { catalog, home, done } = freshCatalog();
    try {
      const job = catalog.jobs.create({ kind: 'backup' });
      catalog.jobs.markRunning(job.id);
      const time = clock();
      const tracker = new ProgressTracker(
        [
          { component: 'identity', estimatedBytes: 4 * MiB },
          { component: 'keyvault', estimatedBytes: 2 * MiB },
        ],
        time.now,
      );
      tracker.setPhase('exporting');
      const sampler = new ProgressSampler(tracker, time.now);
      const persist = () => {
        for (const sample of sampler.due()) {
          catalog.jobs.appendEvent(job.id, { kind: 'progress', message: 'sample', data: sample });
        }
      };
      tracker.start('identity', 4 * MiB);
      persist();
      for (let i = 0; i < 200; i++) {
        time.advance(100);
        tracker.add('identity', 16 * 1024);
        persist();
      }
      catalog.jobs.appendEvent(job.id, { kind: 'log', message: 'identity is slow' });
      catalog.close();

      const reopened = openCatalog({ home });
      try {
        const events = reopened.jobs.events(job.id);
        expect(events.filter((e) => e.kind === 'progress').length).toBeLessThanOrEqual(4);
        const progress = progressFromSamples(events);
        expect(progress?.phase).toBe('exporting');
        expect(progress?.components).toHaveLength(1);
        expect(progress?.components[0]).toMatchObject({
          component: 'identity',
          status: 'Running',
          bytesTotal: 4 * MiB,
        });
        expect(progress?.components[0]?.bytesDone).toBeGreaterThan(0);
        expect(progress?.overall.bytesDone).toBe(progress?.components[0]?.bytesDone);
        expect(progress?.overall.bytesTotal).toBe(4 * MiB);
      } finally {
        reopened.close();
      }
    } finally {
      done();
    }
  });

  it('leaves out a sample it cannot read, and has nothing for a job without samples', () => {
    const sample = {
      component: 'identity',
      status: 'Succeeded',
      reason: null,
      bytesDone: 10,
      bytesTotal: 10,
      bytesPerSecond: null,
      etaSeconds: null,
      phase: 'exporting',
    };
    const event = (seq: number, data: unknown) => ({
      seq,
      jobId: 'job',
      time: '2026-03-01T00:00:00.000Z',
      kind: 'progress' as const,
      level: 'info' as const,
      message: 'sample',
      data,
    });
    expect(progressFromSamples([])).toBeNull();
    const progress = progressFromSamples([
      event(1, sample),
      event(2, { ...sample, component: 'keyvault', bytesDone: -1 }),
      event(3, { ...sample, component: 'not-a-component' }),
    ]);
    expect(progress?.components.map((c) => c.component)).toEqual(['identity']);
    expect(progress?.overall).toEqual({
      bytesDone: 10,
      bytesTotal: 10,
      bytesPerSecond: null,
      etaSeconds: null,
    });
  });
});
