#!/usr/bin/env node
// `npm run bench`: runs the benchmark sections in bench/ from source (through tsx), passing the
// arguments on, e.g. `npm run bench -- --only repository --size 256MiB`. See bench/run.ts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
