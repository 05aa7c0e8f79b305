/**
 * First contact with a rack: fingerprint pinning, credentials, tokens, unreachable racks —
 * against a real lab rack on loopback.
 */
import { request } from 'node:https';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommonErrors } from '../../shared/errors.js';
import { RackClient, RackErrors, probeFingerprint } from '../../electron/rack/index.js';
import { startLabRack, type LabRack } from '../helpers/lab-rack.js';
import { connect } from './util.js';

let rack: LabRack;

beforeAll(async () => {
  rack = await startLabRack({ tokenTtlSeconds: 2 });
});
afterAll(async () => {
  await rack?.stop();
});

/** A raw request, to see the rack's own status and error body. */
function raw(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, rack.url), { rejectUnauthorized: false, headers }, (res) => {
      let body = '';
      res.on('data', (data: Buffer) => (body += data.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('first contact', () => {
  it('probes the fingerprint the lab rack printed', async () => {
    expect(await probeFingerprint(rack.url)).toBe(rack.fingerprint);
  });

  it('connects with the pinned fingerprint in any spelling and reads the rack', async () => {
    const client = await RackClient.connect({
      url: rack.url,
      fingerprint: rack.fingerprint.replaceAll(':', '').toLowerCase(),
      username: rack.username,
      password: rack.password,
    });
    const info = await client.info();
    expect(info.version).toBe('1.4.0');
    expect(info.mode).toBe('normal');
    expect(info.components.map((component) => component.id)).toEqual([
      'deployment',
      'identity',
      'federation',
      'ca',
      'arm',
      'crp',
      'srp',
      'nrp',
      'keyvault',
      'rbac',
    ]);
    expect(info.components.every((component) => component.sizeBytes > 0)).toBe(true);
    client.close();
  });

  it('refuses a rack whose certificate is not the confirmed one', async () => {
    const other = `${rack.fingerprint.slice(0, -2)}${rack.fingerprint.endsWith('00') ? '01' : '00'}`;
    const attempt = RackClient.connect({
      url: rack.url,
      fingerprint: other,
      username: rack.username,
      password: rack.password,
    });
    await expect(attempt).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_FINGERPRINT_CHANGED'),
    );
  });

  it('refuses wrong credentials with RACK_AUTH_FAILED', async () => {
    const attempt = RackClient.connect({
      url: rack.url,
      fingerprint: rack.fingerprint,
      username: rack.username,
      password: Buffer.from('not-the-password'),
    });
    await expect(attempt).rejects.toSatisfy(
      (error) =>
        RackErrors.is(error, 'RACK_AUTH_FAILED') &&
        error.details?.['rackCode'] === 'INVALID_CREDENTIALS',
    );
  });

  it('reports an unreachable rack as RACK_UNREACHABLE', async () => {
    const port = await freePort();
    await expect(probeFingerprint(`https://127.0.0.1:${port}`)).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_UNREACHABLE'),
    );
  });

  it('refuses addresses that are not https://HOST:PORT', async () => {
    for (const url of [
      'http://127.0.0.1:1',
      'https://user:pw@127.0.0.1:1',
      'https://h:1/x',
      'nope',
    ]) {
      await expect(probeFingerprint(url)).rejects.toSatisfy((error) =>
        CommonErrors.is(error, 'INVALID_INPUT'),
      );
    }
  });
});

describe('tokens', () => {
  it('answers 401 with a code for a missing and an expired token', async () => {
    const missing = await raw('/v1/rack');
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'UNAUTHENTICATED' });

    const login = await new Promise<string>((resolve, reject) => {
      const body = Buffer.concat([
        Buffer.from(`{"username":"${rack.username}","password":"`),
        rack.password,
        Buffer.from('"}'),
      ]);
      const req = request(
        new URL('/v1/auth/token', rack.url),
        {
          method: 'POST',
          rejectUnauthorized: false,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (data: Buffer) => (text += data.toString()));
          res.on('end', () => resolve((JSON.parse(text) as { token: string }).token));
        },
      );
      req.once('error', reject);
      req.end(body);
    });
    expect((await raw('/v1/rack', { authorization: `Bearer ${login}` })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const expired = await raw('/v1/rack', { authorization: `Bearer ${login}` });
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.body)).toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('renews an expiring token by itself', async () => {
    const client = await connect(rack);
    await client.info();
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect((await client.info()).mode).toBe('normal');
    client.close();
  });

  it('serves its OpenAPI document without a token', async () => {
    const answer = await raw('/v1/openapi.json');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ openapi: '3.1.0' });
  });

  it('answers unknown paths and methods with coded errors', async () => {
    expect(JSON.parse((await raw('/v1/nothing')).body)).toMatchObject({ code: 'NOT_FOUND' });
    const client = await connect(rack);
    await expect(client.digest('storage' as never)).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_UNKNOWN_COMPONENT'),
    );
    client.close();
  });
});

