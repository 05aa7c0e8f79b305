/**
 * A folder backup's walk, in a thread of its own (`walk.ts` starts it and reads what it finds):
 * the regular files under a folder in the order of an artifact list, each with its size and
 * time when the main thread asks for them (there is a last backup to compare with).
 *
 * Here because looking at 62,000 files is half a second of `lstat` calls, which the main thread
 * would otherwise spend between loading the index and deciding which files to reuse. It only
 * reads folders and file attributes: it never opens a file and never writes anything.
 */
import { readdirSync } from 'node:fs';
import { sep } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { sizeAndTime } from './size-and-time.js';
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

let names: string[] = [];
let stats: number[] = [];
let statFiles: boolean | undefined;

/** Whether to look at files: waits until the main thread has said. */
function statting(): boolean {
  if (statFiles !== undefined) return statFiles;
  while (Atomics.load(words, MODE) === MODE_UNDECIDED) Atomics.wait(words, MODE, MODE_UNDECIDED);
  statFiles = Atomics.load(words, MODE) === MODE_STAT;
  return statFiles;
}

/** Sends the run gathered so far, once the main thread has room for it. */
function flush(): void {
  if (names.length === 0) return;
  while (Atomics.load(words, CREDITS) <= 0) Atomics.wait(words, CREDITS, 0);
  Atomics.sub(words, CREDITS, 1);
  const packed = statFiles === true ? new Float64Array(stats) : undefined;
  const message: WalkMessage = { kind: 'run', names: names.join('\0'), stats: packed };
  port?.postMessage(message, packed ? [packed.buffer as ArrayBuffer] : []);
  names = [];
  stats = [];
}

/**
 * A folder's entries sorted as a list sorts full names (JavaScript's `<`), each sub-folder as if
 * its name ended in `/` and walked at its place; symbolic links and other kinds are skipped.
 */
function walk(folder: string, prefix: string): void {
  const base = folder.endsWith(sep) ? folder : folder + sep;
  const entries = readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile() || entry.isDirectory())
    .map((entry) => ({ entry, key: entry.isDirectory() ? `${entry.name}/` : entry.name }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { entry, key } of entries) {
    if (entry.isDirectory()) {
      flush();
      walk(base + entry.name, prefix + key);
      continue;
    }
    names.push(prefix + key);
    if (statting()) stats.push(...sizeAndTime(base + entry.name));
    if (names.length === RUN_FILES) flush();
  }
}

try {
  walk(root, '');
  flush();
  port.postMessage({ kind: 'end' } satisfies WalkMessage);
} catch (error) {
  const { message, code, path } = error as NodeJS.ErrnoException;
  port.postMessage({ kind: 'error', message, code, path } satisfies WalkMessage);
}
