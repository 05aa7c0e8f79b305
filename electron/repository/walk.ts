/**
 * The files of a folder backup as its walk thread (`walk-thread.ts`) finds them: in the order of
 * an artifact list, in runs (a folder's files up to its next sub-folder, at most RUN_FILES), each
 * with its size and time when they were asked for (`decide`). The thread starts walking at once,
 * while the main thread still opens the repository and looks up the last backup, and runs at
 * most RUNS_AHEAD runs ahead of what is taken, so memory does not grow with the number of files.
 */
import { sep } from 'node:path';
import { RepoErrors } from './errors.js';
import type { PreviousLine } from './types.js';
import { startModuleWorker } from './threads.js';
import {
  CREDITS,
  MODE,
  MODE_LIST,
  MODE_STAT,
  type WalkMessage,
  type WalkSetup,
} from './walk-protocol.js';

/**
 * Runs found but not yet taken: enough for the walk of a large folder to finish while the
 * repository is opened (about 60 bytes a file: at most a few MiB).
 */
const RUNS_AHEAD = 256;

/** A file found by the walk. */
export interface WalkedFile {
  /** Where it is. */
  readonly path: string;
  /** Its name relative to the root, `/`-separated: its artifact name. */
  readonly name: string;
  /** Size and time as the walk saw them (lstat); NaN if it could not; undefined if not asked. */
  readonly size: number | undefined;
  readonly modified: number | undefined;
  /** Its line in the last backup's list, set when the walk is joined with it (`withPrevious`). */
  previous: PreviousLine | undefined;
}

export class FolderWalk {
  private readonly words = new Int32Array(new SharedArrayBuffer(8));
  private readonly worker;
  private readonly queue: WalkMessage[] = [];
  private wake: (() => void) | undefined;
  private exited = false;
  private helped = 0;

  constructor(
    private readonly root: string,
    runsAhead = RUNS_AHEAD,
  ) {
    Atomics.store(this.words, CREDITS, runsAhead);
    const setup: WalkSetup = { root, control: this.words.buffer as SharedArrayBuffer };
    this.worker = startModuleWorker('walk-thread', setup);
    this.worker.on('message', (message: WalkMessage) => this.arrive(message));
    this.worker.on('error', (error: Error) =>
      this.arrive({ kind: 'error', message: error.message, code: undefined, path: undefined }),
    );
    this.worker.on('exit', () => {
      this.exited = true;
      this.arrive({ kind: 'error', message: 'the walk stopped', code: undefined, path: undefined });
    });
  }

  /** Runs a second thread looked at (a large folder's, when asked for sizes and times), once over. */
  get helpedRuns(): number {
    return this.helped;
  }

  /** Messages received and not yet taken (runs, and the end). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Whether files are looked at (size and time) or only listed; the walk waits to be told. */
  decide(stat: boolean): void {
    Atomics.store(this.words, MODE, stat ? MODE_STAT : MODE_LIST);
    Atomics.notify(this.words, MODE);
  }

  /** The files, a run at a time; the walk stops when the caller does. */
  async *runs(): AsyncGenerator<WalkedFile[]> {
    const base = this.root.endsWith(sep) ? this.root : this.root + sep;
    try {
      for (;;) {
        const message = await this.next();
        if (message.kind === 'end') {
          this.helped = message.helpedRuns;
          return;
        }
        if (message.kind === 'error') throw this.failure(message);
        Atomics.add(this.words, CREDITS, 1);
        Atomics.notify(this.words, CREDITS);
        yield filesOf(base, message.names, message.stats);
      }
    } finally {
      await this.stop();
    }
  }

  /** Ends the walk thread (at once if it is still walking). */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    await this.worker.terminate();
  }

  private arrive(message: WalkMessage): void {
    this.queue.push(message);
    this.wake?.();
  }

  private async next(): Promise<WalkMessage> {
    for (;;) {
      const message = this.queue.shift();
      if (message !== undefined) return message;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private failure(message: Extract<WalkMessage, { kind: 'error' }>) {
    const where = message.path ?? this.root;
    return RepoErrors.create(
      'REPO_ARTIFACT_READ',
      `The folder ${where} could not be read (${message.code ?? message.message}).`,
      { details: { path: where } },
    );
  }
}

function filesOf(base: string, names: string, stats: Float64Array | undefined): WalkedFile[] {
  return names.split('\0').map((name, i) => ({
    path: base + (sep === '/' ? name : name.replaceAll('/', sep)),
    name,
    size: stats?.[i * 2],
    modified: stats?.[i * 2 + 1],
    previous: undefined,
  }));
}
