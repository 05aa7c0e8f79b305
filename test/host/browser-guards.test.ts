/**
 * The console's guards as a real browser meets them (Debian's chromium, headless): the app's
 * own page may call with its token; another page on another loopback port, even one that
 * knows the token, can neither call the API nor read its answer, nor frame the console.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleServer } from '../../electron/host/console.js';
import { createRouter } from '../../electron/host/router.js';
import { memoryServices } from './memory-services.js';

let dir: string;
let server: ConsoleServer;
let attacker: Server;
let attackerOrigin: string;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-browser-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Lifeboat</title><p>app</p>');
  server = await startConsole({ router: createRouter(memoryServices()), rendererDir: dir });
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(
      `<!doctype html><title>elsewhere</title><iframe id="f" src="${server.origin}/"></iframe>`,
    );
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** Calls the console API from inside a page; returns the status or the fetch failure. */
function callFrom(origin: string, token: string): string {
  return `fetch('${origin}/api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ${token}' },
      body: JSON.stringify({ method: 'app.info', params: {} }),
    }).then(async (r) => r.status + ' ' + (await r.text()), (e) => 'blocked: ' + e.message)`;
}

describe('console guards in a real browser', () => {
  it('serves the app page, which may call with its token', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    expect(await page.title()).toBe('Lifeboat');
    const answer = (await page.evaluate(callFrom(server.origin, server.token))) as string;
    expect(answer).toMatch(/^200 \{"ok":true/);
    const without = (await page.evaluate(callFrom(server.origin, 'nope'))) as string;
    expect(without).toMatch(/^401 /);
    await page.close();
  }, 30_000);

  it('refuses another page, even one that knows the token', async () => {
    const page = await browser.newPage();
    const consoleRequests: number[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${server.origin}/api/`))
        consoleRequests.push(response.status());
    });
    await page.goto(attackerOrigin);
    const answer = (await page.evaluate(callFrom(server.origin, server.token))) as string;
    expect(answer).toMatch(/^blocked: /);
    expect(answer).not.toContain('"ok":true');
    // The preflight (or the request) reached the console and was refused there.
    expect(consoleRequests.every((status) => status >= 400)).toBe(true);
    // frame-ancestors 'none' and X-Frame-Options: the console never renders inside it.
    const framed = page.frame({ url: (url) => url.href.startsWith(server.origin) });
    const framedText =
      framed === null
        ? ''
        : await framed.evaluate('document.body ? document.body.innerText : ""').catch(() => '');
    expect(framedText).not.toContain('app');
    await page.close();
  }, 30_000);
});
