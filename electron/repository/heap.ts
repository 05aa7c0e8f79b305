/**
 * The V8 heap settings the engine is measured and shipped with (README, "Memory").
 *
 * A backup, restore or check makes short-lived garbage at hundreds of megabytes a second: file
 * stats, list lines and messages on the main thread, cipher outputs in the crypto workers. With
 * V8's defaults each of the three isolates lets its young generation grow to 48 MiB and its old
 * generation to several times what is live before collecting: that alone took a 2 GiB backup
 * past 300 MiB of resident memory. Smaller semi-spaces collect the garbage while it is young
 * (freeing the buffers it holds), and slower heap growth collects the old generation sooner;
 * together they cost a few percent of CPU (measured by `npm run bench`).
 *
 * The semi-space size is fixed when an isolate is created: the command's launcher passes it to
 * node (bin/lifeboat.js), `npm start` to Electron, and the pool gives it to each worker. Heap
 * growth is read at every collection, so entry points also set it at run time.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Each of the two semi-spaces of an isolate's young generation, in MiB (V8's default: 16). */
const SEMI_SPACE_MB = 2;

/** The old generation grows by this percentage past what was live (V8's default: up to 300). */
const HEAP_GROWING_PERCENT = 30;

const HEAP_GROWTH_FLAG = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;

/** The flags, as given to node or in Electron's `--js-flags`. */
export const ENGINE_V8_FLAGS: readonly string[] = [
  `--max-semi-space-size=${SEMI_SPACE_MB}`,
  HEAP_GROWTH_FLAG,
];

/** A worker's young generation: two semi-spaces and a large-object space of the same size. */
export const WORKER_YOUNG_GENERATION_MB = 3 * SEMI_SPACE_MB;

/** Sets what can still be set in a running process: heap growth, for every isolate. */
export function applyHeapGrowth(): void {
  setFlagsFromString(HEAP_GROWTH_FLAG);
}

/** Cipher output a crypto worker leaves behind before it collects its young generation. */
const CIPHER_GARBAGE_BYTES = 4 * 1024 * 1024;

/**
 * For a crypto worker: a function to call with the bytes of each blob it seals or opens. Node has
 * no cipher call that writes into a given buffer, so each returns its output in a fresh
 * allocation, copied into a pack or a file at once and then garbage (as are, in a restore, the
 * blobs the main thread moved in to be opened). V8 counts those bytes as external memory and,
 * with a worker's few JavaScript objects, collected them only after about 64 MiB had piled up
 * in each worker. Every CIPHER_GARBAGE_BYTES this asks for a collection of
 * the young generation (where that garbage dies), which takes about a millisecond; at 4 MiB it
 * took a restore's peak from about 285 MiB to 235 and cost no measurable time. The collector
 * is reached as Jest reaches it: exposed, then taken from a new context.
 */
export function cipherGarbageMeter(): (bytes: number) => void {
  // Left set: threads share V8's flags, and a worker unsetting it could race another's context.
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as (options: { type: 'minor' }) => void;
  let pending = 0;
  return (bytes) => {
    pending += bytes;
    if (pending < CIPHER_GARBAGE_BYTES) return;
    pending = 0;
    collect({ type: 'minor' });
  };
}
