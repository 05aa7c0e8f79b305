/**
 * What the catalog remembers of jobs, against real parts (a lab rack on loopback, a folder as
 * the location, a real catalog file), set up with the recovery suites' workstation helpers:
 * each verification's outcome (shown as the backup's `lastVerified`, a damaged pack remembered
 * as not ok with its components, a rebuild that keeps what it can and invents nothing), and a
 * backup's thinned progress samples, read back after the controller closed.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../electron/catalog/index.js';
import { BackupController, type HostEvent } from '../../electron/controller/index.js';
import { SAMPLE_POLICY, progressFromSamples } from '../../electron/controller/progress.js';
import { startLabRack, type LabRack } from '../helpers/lab-rack.js';
import { backUp, enableBackup, vaultOptions, type Workstation } from '../recovery/helpers.js';
import { scanForSecrets } from './secret-scan.js';

let rack: LabRack;
let root: string;
let station: Workstation;
let firstBackup: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lifeboat-verify-history-'));
  rack = await startLabRack({ scale: 'small' });
  station = await enableBackup(root, rack);
  firstBackup = await backUp(station);
});

afterAll(async () => {
  await station?.controller.close();
  await rack?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A second connection to the workstation's catalog, as another process would open it. */
function withCatalog<T>(fn: (catalog: Catalog) => T): T {
  const catalog = openCatalog({ home: station.home });
  try {
    return fn(catalog);
  } finally {
    catalog.close();
  }
}

function packs(share: string): string[] {
  const data = join(share, 'data');
  return readdirSync(data).flatMap((folder) =>
    readdirSync(join(data, folder))
      .map((name) => join(data, folder, name))
      .filter((path) => !path.endsWith('.tmp') && statSync(path).isFile()),
  );
}

/** Flips one byte in the middle of a pack file, as a failing disk would. */
function corrupt(path: string): void {
  const bytes = readFileSync(path);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] as number) ^ 0xff;
  writeFileSync(path, bytes);
}

describe('verification results and progress history in the catalog', () => {
  it('shows no result before a backup is verified, then the latest one', async () => {
    expect((await station.controller.getBackup(firstBackup)).lastVerified).toBeNull();
    const before = new Date().toISOString();
    const full = await station.controller.verifyBackup(firstBackup, { readData: true });
    expect(full.ok).toBe(true);
    const shown = (await station.controller.getBackup(firstBackup)).lastVerified;
    expect(shown).toEqual({ at: expect.any(String), readData: true, ok: true });
    const at = shown?.at ?? '';
    expect(at >= before && at <= new Date().toISOString()).toBe(true);
    const verifyJob = station.controller.listJobs().find((j) => j.kind === 'verify');
    withCatalog((catalog) =>
      expect(catalog.verifications.latest(firstBackup)).toMatchObject({
        jobId: verifyJob?.jobId,
        ok: true,
        readData: true,
        damagedComponents: [],
      }),
    );
    await station.controller.verifyBackup(firstBackup, { readData: false });
    expect((await station.controller.getBackup(firstBackup)).lastVerified).toMatchObject({
      ok: true,
      readData: false,
    });
  });

  it('remembers a damaged backup as not ok with its damaged components', async () => {
    const before = new Set(packs(station.share));
    await rack.run(['mutate', '--percent', '5']);
    const damaged = await backUp(station);
    const fresh = packs(station.share).filter((path) => !before.has(path));
    expect(fresh.length).toBeGreaterThan(0);
    corrupt(fresh[0] as string);

    const result = await station.controller.verifyBackup(damaged, { readData: true });
    expect(result.ok).toBe(false);
    expect(result.damagedComponents.length).toBeGreaterThan(0);
    expect(result.suggestedBackupId).toBe(firstBackup);
    expect((await station.controller.getBackup(damaged)).lastVerified).toMatchObject({
      ok: false,
      readData: true,
    });
    withCatalog((catalog) =>
      expect(catalog.verifications.latest(damaged)?.damagedComponents).toEqual(
        result.damagedComponents,
      ),
    );
    // Finding the suggestion checked the older backup's structure: that is remembered too.
    expect((await station.controller.getBackup(firstBackup)).lastVerified).toMatchObject({
      ok: true,
      readData: false,
    });
    expect(station.controller.listJobs()[0]).toMatchObject({ kind: 'verify', status: 'failed' });
  });

  it('rebuilds the catalog without failing or inventing a result', async () => {
    const unverified = await backUp(station);
    const removed = await backUp(station);
    await station.controller.verifyBackup(removed, { readData: false });
    // The repository forgets one backup behind the catalog's back.
    rmSync(join(station.share, 'manifests', removed));
    const rebuilt = await station.controller.rebuildCatalog();
    expect(rebuilt.removed).toBe(1);
    expect((await station.controller.getBackup(unverified)).lastVerified).toBeNull();
    expect((await station.controller.getBackup(firstBackup)).lastVerified?.ok).toBe(true);
    withCatalog((catalog) => expect(catalog.verifications.latest(removed)).toBeNull());
  });

  it('keeps a thinned set of progress samples with a backup job, read back after a restart', async () => {
    await station.controller.close();
    // Forty times faster clock: the sampling intervals pass within a small lab backup.
    const start = Date.now();
    const controller = await BackupController.open({
      home: station.home,
      ...vaultOptions(),
      now: () => start + (Date.now() - start) * 40,
    });
    station.controller = controller;
    const events: HostEvent[] = [];
    controller.on((event) => events.push(event));
    await rack.run(['mutate', '--percent', '5']);
    const began = Date.now();
    const result = await controller.startBackup().done;
    const virtualMs = (Date.now() - began) * 40;
    expect(result.status).toBe('Succeeded');
    await controller.close();
    station.controller = await BackupController.open({ home: station.home, ...vaultOptions() });

    const stored = withCatalog((catalog) => catalog.jobs.events(result.jobId));
    const samples = stored.filter((e) => e.kind === 'progress');
    const field = (e: { data: unknown }, name: 'component' | 'status') =>
      (e.data as Record<typeof name, string>)[name];
    // Components stream one after another: while running, at most one sample per interval.
    expect(samples.filter((e) => field(e, 'status') === 'Running').length).toBeLessThanOrEqual(
      Math.ceil(virtualMs / SAMPLE_POLICY.firstEveryMs),
    );
    // Each component ends exactly once, with the bytes it backed up.
    for (const outcome of result.components) {
      const ends = samples.filter(
        (e) => field(e, 'component') === outcome.component && field(e, 'status') !== 'Running',
      );
      expect(ends.map((e) => e.data)).toEqual([
        expect.objectContaining({ status: 'Succeeded', bytesDone: outcome.bytes }),
      ]);
    }
    // The job's last known progress is what the live stream last showed.
    const live = events.filter((e) => e.type === 'job.progress' && e.jobId === result.jobId);
    const lastLive = live.at(-1);
    const byName = (a: { component: string }, b: { component: string }) =>
      a.component.localeCompare(b.component);
    expect(lastLive?.type === 'job.progress' && lastLive.progress.components.sort(byName)).toEqual(
      progressFromSamples(stored)?.components.sort(byName),
    );
    // ...and the job's history, asked of a controller that never ran it, shows it.
    expect(station.controller.getJob(result.jobId).progress?.components.sort(byName)).toEqual(
      progressFromSamples(stored)?.components.sort(byName),
    );
    // Nothing persisted holds a secret.
    expect(scanForSecrets(station.home, [], [station.operatorKey, rack.password])).toEqual([]);
  });
});
