/**
 * The console host for the browser tests, put together the way `npm start`
 * (electron/host/start.ts) does it: the default lab rack (small, state under the profile folder),
 * the real services on the profile folder, the one router, the loopback console. Run from source:
 *
 *     node --import tsx test/e2e/console-host.ts <profile folder> <built renderer folder>
 *
 * It prints one JSON line ({ url, rack }) once the console listens, and stops everything on
 * SIGTERM, SIGINT or the end of its standard input. It differs from start.ts only where a test
 * must: the renderer comes from a fresh build of the current source (not dist/), no browser is
 * opened, and the scheduler is off so no scheduled run can race the test's own backup.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openServices } from '../../electron/host/adapter.js';
import { startConsole } from '../../electron/host/console.js';
import { defaultLocationPath, startLabRack } from '../../electron/host/default-setup.js';
import { createRouter } from '../../electron/host/router.js';

const repo = join(import.meta.dirname, '..', '..');
const [home, rendererDir] = process.argv.slice(2);
if (home === undefined || rendererDir === undefined) {
  process.stderr.write('usage: console-host.ts <profile folder> <renderer folder>\n');
  process.exit(2);
}

mkdirSync(home, { recursive: true });
const rack = await startLabRack({
  home,
  program: join(repo, 'lab-rack', 'bin.ts'),
  nodeArgs: ['--import', 'tsx'],
});
mkdirSync(defaultLocationPath(home), { recursive: true });
const services = await openServices({
  home,
  transport: 'console',
  version: '0.0.0-e2e',
  labRack: rack.info,
  labRackTool: { program: join(repo, 'lab-rack', 'bin.ts'), nodeArgs: ['--import', 'tsx'] },
  scheduler: false,
});
const server = await startConsole({ router: createRouter(services), rendererDir });
process.stdout.write(`${JSON.stringify({ url: server.url, rack: rack.info })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  await services.close();
  await rack.stop();
  process.exit(0);
}
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
// The test holds our stdin open; if it dies without stopping us, the pipe closes and we stop too,
// so no host or lab rack outlives its test run.
process.stdin.on('end', () => void stop());
process.stdin.resume();
