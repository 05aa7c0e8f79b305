/** Program entry for `lifeboat`; kept apart from main.ts so tests can import runCli. */
import { main } from './main.js';

await main();
