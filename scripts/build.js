#!/usr/bin/env node
// Builds what runs outside the test runner: the main process, services, command-line tools and
// lab rack (tsc -> dist/), and the renderer (vite -> dist/renderer). `npm install` runs this
// through the prepare script so `npm start`, `lifeboat` and `lab-rack` work right away.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);

function step(label, command, args) {
  process.stdout.write(`build: ${label}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`build: ${label} failed\n`);
    process.exit(result.status ?? 1);
  }
}

if (!existsSync(bin('tsc'))) {
  // `npm install --omit=dev` (an installer's staging) has no compiler; dist/ must come prebuilt.
  process.stdout.write('build: skipped (no dev dependencies installed)\n');
  process.exit(0);
}
step('main process, services, lab rack', bin('tsc'), ['-p', 'tsconfig.build.json']);
if (existsSync(join(root, 'renderer', 'vite.config.ts'))) {
  step('renderer', bin('vite'), [
    'build',
    '--config',
    'renderer/vite.config.ts',
    '--logLevel',
    'warn',
  ]);
}