describe('refusals', () => {
  async function token(): Promise<string> {
    return await new Promise<string>((resolve, reject) => {
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
          res.on('data', (data: Buffer) => (text += data.toString()));
          res.on('end', () => resolve((JSON.parse(text) as { token: string }).token));
        },
      );
      req.once('error', reject);
      req.end(body);
    });
  }

  function send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | string = '',
  ): Promise<{ status: number; code: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, rack.url),
        { method, rejectUnauthorized: false, headers },
        (res) => {
          let text = '';
          res.on('data', (data: Buffer) => (text += data.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              code: text === '' ? '' : (JSON.parse(text) as { code: string }).code,
            }),
          );
        },
      );
      req.once('error', reject);
      req.end(body);
    });
  }

  it('answers malformed bodies, wrong methods and unknown ids with their codes', async () => {
    const auth = { authorization: `Bearer ${await token()}` };
    expect(await send('DELETE', '/v1/rack', auth)).toEqual({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
    });
    expect(await send('PUT', '/v1/rack/mode', auth, '{"mode":')).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
    });
    expect(await send('PUT', '/v1/rack/mode', auth, '{"mode":"recovery"}')).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
    });
    expect(await send('POST', '/v1/auth/token', {}, '{"username":"x"}')).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
    });
    const huge = `{"username":"${'x'.repeat(1_100_000)}"}`;
    expect(await send('POST', '/v1/auth/token', {}, huge)).toEqual({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(await send('GET', '/v1/exports/exp-unknown', auth)).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(await send('GET', '/v1/imports/imp-unknown', auth)).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
  });

  it('refuses oversized and badly described uploads, and abandons an import', async () => {
    const client = await connect(rack);
    await client.setComponentMode('nrp', 'recovery');
    const importId = await client.createImport('nrp');
    const auth = { authorization: `Bearer ${await token()}` };
    const path = `/v1/imports/${importId}/artifacts/quotas.sql`;
    const sha = 'a'.repeat(64);
    expect(await send('PUT', path, { ...auth, 'content-length': '3' }, 'abc')).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
    });
    expect(
      await send(
        'PUT',
        path,
        { ...auth, 'lifeboat-artifact-sha256': sha, 'content-range': 'bytes 0-9/5' },
        '0123456789',
      ),
    ).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(
      await send(
        'PUT',
        `/v1/imports/${importId}/artifacts/passwords.txt`,
        { ...auth, 'lifeboat-artifact-sha256': sha },
        'x',
      ),
    ).toEqual({ status: 404, code: 'NOT_FOUND' });
    const big = await send(
      'PUT',
      path,
      {
        ...auth,
        'lifeboat-artifact-sha256': sha,
        'content-range': 'bytes 0-3/10',
        'content-length': '4',
      },
      '0123',
    );
    expect(big.status).toBe(200);
    expect((await client.importStatus(importId)).artifacts[0]).toMatchObject({
      name: 'quotas.sql',
      received: 4,
      complete: false,
    });
    await client.abandonImport(importId);
    expect((await client.importStatus(importId)).state).toBe('abandoned');
    await expect(client.commitImport(importId)).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_IMPORT_CLOSED'),
    );
    await client.setComponentMode('nrp', 'normal');
    client.close();
  });
});
