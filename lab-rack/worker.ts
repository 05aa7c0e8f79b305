/**
 * Runs one heavy store operation (an export snapshot or an import commit) on its own SQLite
 * connection in a worker thread, so the server keeps answering other calls meanwhile (a large
 * rack's snapshot takes a minute). Failures cross back as plain data and are rebuilt as the
 * same ApiError or Malformed the operation threw.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ComponentId } from '../shared/rack-api.js';
import { ApiError } from './errors.js';
import { Malformed } from './framing.js';
import { RackStore, type ExportRow } from './store.js';

type Job =
  | {
      readonly op: 'export';
      readonly dir: string;
      readonly component: ComponentId;
      readonly now: string;
    }
  | {
      readonly op: 'commit';
      readonly dir: string;
      readonly component: ComponentId;
      readonly files: [string, string][];
      readonly expectedDigest: string | undefined;
    };

type Failure =
  | {
      kind: 'api';
      code: ApiError['code'];
      message: string;
      details: ApiError['details'];
      status: number;
    }
  | { kind: 'malformed'; message: string; line: number | undefined; artifact: string | undefined }
  | { kind: 'internal'; message: string };

type Reply = { ok: true; result: unknown } | { ok: false; failure: Failure };

function describe(error: unknown): Failure {
  if (error instanceof ApiError) {
    return {
      kind: 'api',
      code: error.code,
      message: error.message,
      details: error.details,
      status: error.status,
    };
  }
  if (error instanceof Malformed)
    return {
      kind: 'malformed',
      message: error.message,
      line: error.line,
      artifact: error.artifact,
    };
  return {
    kind: 'internal',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}

function rebuild(failure: Failure): Error {
  if (failure.kind === 'api')
    return new ApiError(failure.code, failure.message, failure.details, failure.status);
  if (failure.kind === 'malformed') {
    const error = new Malformed(failure.message, failure.line);
    error.artifact = failure.artifact;
    return error;
  }
  return new Error(`lab-rack worker: ${failure.message}`);
}

function perform(job: Job): unknown {
  const store = RackStore.open(job.dir);
  try {
    if (job.op === 'export') return store.createExport(job.component, new Date(job.now));
    return store.commitImport(job.component, new Map(job.files), job.expectedDigest);
  } finally {
    store.close();
  }
}

const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js',
  import.meta.url,
);

/** Marks the worker threads of this module apart from any other worker. */
const WORKER_TAG = 'lab-rack-store-worker';

/**
 * Run from source (tests, `node --import tsx`), a worker does not inherit the TypeScript loader
 * on Node 20, so it registers tsx itself before loading this file; compiled, it loads directly.
 */
function startWorker(): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts'))
    return new Worker(WORKER_URL, { workerData: WORKER_TAG });
  const bootstrap = `(async () => {
    const { register } = await import('tsx/esm/api');
    register();
    await import(${JSON.stringify(WORKER_URL.href)});
  })();`;
  return new Worker(bootstrap, { eval: true, workerData: WORKER_TAG });
}

interface Pending {
  readonly job: Job;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Two long-lived worker threads (starting one costs a module load, a second under tsx), so at
 * most two heavy operations run at once and the rest wait their turn; idle workers do not keep
 * the process alive.
 */
class WorkerPool {
  readonly #idle: Worker[] = [];
  readonly #queue: Pending[] = [];
  #size = 0;

  constructor(private readonly max: number) {}

  run<T>(job: Job): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ job, resolve: resolve as (value: unknown) => void, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let worker = this.#idle.pop();
      if (worker === undefined) {
        if (this.#size >= this.max) return;
        worker = startWorker();
        this.#size++;
      }
      this.#assign(worker, this.#queue.shift() as Pending);
    }
  }

  #assign(worker: Worker, pending: Pending): void {
    worker.ref();
    const settle = (reply: Reply) => {
      worker.off('error', crash);
      worker.off('exit', crash);
      worker.unref();
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(rebuild(reply.failure));
      this.#idle.push(worker);
      this.#dispatch();
    };
    const crash = (error: unknown) => {
      worker.off('message', settle);
      this.#size--;
      void worker.terminate();
      pending.reject(
        error instanceof Error ? error : new Error(`lab-rack worker exited (${String(error)})`),
      );
      this.#dispatch();
    };
    worker.once('message', settle);
    worker.once('error', crash);
    worker.once('exit', crash);
    worker.postMessage(pending.job);
  }
}

const pool = new WorkerPool(2);

export function exportInWorker(dir: string, component: ComponentId, now: Date): Promise<ExportRow> {
  return pool.run<ExportRow>({ op: 'export', dir, component, now: now.toISOString() });
}

export function commitInWorker(
  dir: string,
  component: ComponentId,
  files: ReadonlyMap<string, string>,
  expectedDigest: string | undefined,
): Promise<{ stateDigest: string; records: number }> {
  return pool.run({ op: 'commit', dir, component, files: [...files], expectedDigest });
}

if (!isMainThread && parentPort !== null && workerData === WORKER_TAG) {
  const port = parentPort;
  port.on('message', (job: Job) => {
    let reply: Reply;
    try {
      reply = { ok: true, result: perform(job) };
    } catch (error) {
      reply = { ok: false, failure: describe(error) };
    }
    port.postMessage(reply);
  });
}
