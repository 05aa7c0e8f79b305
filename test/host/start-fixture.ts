// Runs `npm start`'s program from source for test/host/start.test.ts (no build needed).
import { main } from '../../electron/host/start.js';

process.exitCode = await main();
