/**
 * `npm start`: the default set-up, then the desktop app where Electron's binary exists, or else
 * the browser console on loopback.
 *
 *   1. Unless LIFEBOAT_LAB_RACK=0: start the lab rack (small, state in `<home>/lab-rack`) and
 *      offer `<home>/storage` as the external location, so a newcomer can enable backup, back
 *      up and run a recovery drill within minutes.
 *   2. Electron installed: run it on this folder, passing the lab rack's address (no secret:
 *      its password stays in the lab rack's password file) in LIFEBOAT_LAB_RACK_INFO.
 *   3. Otherwise say so, serve the console on 127.0.0.1 with a fresh token, print its address,
 *      and open it in the system browser if there is one (LIFEBOAT_NO_BROWSER=1 prevents it).
 *
 * Ctrl+C stops everything this started.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommonErrors, asLifeboatError } from '../../shared/errors.js';
import { defaultHome } from '../cli/main.js';
import { openServices } from './adapter.js';
import { openInBrowser, systemOpener, writeLaunchPage } from './browser.js';
import { startConsole } from './console.js';
import { LAB_RACK_ENV, defaultLocationPath, startLabRack, type LabRack } from './default-setup.js';
import { findElectronBinary } from './electron-binary.js';
import { openLogger } from '../log/index.js';
import { ENGINE_V8_FLAGS, applyHeapGrowth } from '../repository/index.js';
import { createRouter, loggingFailures } from './router.js';

/** The app's folder: the nearest one up with package.json (source and dist/ sit at different depths). */
function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw CommonErrors.create('INTERNAL', 'The app folder (package.json) was not found.');
    dir = parent;
  }
  return dir;
}

const root = appRoot();
const say = (line: string) => process.stdout.write(`${line}\n`);

function version(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function defaultSetUp(home: string): Promise<LabRack | null> {
  if (process.env['LIFEBOAT_LAB_RACK'] === '0') return null;
  say(`Starting the lab rack (simulated, small) with its state in ${join(home, 'lab-rack')} …`);
  const rack = await startLabRack({ home, program: join(root, 'bin', 'lab-rack.js') });
  mkdirSync(defaultLocationPath(home), { recursive: true });
  say(`Lab rack: ${rack.info.url} (certificate SHA-256 ${rack.info.fingerprint})`);
  say(`Suggested external location: ${defaultLocationPath(home)}`);
  return rack;
}

function runElectron(binary: string, rack: LabRack | null): Promise<number> {
  const env = { ...process.env };
  if (rack !== null) env[LAB_RACK_ENV] = JSON.stringify(rack.info);
  // The engine's heap settings: the main process's can only be given at its start.
  const child = spawn(binary, [`--js-flags=${ENGINE_V8_FLAGS.join(' ')}`, root], {
    stdio: 'inherit',
    env,
  });
  const forward = () => child.kill('SIGTERM');
  process.once('SIGINT', forward);
  process.once('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('error', () => resolve(1));
    child.once('exit', (code) => resolve(code ?? 0));
  });
}

async function runConsole(home: string, rack: LabRack | null): Promise<number> {
  const services = await openServices({
    home,
    transport: 'console',
    version: version(),
    labRack: rack?.info ?? null,
    labRackTool: { program: join(root, 'bin', 'lab-rack.js') },
  });
  const router = createRouter(services, loggingFailures(openLogger({ home, source: 'console' })));
  const server = await startConsole({ router, rendererDir: join(root, 'dist', 'renderer') });
  say('');
  say(`Lifeboat console: ${server.url}`);
  say(
    'Open that address in a browser on this machine; it works only with its token. Ctrl+C stops.',
  );
  let page: { remove(): void } | null = null;
  if (process.env['LIFEBOAT_NO_BROWSER'] !== '1') {
    const launch = writeLaunchPage(join(home, 'console'), server.url);
    page = launch;
    if (!openInBrowser(systemOpener(process.platform, process.env), launch.path)) {
      say('(No system browser was found to open it.)');
    }
  }
  await untilStopped();
  say('Stopping …');
  page?.remove();
  await server.close();
  await services.close();
  return 0;
}

export async function main(): Promise<number> {
  applyHeapGrowth(); // for the console, which runs the engine in this process
  const home = defaultHome();
  let rack: LabRack | null = null;
  try {
    mkdirSync(home, { recursive: true });
    say(`Profile folder: ${home}`);
    rack = await defaultSetUp(home);
    const electron = findElectronBinary(root, process.env);
    if (electron.found) return await runElectron(electron.path, rack);
    say(`Electron is not available here: ${electron.reason}.`);
    say('Starting the browser console instead (the same screens, served on 127.0.0.1 only).');
    return await runConsole(home, rack);
  } catch (error) {
    const failure = asLifeboatError(error);
    process.stderr.write(`error ${failure.code}: ${failure.message}\nhint: ${failure.hint}\n`);
    return 1;
  } finally {
    await rack?.stop();
  }
}
