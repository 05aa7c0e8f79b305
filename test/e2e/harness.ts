/**
 * What the browser tests need around a page: a fresh renderer build, the console host (spawned
 * from source, see console-host.ts), Debian's chromium, the loopback-only request guard, the
 * axe-core check and the step screenshots. Nothing here is mocked: the host serves the real
 * services against a real lab rack and a real folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const REPO = join(import.meta.dirname, '..', '..');
export const SCREENSHOT_DIR = join(REPO, 'test-results', 'e2e-screenshots');

/** The flags that keep chromium from reaching the network on its own (platform-facts.md). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Builds the current renderer source into `outDir` (never dist/, which others may be building). */
export function buildRenderer(outDir: string): void {
  const vite = join(REPO, 'node_modules', '.bin', 'vite');
  const args = ['build', '--config', 'renderer/vite.config.ts', '--outDir', outDir];
  const result = spawnSync(vite, [...args, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`vite build failed: ${result.stderr}`);
}

export interface LabRackInfo {
  readonly url: string;
  readonly fingerprint: string;
  readonly username: string;
  readonly passwordFile: string;
}

export interface ConsoleHost {
  /** The console address with its token. */
  readonly url: string;
  readonly origin: string;
  readonly rack: LabRackInfo;
  stop(): Promise<void>;
}

/** Spawns console-host.ts and waits for its JSON line. */
export function startConsoleHost(home: string, rendererDir: string): Promise<ConsoleHost> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'test', 'e2e', 'console-host.ts'), home, rendererDir],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LIFEBOAT_HOME: home } },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (data: Buffer) => (err += data.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the console host did not start in 90 s: ${err}`));
    }, 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the console host exited (${code ?? 'signal'}): ${err}`));
    });
    child.stdout?.on('data', (data: Buffer) => {
      out += data.toString();
      const end = out.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const printed = JSON.parse(out.slice(0, end)) as { url: string; rack: LabRackInfo };
      resolve({ ...printed, origin: new URL(printed.url).origin, stop: () => stopChild(child) });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** Records every request the page makes to an origin other than `allowed`. */
export function guardOrigins(page: Page, allowed: string): string[] {
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    // blob: URLs (the report's "save" links) are made in the page and never leave it.
    if (url.protocol === 'blob:') return;
    if (url.origin !== allowed) foreign.push(request.url());
  });
  return foreign;
}

const AXE_SOURCE = readFileSync(join(REPO, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly where: string;
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core in the page and returns its serious and critical violations. The script is
 * evaluated through the DevTools protocol, which the page's strict CSP does not govern, so the
 * page under test keeps its real policy.
 */
export async function axeViolations(page: Page, where: string): Promise<AxeViolation[]> {
  await page.evaluate(`if (!window.axe) { ${AXE_SOURCE}\n }`);
  const found = await page.evaluate(async () => {
    // Runs in the page: its globals, typed here without the DOM library.
    const { axe, document } = globalThis as unknown as { axe: AxeApi; document: unknown };
    const result = await axe.run(document, { resultTypes: ['violations'] });
    // A run that checked nothing would pass anything: make it visible as a violation.
    if (result.passes.length === 0) {
      return [
        { id: 'axe-checked-nothing', impact: 'critical', help: 'axe ran no rule', targets: [] },
      ];
    }
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ where, ...v }));
}

interface AxeApi {
  run(
    context: unknown,
    options: object,
  ): Promise<{
    violations: { id: string; impact?: string; help: string; nodes: { target: string[] }[] }[];
    passes: unknown[];
  }>;
}

/**
 * Saves a full-page screenshot of the current state as a test artifact. When LIFEBOAT_E2E_DOCS_DIR
 * is set and `docsName` given, also a window-sized one there (how docs/screenshots/ is made: a
 * window's worth keeps each picture small and readable in the README).
 */
export async function snapshot(page: Page, name: string, docsName?: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const docs = process.env['LIFEBOAT_E2E_DOCS_DIR'];
  if (docs !== undefined && docs !== '' && docsName !== undefined) {
    mkdirSync(docs, { recursive: true });
    await page.screenshot({ path: join(docs, `${docsName}.png`), fullPage: false });
  }
  return file;
}
