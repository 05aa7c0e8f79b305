/**
 * A second thread for the folder walk's `lstat` calls (`walk-thread.ts` owns it; the thread is
 * `stat-thread.ts`). Looking at 62,000 files is about half a second of system calls, the longest
 * part of a backup that changed nothing, and they scale with cores: runs the walk thread hands
 * over are looked at here while it reads folders and looks at other runs itself.
 *
 * The walk thread never waits on its event loop (it blocks in `Atomics.wait` for credits), so it
 * hears back synchronously: replies come on a MessagePort it polls (`receiveMessageOnPort`), and
 * a word of shared memory, bumped after each reply, wakes it when it has to wait. Runs are handed
 * over only once the thread is up, so that the walk never waits for it to start. Replies come
 * in the order the runs were handed over. A helper that does not answer within its patience
 * (HELPER_PATIENCE_MS) is given up: the walk thread looks at those runs itself, so a helper that
 * failed or stopped costs time once, never a file.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { statRun } from './size-and-time.js';
import { startModuleWorker } from './threads.js';
import type { StatSetup } from './walk-protocol.js';

/** Runs handed over and not yet answered, at most: the walk thread looks at others itself. */
const HELPER_BACKLOG = 2;
const HELPER_PATIENCE_MS = 10_000;

export class StatHelper {
  /** Word 0: replies sent; word 1: 1 once the thread is up (runs handed before would wait). */
  private readonly words = new Int32Array(new SharedArrayBuffer(8));
  private readonly port: MessagePort;
  private readonly worker;
  /** Paths of the runs handed over and not yet answered, oldest first. */
  private readonly waiting: string[][] = [];
  private givenUp = false;

  /** `patienceMs`: how long an answer is waited for before the helper is given up. */
  constructor(private readonly patienceMs = HELPER_PATIENCE_MS) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const setup: StatSetup = { port: port2, words: this.words.buffer as SharedArrayBuffer };
    this.worker = startModuleWorker('stat-thread', setup, { transferList: [port2] });
    this.worker.unref();
  }

  /** Whether it would take a run now (else the walk thread looks at it itself). */
  get free(): boolean {
    return (
      !this.givenUp && this.waiting.length < HELPER_BACKLOG && Atomics.load(this.words, 1) === 1
    );
  }

  /** Hands over a run; its stats come back from `next`, in the order handed over. */
  hand(paths: string[]): void {
    this.waiting.push(paths);
    this.port.postMessage(paths.join('\0'));
  }

  /**
   * The stats of the oldest run handed over: undefined if not back yet and `wait` is false;
   * looked at here if the helper has not answered within its patience.
   */
  next(wait: boolean): Float64Array | undefined {
    const paths = this.waiting[0];
    if (paths === undefined) throw new Error('no run handed over');
    if (!this.givenUp) {
      const reply = this.reply(wait);
      if (reply !== undefined) {
        this.waiting.shift();
        return reply;
      }
      if (!this.givenUp) return undefined; // not back yet, and not to be waited for
    }
    this.waiting.shift();
    return statRun(paths);
  }

  /** Ends the helper thread. */
  close(): void {
    this.port.close();
    void this.worker.terminate();
  }

  private reply(wait: boolean): Float64Array | undefined {
    const deadline = Date.now() + this.patienceMs;
    for (;;) {
      const seen = Atomics.load(this.words, 0);
      const received = receiveMessageOnPort(this.port);
      if (received !== undefined) return received.message as Float64Array;
      if (!wait) return undefined;
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.words, 0, seen, left) === 'timed-out') {
        this.givenUp = true;
        return undefined;
      }
    }
  }
}
