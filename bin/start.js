#!/usr/bin/env node
// `npm start`: the default set-up (lab rack + local folder), then Electron if its binary is
// installed, else the browser console. The logic lives in electron/host/start.ts, built to dist/
// by `npm install` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/electron/host/start.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'Lifeboat is not built yet. Run `npm run build` (npm install does it), then `npm start`.\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main();
