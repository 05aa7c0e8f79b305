/**
 * A folder backup's walk, in a thread of its own (`walk.ts` starts it and reads what it finds):
 * the regular files under a folder in the order of an artifact list, each with its size and
 * time when the main thread asks for them (there is a last backup to compare with).
 *
 * Here because looking at 62,000 files is half a second of `lstat` calls, which the main thread
 * would otherwise spend between loading the index and deciding which files to reuse; in a large
 * folder a second thread looks at every other run (`stat-helper.ts`), and runs are still sent in
 * order. It only reads folders and file attributes: it never opens a file and never writes
 * anything.
 */
import { readdirSync } from 'node:fs';
import { sep } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { statRun } from './size-and-time.js';
import { StatHelper } from './stat-helper.js';
import {
  CREDITS,
  MODE,
  MODE_STAT,
  MODE_UNDECIDED,
  RUN_FILES,
  type WalkMessage,
  type WalkSetup,
} from './walk-protocol.js';

const { root, control } = workerData as WalkSetup;
const words = new Int32Array(control);
const port = parentPort;
if (port === null) throw new Error('walk-thread.ts runs as a worker');

/**
 * Files looked at before a helper thread is started (`stat-helper.ts`): a small folder is done
 * before one would have started.
 */
const HELPER_AFTER_FILES = 2048;
/** Runs ready, or waiting for the helper, before the walk waits for the oldest one. */
const RUNS_HELD = 16;

/** A run gathered and not yet sent: its stats taken, awaited from the helper, or not asked. */
interface Gathered {
  readonly names: string[];
  stats: Float64Array | undefined;
  readonly helped: boolean;
}

let names: string[] = [];
let paths: string[] = [];
let statFiles: boolean | undefined;
let filesLooked = 0;
let helper: StatHelper | undefined;
let helpedRuns = 0;
const held: Gathered[] = [];

/** Whether to look at files: waits until the main thread has said. */
function statting(): boolean {
  if (statFiles !== undefined) return statFiles;
  while (Atomics.load(words, MODE) === MODE_UNDECIDED) Atomics.wait(words, MODE, MODE_UNDECIDED);
  statFiles = Atomics.load(words, MODE) === MODE_STAT;
  return statFiles;
}

/** Ends the run gathered so far: looked at here or by the helper, then sent in its turn. */
function flush(): void {
  if (names.length === 0) return;
  held.push(lookedAt(names, paths));
  names = [];
  paths = [];
  send(held.length > RUNS_HELD);
}

function lookedAt(runNames: string[], runPaths: string[]): Gathered {
  if (!statting()) return { names: runNames, stats: undefined, helped: false };
  filesLooked += runPaths.length;
  if (helper === undefined && filesLooked > HELPER_AFTER_FILES) helper = new StatHelper();
  if (helper?.free === true) {
    helper.hand(runPaths);
    helpedRuns++;
    return { names: runNames, stats: undefined, helped: true };
  }
  return { names: runNames, stats: statRun(runPaths), helped: false };
}

/**
 * Sends the runs held, in order, as far as their stats are in (waiting for the oldest when
 * `wait`), each once the main thread has room for it.
 */
function send(wait: boolean): void {
  for (let run = held[0]; run !== undefined; run = held[0]) {
    if (run.helped && run.stats === undefined) {
      run.stats = helper?.next(wait);
      if (run.stats === undefined) return;
    }
    held.shift();
    while (Atomics.load(words, CREDITS) <= 0) Atomics.wait(words, CREDITS, 0);
    Atomics.sub(words, CREDITS, 1);
    const message: WalkMessage = { kind: 'run', names: run.names.join('\0'), stats: run.stats };
    port?.postMessage(message, run.stats ? [run.stats.buffer as ArrayBuffer] : []);
  }
}

/**
 * A folder's entries sorted as a list sorts full names (JavaScript's `<`), each sub-folder as if
 * its name ended in `/` and walked at its place; symbolic links and other kinds are skipped.
 */
function walk(folder: string, prefix: string): void {
  const base = folder.endsWith(sep) ? folder : folder + sep;
  const keys: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isFile()) keys.push(entry.name);
    else if (entry.isDirectory()) keys.push(`${entry.name}/`);
  }
  // The default order is that of `<` (UTF-16 code units), without a call per comparison.
  keys.sort();
  for (const key of keys) {
    if (key.endsWith('/')) {
      flush();
      walk(base + key.slice(0, -1), prefix + key);
      continue;
    }
    names.push(prefix + key);
    paths.push(base + key);
    if (names.length === RUN_FILES) flush();
  }
}

try {
  walk(root, '');
  flush();
  send(true);
  port.postMessage({ kind: 'end', helpedRuns } satisfies WalkMessage);
} catch (error) {
  const { message, code, path } = error as NodeJS.ErrnoException;
  port.postMessage({ kind: 'error', message, code, path } satisfies WalkMessage);
} finally {
  helper?.close();
}
