/**
 * The host's adapter against the real parts: a lab rack started by the default set-up, a real
 * folder as the location, the real vault and controller, all through the one router.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutcome, HostEvent } from '../../shared/contract/index.js';
import { openServices } from '../../electron/host/adapter.js';
import { startDrillRack, startLabRack, type LabRack } from '../../electron/host/default-setup.js';
import { createRouter, type Router } from '../../electron/host/router.js';
import type { Services } from '../../electron/host/services.js';

const ctx = { transport: 'console' as const, signal: new AbortController().signal };
const PASSPHRASE = 'adapter test passphrase, long enough';
let home: string;
let rack: LabRack;
let services: Services;
let router: Router;
const events: HostEvent[] = [];
let printedKey = '';

async function call(method: string, params: unknown): Promise<unknown> {
  const outcome: CallOutcome = await router.call({ method, params }, ctx);
  if (!outcome.ok) throw new Error(`${method}: ${outcome.error.code} ${outcome.error.message}`);
  return outcome.result;
}

function finished(jobId: string): Promise<HostEvent> {
  return new Promise((resolve) => {
    const stop = router.subscribe((event) => {
      if (event.type === 'job.finished' && event.job.jobId === jobId) {
        stop();
        resolve(event);
      }
    });
  });
}

/** Sets the lab rack's injected faults through its own API (a self-signed loopback rack). */
async function labFaults(url: string, username: string, password: string, faults: object) {
  const send = (method: string, path: string, body: object, token?: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request(
        `${url}${path}`,
        {
          method,
          rejectUnauthorized: false,
          headers: {
            'content-type': 'application/json',
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (part: Buffer) => (text += part.toString('utf8')));
          res.on('end', () =>
            (res.statusCode ?? 500) < 300 ? resolve(text) : reject(new Error(`${path}: ${text}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const { token } = JSON.parse(await send('POST', '/v1/auth/token', { username, password })) as {
    token: string;
  };
  await send('PUT', '/v1/lab/faults', faults, token);
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'lifeboat-adapter-'));
  const program = join(import.meta.dirname, '..', '..', 'lab-rack', 'bin.ts');
  rack = await startLabRack({ home, program, nodeArgs: ['--import', 'tsx'] });
  services = await openServices({
    home,
    labRackTool: { program, nodeArgs: ['--import', 'tsx'] },
    transport: 'console',
    version: '0.0.0-test',
    labRack: rack.info,
    scheduler: false,
  });
  router = createRouter(services);
  router.subscribe((event) => events.push(event));
}, 60_000);

afterAll(async () => {
  await services?.close();
  await rack?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('adapter over the real controller and lab rack', () => {
  it('enables backup on the default set-up and backs up the lab rack', async () => {
    const vault = (await call('vault.status', {})) as { locked: boolean };
    if (vault.locked) await call('vault.unlock', { passphrase: PASSPHRASE });
    const info = (await call('app.info', {})) as {
      lab: boolean;
      defaults: { location: { path: string }; rackUrl: string };
    };
    expect(info.lab).toBe(true);
    expect(info.defaults.location.path).toBe(join(home, 'storage'));
    expect(info.defaults.rackUrl).toBe(rack.info.url);

    const location = { kind: 'folder', path: join(home, 'storage') };
    const test = (await call('location.test', { location, credentials: null })) as {
      writable: boolean;
    };
    expect(test.writable).toBe(true);
    const probe = (await call('rack.probe', { url: rack.info.url })) as { fingerprint: string };
    expect(probe.fingerprint).toBe(rack.info.fingerprint.replaceAll(':', '').toLowerCase());

    const key = (await call('key.generate', {})) as {
      pendingKeyId: string;
      key: string;
      confirmGroup: number;
    };
    printedKey = key.key;
    const group = key.key.split('-')[key.confirmGroup - 1];
    await call('key.confirmGenerated', {
      pendingKeyId: key.pendingKeyId,
      confirmation: group,
      storedOffline: true,
    });
    const settings = (await call('backup.enable', {
      location,
      credentials: null,
      encryption: { mode: 'generated', pendingKeyId: key.pendingKeyId },
      schedule: { frequencyHours: 12, retentionDays: 7, enabled: false },
      rack: null,
    })) as { configured: boolean; rack: { lab: boolean } };
    expect(settings.configured).toBe(true);
    expect(settings.rack.lab).toBe(true);

    const ref = (await call('backups.start', {})) as { jobId: string };
    const end = await finished(ref.jobId);
    expect(end.type === 'job.finished' && end.job.status).toBe('succeeded');
    const list = (await call('backups.list', {})) as {
      total: number;
      items: { status: string; components: unknown[] }[];
    };
    expect(list.total).toBe(1);
    expect(list.items[0]?.status).toBe('Succeeded');
    expect(list.items[0]?.components.length).toBe(10);
    expect(events.some((e) => e.type === 'job.progress')).toBe(true);
  }, 120_000);

  it('runs verify as a job whose result jobs.get returns', async () => {
    const list = (await call('backups.list', {})) as { items: { backupId: string }[] };
    const backupId = list.items[0]?.backupId as string;
    const ref = (await call('backups.verify', { backupId, readData: true })) as { jobId: string };
    const end = await finished(ref.jobId);
    expect(end.type === 'job.finished' && end.job.status).toBe('succeeded');
    const detail = (await call('jobs.get', { jobId: ref.jobId })) as {
      result: { kind: string; verify: { ok: boolean } };
    };
    expect(detail.result).toMatchObject({ kind: 'verify', verify: { ok: true } });
    const audit = (await call('audit.verify', {})) as { ok: boolean };
    expect(audit.ok).toBe(true);
    const health = (await call('health.get', {})) as { lastSucceeded: unknown };
    expect(health.lastSucceeded).not.toBeNull();
  }, 120_000);

  it('discovers, opens with the key, verifies and drills a recovery into a lab rack', async () => {
    const location = { kind: 'folder', path: join(home, 'storage') };
    const found = (await call('recovery.discover', { location, credentials: null })) as {
      sessionId: string;
      backups: { backupId: string; keyEpoch: number }[];
    };
    expect(found.backups).toHaveLength(1);
    const backupId = found.backups[0]?.backupId as string;
    const { sessionId } = found;
    const wrong = await router.call(
      {
        method: 'recovery.open',
        params: { sessionId, backupId, decryption: { mode: 'key', key: 'AAAA-BBBB' } },
      },
      ctx,
    );
    expect(wrong.ok).toBe(false);
    const opened = (await call('recovery.open', {
      sessionId,
      backupId,
      decryption: { mode: 'key', key: printedKey },
    })) as { components: unknown[] };
    expect(opened.components).toHaveLength(10);

    const verify = (await call('recovery.verify', { sessionId })) as { jobId: string };
    const verified = await finished(verify.jobId);
    expect(verified.type === 'job.finished' && verified.job.status).toBe('succeeded');

    const drill = (await call('recovery.drill', { sessionId })) as {
      jobId: string;
      recoveryId: string;
    };
    const end = await finished(drill.jobId);
    expect(end.type === 'job.finished' && end.job).toMatchObject({ status: 'succeeded' });
    const report = (await call('recovery.report', { recoveryId: drill.recoveryId })) as {
      allDigestsMatch: boolean;
      drill: boolean;
      components: { match: boolean }[];
      html: string;
    };
    expect(report).toMatchObject({ allDigestsMatch: true, drill: true });
    expect(report.components.every((c) => c.match)).toBe(true);
    expect(report.html).toContain('<html');
    const list = (await call('recovery.list', {})) as {
      recoveries: { recoveryId: string; state: string }[];
    };
    expect(list.recoveries).toContainEqual(
      expect.objectContaining({ recoveryId: drill.recoveryId, state: 'completed' }),
    );
    await call('recovery.close', { sessionId });
    const closed = await router.call({ method: 'recovery.verify', params: { sessionId } }, ctx);
    expect(closed.ok).toBe(false);
  }, 180_000);

  it('pauses a recovery into a redeployed rack and resumes it to matching digests', async () => {
    const program = join(import.meta.dirname, '..', '..', 'lab-rack', 'bin.ts');
    const targetHome = await mkdtemp(join(tmpdir(), 'lifeboat-target-'));
    const target = await startDrillRack({
      home: targetHome,
      program,
      nodeArgs: ['--import', 'tsx'],
    });
    try {
      const password = (await readFile(target.info.passwordFile, 'utf8')).trim();
      const location = { kind: 'folder', path: join(home, 'storage') };
      const found = (await call('recovery.discover', { location, credentials: null })) as {
        sessionId: string;
        backups: { backupId: string }[];
      };
      const { sessionId } = found;
      const backupId = found.backups[0]?.backupId as string;
      await call('recovery.open', {
        sessionId,
        backupId,
        decryption: { mode: 'key', key: printedKey },
      });
      const rackTarget = {
        url: target.info.url,
        fingerprint: target.info.fingerprint,
        username: target.info.username,
        password,
      };
      const checked = (await call('recovery.preflight', { sessionId, target: rackTarget })) as {
        ok: boolean;
      };
      expect(checked.ok).toBe(true);
      // A slow rack, so the restore is still running when it is paused.
      await labFaults(target.info.url, target.info.username, password, { latencyMs: 150 });
      const started = (await call('recovery.run', { sessionId, components: null })) as {
        jobId: string;
        recoveryId: string;
      };
      const paused = finished(started.jobId);
      const entry = (await call('recovery.pause', { recoveryId: started.recoveryId })) as {
        state: string;
      };
      const pausedEnd = await paused;
      expect(pausedEnd.type === 'job.finished' && pausedEnd.job.status).toBe('paused');
      expect(['paused', 'running']).toContain(entry.state);
      const listed = (await call('recovery.list', {})) as {
        recoveries: { recoveryId: string; state: string }[];
      };
      const listedRun = listed.recoveries.find((r) => r.recoveryId === started.recoveryId);
      expect(listedRun?.state).toBe('paused');

      await labFaults(target.info.url, target.info.username, password, {});
      const resumed = (await call('recovery.resume', {
        recoveryId: started.recoveryId,
        sessionId,
      })) as { jobId: string; recoveryId: string };
      expect(resumed.recoveryId).toBe(started.recoveryId);
      const end = await finished(resumed.jobId);
      expect(end.type === 'job.finished' && end.job.status).toBe('succeeded');
      const report = (await call('recovery.report', { recoveryId: started.recoveryId })) as {
        allDigestsMatch: boolean;
      };
      expect(report.allDigestsMatch).toBe(true);
      await call('recovery.close', { sessionId });
    } finally {
      await target.stop();
      await rm(targetHome, { recursive: true, force: true });
    }
  }, 180_000);

  it('reports a damaged backup as a verify result naming the damaged components', async () => {
    const data = join(home, 'storage', 'data');
    const packs: string[] = [];
    for (const shard of await readdir(data)) {
      for (const name of await readdir(join(data, shard))) packs.push(join(data, shard, name));
    }
    const sizes = await Promise.all(packs.map(async (p) => ({ p, size: (await stat(p)).size })));
    const largest = sizes.sort((a, b) => b.size - a.size)[0]?.p as string;
    const bytes = await readFile(largest);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(largest, bytes);

    const location = { kind: 'folder', path: join(home, 'storage') };
    const found = (await call('recovery.discover', { location, credentials: null })) as {
      sessionId: string;
      backups: { backupId: string }[];
    };
    const backupId = found.backups[0]?.backupId as string;
    await call('recovery.open', {
      sessionId: found.sessionId,
      backupId,
      decryption: { mode: 'key', key: printedKey },
    });
    const ref = (await call('recovery.verify', { sessionId: found.sessionId })) as {
      jobId: string;
    };
    const end = await finished(ref.jobId);
    expect(end.type === 'job.finished' && end.job.status).toBe('failed');
    const detail = (await call('jobs.get', { jobId: ref.jobId })) as {
      result: { kind: string; verify: { ok: boolean; damagedComponents: string[] } };
    };
    expect(detail.result.kind).toBe('recovery-verify');
    expect(detail.result.verify.ok).toBe(false);
    expect(detail.result.verify.damagedComponents.length).toBeGreaterThan(0);
    await call('recovery.close', { sessionId: found.sessionId });
  }, 120_000);

  it('follows the lab rack to a new port when its remembered one is taken', async () => {
    const program = join(import.meta.dirname, '..', '..', 'lab-rack', 'bin.ts');
    // The first lab rack still holds the remembered port, so this one gets another.
    const moved = await startLabRack({ home, program, nodeArgs: ['--import', 'tsx'] });
    try {
      expect(moved.info.url).not.toBe(rack.info.url);
      await services.close();
      services = await openServices({
        home,
        transport: 'console',
        version: '0.0.0-test',
        labRack: moved.info,
        scheduler: false,
      });
      router = createRouter(services);
      const vault = (await call('vault.status', {})) as { locked: boolean };
      if (vault.locked) await call('vault.unlock', { passphrase: PASSPHRASE });
      const settings = (await call('settings.get', {})) as { rack: { url: string } };
      expect(settings.rack.url).toBe(moved.info.url);
    } finally {
      await services.close();
      await moved.stop();
    }
  }, 120_000);
});
