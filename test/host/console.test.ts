import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleServer } from '../../electron/host/console.js';
import { createRouter } from '../../electron/host/router.js';
import { memoryServices, type MemoryServices } from './memory-services.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so tests control Host and Origin exactly as an attacker could. */
function send(
  server: ConsoleServer,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { host: `127.0.0.1:${server.port}`, ...options.headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function call(server: ConsoleServer, body: unknown, headers: Record<string, string> = {}) {
  return send(server, {
    method: 'POST',
    path: '/api/call',
    headers: {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

function errorCode(reply: Reply): string | undefined {
  return (JSON.parse(reply.body) as { error?: { code: string } }).error?.code;
}

let dir: string;
let server: ConsoleServer;
let services: MemoryServices;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-console-'));
  const renderer = join(dir, 'renderer');
  await mkdir(join(renderer, 'assets'), { recursive: true });
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Lifeboat</title>');
  await writeFile(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'outside the renderer');
  await symlink(join(dir, 'secret.txt'), join(renderer, 'assets', 'link.js'));
  services = memoryServices();
  server = await startConsole({ router: createRouter(services), rendererDir: renderer });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('console host', () => {
  it('listens on 127.0.0.1 with a random port and a 256-bit token in the fragment', () => {
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`${server.origin}/#token=${server.token}`);
    expect(Buffer.from(server.token, 'base64url')).toHaveLength(32);
  });

  it('refuses to bind anywhere but the loopback address', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'localhost', '::1']) {
      await expect(
        startConsole({ router: createRouter(services), rendererDir: dir, host }),
      ).rejects.toMatchObject({ code: 'IPC_CONSOLE_BIND' });
    }
  });

  it('answers a call that carries the token', async () => {
    const reply = await call(server, { method: 'app.info', params: {} });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: true, result: { lab: true } });
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('refuses a call with no token or a wrong token', async () => {
    const none = await call(server, { method: 'app.info', params: {} }, { authorization: '' });
    expect(none.status).toBe(401);
    expect(errorCode(none)).toBe('IPC_CONSOLE_TOKEN');
    const wrong = await call(
      server,
      { method: 'app.info', params: {} },
      { authorization: `Bearer ${server.token.slice(0, -2)}xx` },
    );
    expect(wrong.status).toBe(401);
    expect(errorCode(wrong)).toBe('IPC_CONSOLE_TOKEN');
    const inQuery = await send(server, {
      method: 'POST',
      path: `/api/call?token=${server.token}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'app.info', params: {} }),
    });
    expect(inQuery.status).toBe(401);
  });

  it('refuses a foreign Origin even with the right token', async () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:1', 'null']) {
      const reply = await call(server, { method: 'app.info', params: {} }, { origin });
      expect(reply.status, origin).toBe(403);
      expect(errorCode(reply)).toBe('IPC_CONSOLE_ORIGIN');
    }
    const crossSite = await call(
      server,
      { method: 'app.info', params: {} },
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    const own = await call(server, { method: 'app.info', params: {} }, { origin: server.origin });
    expect(own.status).toBe(200);
  });

  it('refuses a foreign Host (DNS rebinding), for calls and files alike', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1:1']) {
      const reply = await call(server, { method: 'app.info', params: {} }, { host });
      expect(reply.status, host).toBe(421);
      expect(errorCode(reply)).toBe('IPC_CONSOLE_HOST');
      const file = await send(server, { path: '/', headers: { host } });
      expect(file.status).toBe(421);
    }
  });

  it('refuses what is not a JSON call, and passes malformed calls to the router', async () => {
    const form = await send(server, {
      method: 'POST',
      path: '/api/call',
      headers: {
        authorization: `Bearer ${server.token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'method=app.info',
    });
    expect(form.status).toBe(400);
    const get = await send(server, {
      path: '/api/call',
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(get.status).toBe(400);
    const notJson = await send(server, {
      method: 'POST',
      path: '/api/call',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(errorCode(notJson)).toBe('IPC_CONSOLE_REQUEST');
    const malformed = await call(server, { method: 'backups.get', params: { backupId: '' } });
    expect(malformed.status).toBe(200);
    expect(errorCode(malformed)).toBe('IPC_INVALID_REQUEST');
    const huge = await call(server, { method: 'app.info', params: { pad: 'x'.repeat(1_100_000) } });
    expect(huge.status).toBe(400);
  });

  it('serves the renderer with a strict CSP and security headers', async () => {
    const reply = await send(server, { path: '/' });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('<title>Lifeboat</title>');
    expect(reply.headers['content-type']).toContain('text/html');
    const csp = String(reply.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|\*|'unsafe-/);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    const script = await send(server, { path: '/assets/app.js' });
    expect(script.headers['content-type']).toContain('text/javascript');
    const error = await call(server, { method: 'app.info', params: {} }, { authorization: '' });
    expect(error.headers['content-security-policy']).toBe(csp);
  });

  it('refuses path traversal, encoded or not, and symlinks leading out', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/app.js%00.html',
      '/%E0%A4%A',
      '/assets/link.js',
      '/assets/missing.js',
    ]) {
      const reply = await send(server, { path });
      expect(reply.status, path).toBe(404);
      expect(reply.body).not.toContain('outside the renderer');
    }
  });

  it('streams events only with the token', async () => {
    const refused = await send(server, { path: '/api/events' });
    expect(refused.status).toBe(401);
    const wrong = await send(server, { path: '/api/events?token=nope' });
    expect(wrong.status).toBe(401);
    const lines = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: `/api/events?token=${server.token}`,
          headers: { host: `127.0.0.1:${server.port}` },
        },
        (res) => {
          expect(res.headers['content-type']).toContain('text/event-stream');
          let text = '';
          res.on('data', (part: Buffer) => {
            text += part.toString('utf8');
            if (text.includes('data: ')) {
              req.destroy();
              resolve(text);
            }
          });
          // The stream is open: an event the services emit now must arrive on it.
          setTimeout(() => services.emit({ type: 'changed', topics: ['jobs'] }), 20);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(lines).toContain('data: {"type":"changed","topics":["jobs"]}');
  });
});
