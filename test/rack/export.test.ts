/**
 * Backups against a real lab rack: consistent exports while the rack changes, resumable and
 * checked downloads, and the faults a test can inject (drops, failures, hangs, latency).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RackErrors, type RackClient } from '../../electron/rack/index.js';
import { startLabRack, type LabRack } from '../helpers/lab-rack.js';
import { collect, connect, restore, saveExport, sha256, type SavedExport } from './util.js';

let rack: LabRack;
let target: LabRack;
let client: RackClient;
let targetClient: RackClient;

beforeAll(async () => {
  [rack, target] = await Promise.all([startLabRack(), startLabRack({ seed: 7 })]);
  await target.run(['redeploy', '--recovery']);
  [client, targetClient] = await Promise.all([connect(rack), connect(target)]);
});
afterAll(async () => {
  client?.close();
  targetClient?.close();
  await Promise.all([rack?.stop(), target?.stop()]);
});

async function rawRange(path: string, token: string, range: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request(
      new URL(path, rack.url),
      { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}`, range } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

describe('downloads', () => {
  it('streams every artifact with the announced size and SHA-256', async () => {
    const exported = await client.startExport('ca');
    expect(exported.artifacts.map((a) => a.name)).toEqual([
      'root-ca.pem',
      'intermediate-ca.pem',
      'issued.sql',
    ]);
    for (const artifact of exported.artifacts) {
      const bytes = await collect(client.downloadArtifact(exported.exportId, artifact.name));
      expect(bytes.length).toBe(artifact.size);
      expect(sha256(bytes)).toBe(artifact.sha256);
    }
    expect((await client.getExport(exported.exportId)).stateDigest).toBe(exported.stateDigest);
    await client.deleteExport(exported.exportId);
    await expect(client.getExport(exported.exportId)).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_NOT_FOUND'),
    );
  });

  it('resumes from an offset with a Range request', async () => {
    const exported = await client.startExport('identity');
    const artifact = exported.artifacts[0]!;
    const whole = await collect(client.downloadArtifact(exported.exportId, artifact.name));
    const tail = await collect(
      client.downloadArtifact(exported.exportId, artifact.name, { offset: 1000 }),
    );
    expect(tail.equals(whole.subarray(1000))).toBe(true);
  });

  it('answers 416 for a range past the end', async () => {
    const exported = await client.startExport('federation');
    const artifact = exported.artifacts[0]!;
    const token = await new Promise<string>((resolve, reject) => {
      const body = Buffer.concat([
        Buffer.from(`{"username":"${rack.username}","password":"`),
        rack.password,
        Buffer.from('"}'),
      ]);
      const req = request(
        new URL('/v1/auth/token', rack.url),
        { method: 'POST', rejectUnauthorized: false },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve((JSON.parse(text) as { token: string }).token));
        },
      );
      req.once('error', reject);
      req.end(body);
    });
    const path = `/v1/exports/${exported.exportId}/artifacts/${artifact.name}`;
    expect(await rawRange(path, token, `bytes=${artifact.size}-`)).toBe(416);
    expect(await rawRange(path, token, 'bytes=5-9')).toBe(206);
  });

  it('carries on through dropped connections and still checks the SHA-256', async () => {
    const exported = await client.startExport('deployment');
    const artifact = exported.artifacts.find((a) => a.name === 'ece-state.sql')!;
    await rack.setFaults({
      dropDownload: { artifact: 'ece-state.sql', atByte: 700_000, times: 1 },
    });
    const first = await collect(client.downloadArtifact(exported.exportId, artifact.name));
    expect(sha256(first)).toBe(artifact.sha256);
    // Dropped three times at the same byte: the client resumes each time.
    await rack.setFaults({
      dropDownload: { artifact: 'ece-state.sql', atByte: 1_234_567, times: 3 },
    });
    const second = await collect(client.downloadArtifact(exported.exportId, artifact.name));
    expect(sha256(second)).toBe(artifact.sha256);
  });

  it('fails the stream when the bytes do not have the announced SHA-256', async () => {
    const exported = await client.startExport('arm');
    const artifact = exported.artifacts[0]!;
    // Damage the snapshot on the rack's disk, as a failing disk would.
    const file = join(rack.stateDir, 'exports', exported.exportId, artifact.name);
    const bytes = readFileSync(file);
    bytes[100] = (bytes[100] as number) ^ 0x20;
    writeFileSync(file, bytes);
    const stream = client.downloadArtifact(exported.exportId, artifact.name);
    await expect(collect(stream)).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_DIGEST_MISMATCH'),
    );
    const announced = client.downloadArtifact(exported.exportId, artifact.name, {
      sha256: 'f'.repeat(64),
    });
    await expect(collect(announced)).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_PROTOCOL'),
    );
  });

  it('gives up after the retries when the rack keeps dropping', async () => {
    const exported = await client.startExport('identity');
    const artifact = exported.artifacts[0]!;
    await rack.setFaults({ dropDownload: { artifact: artifact.name, atByte: 100, times: 0 } });
    const stubborn = await connect(rack);
    try {
      // A range that starts past the dropping byte is unaffected.
      const tail = await collect(
        stubborn.downloadArtifact(exported.exportId, artifact.name, { offset: 200 }),
      );
      expect(tail.length).toBe(artifact.size - 200);
      const whole = collect(stubborn.downloadArtifact(exported.exportId, artifact.name));
      await expect(whole).rejects.toSatisfy((error) => RackErrors.is(error, 'RACK_UNREACHABLE'));
    } finally {
      stubborn.close();
      await rack.setFaults({});
    }
  });
});

describe('injected faults', () => {
  it('a failing component answers its 5xx; the others are untouched', async () => {
    await rack.setFaults({ failComponent: { component: 'srp', status: 500, times: 1 } });
    await expect(client.startExport('srp')).rejects.toSatisfy(
      (error) =>
        RackErrors.is(error, 'RACK_SERVER_ERROR') &&
        error.details?.['rackCode'] === 'INJECTED_FAILURE',
    );
    expect((await client.digest('nrp')).records).toBeGreaterThan(0);
    expect((await client.digest('srp')).records).toBeGreaterThan(0);
    await rack.setFaults({ failComponent: { component: 'srp', status: 503, times: 1 } });
    await expect(client.digest('srp')).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_UNAVAILABLE'),
    );
  });

  it('a hanging component becomes RACK_TIMEOUT for a client that waits a bounded time', async () => {
    const impatient = await connect(rack, { timeoutMs: 2000, operationTimeoutMs: 2000 });
    await rack.setFaults({ hangComponent: 'crp' });
    try {
      await expect(impatient.startExport('crp')).rejects.toSatisfy((error) =>
        RackErrors.is(error, 'RACK_TIMEOUT'),
      );
      expect((await client.digest('arm')).records).toBeGreaterThan(0);
    } finally {
      impatient.close();
      await rack.setFaults({});
    }
  });

  it('latency delays every answer', async () => {
    await rack.setFaults({ latencyMs: 300 });
    try {
      const started = Date.now();
      await client.info();
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await rack.setFaults({});
    }
  });
});

describe('consistency under concurrent mutation', () => {
  it('each export holds the rack at one instant, with the digest of that instant', async () => {
    const initial = (await client.digest('identity')).stateDigest;
    const mutating = (async () => {
      for (let round = 0; round < 2; round++) await rack.run(['mutate', '--percent', '20']);
    })();
    // One export per distinct instant seen while the rack changes underneath.
    const exports = new Map<string, SavedExport>();
    let done = false;
    void mutating.finally(() => (done = true));
    while (!done) {
      const saved = await saveExport(client, 'identity');
      exports.set(saved.response.stateDigest, saved);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await mutating;
    expect(exports.size).toBeGreaterThan(1); // the rack really changed while exporting
    expect((await client.digest('identity')).stateDigest).not.toBe(initial);
    for (const saved of exports.values()) {
      // Restoring an export elsewhere reproduces exactly the digest it announced.
      expect(await restore(targetClient, saved)).toBe(saved.response.stateDigest);
    }
  });
});
