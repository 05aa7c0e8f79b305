import { describe, expect, it } from 'vitest';
import { RESTORE_ORDER } from '../../electron/recovery/components.js';
import { planRestore } from '../../electron/recovery/plan.js';
import { ProgressMeter } from '../../electron/recovery/progress.js';

const plan = planRestore(
  'b1',
  RESTORE_ORDER.map((component) => ({
    component,
    status: 'Succeeded',
    stateDigest: 'd',
    artifacts: [{ name: 'a', size: 1000, sha256: 'x' }],
  })),
);

describe('restore progress', () => {
  it('reports bytes, rate and ETA per component and overall', () => {
    let now = 0;
    const meter = new ProgressMeter(plan, () => now);
    meter.start('deployment');
    for (let i = 0; i < 5; i++) {
      now += 1000;
      meter.advance('deployment', 100);
    }
    const snapshot = meter.snapshot();
    const deployment = snapshot.components[0];
    expect(snapshot.current).toBe('deployment');
    expect(deployment).toMatchObject({ phase: 'restoring', bytesDone: 500, bytesTotal: 1000 });
    expect(deployment?.rate).toBeCloseTo(100, 5);
    expect(deployment?.etaSeconds).toBeCloseTo(5, 5);
    expect(snapshot.overall.bytesDone).toBe(500);
    expect(snapshot.overall.bytesTotal).toBe(10_000);
    expect(snapshot.overall.etaSeconds).toBeCloseTo(95, 5);
  });

  it('counts resumed bytes as done but not towards the rate, and shows a stall', () => {
    let now = 0;
    const meter = new ProgressMeter(plan, () => now, 5000);
    meter.seed('deployment', 1000, true);
    meter.seed('identity', 400, false);
    meter.start('identity');
    let snapshot = meter.snapshot();
    expect(snapshot.overall.bytesDone).toBe(1400);
    expect(snapshot.overall.rate).toBe(0);
    expect(snapshot.overall.etaSeconds).toBeNull();
    now += 1000;
    meter.advance('identity', 200);
    now += 1000;
    meter.advance('identity', 200);
    expect(meter.snapshot().components[1]?.rate).toBeCloseTo(200, 5);
    now += 60_000;
    snapshot = meter.snapshot();
    expect(snapshot.components[1]?.rate).toBe(0);
    expect(snapshot.components[1]?.etaSeconds).toBeNull();
  });

  it('rewinds to what the rack confirmed after a drop and completes on commit', () => {
    const meter = new ProgressMeter(plan, () => 0);
    meter.start('ca');
    meter.advance('ca', 900);
    meter.rewind('ca', 300);
    expect(meter.snapshot().components[3]?.bytesDone).toBe(300);
    meter.finish('ca', 'committed');
    const ca = meter.snapshot().components[3];
    expect(ca).toMatchObject({ phase: 'committed', bytesDone: 1000, etaSeconds: 0 });
    expect(meter.snapshot().current).toBeNull();
  });
});
