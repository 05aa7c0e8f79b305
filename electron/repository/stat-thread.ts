/**
 * The walk's second thread for looking at files (`stat-helper.ts` starts it and says why): it
 * answers each run of paths with their sizes and times, in order. It only looks at file
 * attributes: it never opens a file and never writes anything.
 */
import { workerData } from 'node:worker_threads';
import { statRun } from './size-and-time.js';
import type { StatSetup } from './walk-protocol.js';

const { port, words: shared } = workerData as StatSetup;
const words = new Int32Array(shared);

port.on('message', (paths: string) => {
  const stats = statRun(paths.split('\0'));
  port.postMessage(stats, [stats.buffer as ArrayBuffer]);
  Atomics.add(words, 0, 1);
  Atomics.notify(words, 0);
});
Atomics.store(words, 1, 1);
