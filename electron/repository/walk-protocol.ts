/**
 * What the walk thread (`walk-thread.ts`) and the main thread (`walk.ts`) say to each other. Flow
 * control is two words of shared memory, not messages: the walk thread blocks in `Atomics.wait`
 * between synchronous calls, which a message could not wake.
 */
import type { MessagePort } from 'node:worker_threads';

export interface WalkSetup {
  /** The folder walked (absolute). */
  readonly root: string;
  /** Two Int32 words: CREDITS and MODE. */
  readonly control: SharedArrayBuffer;
}

/** What the walk's stat helper thread (`stat-thread.ts`, owned by `stat-helper.ts`) is given. */
export interface StatSetup {
  /** Runs arrive here (paths joined by NUL); replies (Float64Array pairs) go back on it. */
  readonly port: MessagePort;
  /** Two Int32 words: replies sent (bumped after each), and 1 once the thread is up. */
  readonly words: SharedArrayBuffer;
}

/** Word: runs the walk thread may still send before the main thread takes one. */
export const CREDITS = 0;
/** Word: whether files are looked at (MODE_STAT) or only listed; decided once, after the start. */
export const MODE = 1;
export const MODE_UNDECIDED = 0;
export const MODE_STAT = 1;
export const MODE_LIST = 2;

/** Files sent at once at most: a folder of 50,000 files is not held whole in flight. */
export const RUN_FILES = 256;

export type WalkMessage =
  /**
   * Files of one folder, in list order, up to its next sub-folder or RUN_FILES: their names
   * relative to the root (`/`-separated) joined by NUL, and with MODE_STAT their size and time
   * in pairs (NaN when a file could not be looked at).
   */
  | { readonly kind: 'run'; readonly names: string; readonly stats: Float64Array | undefined }
  /** The walk is over; `helpedRuns`: runs the stat helper thread looked at. */
  | { readonly kind: 'end'; readonly helpedRuns: number }
  /** The walk stopped: a folder could not be read. */
  | {
      readonly kind: 'error';
      readonly message: string;
      readonly code: string | undefined;
      readonly path: string | undefined;
    };
