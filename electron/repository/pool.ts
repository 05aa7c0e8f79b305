/**
 * A pool of crypto workers, one per core, for one epoch's keys. Jobs that hold a chunk stay
 * on the worker that hashed it. Callers bound the bytes in flight; the pool itself queues nothing.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { openBlob, type EpochKeys } from './crypto.js';

/** Below this, verifying a blob on the calling thread is cheaper than a worker round trip. */
const INLINE_BYTES = 64 * 1024;

export type WorkerRequest =
  | { op: 'hash'; job: number; chunk: ArrayBuffer }
  | { op: 'seal'; job: number }
  | { op: 'drop'; job: number }
  | {
      op: 'open';
      job: number;
      blob: ArrayBuffer;
      id: string;
      compression: number;
      rawLength: number;
    };

export type WorkerReply =
  | { job: number; ok: false; error: string }
  | { job: number; ok: true; id: string }
  | { job: number; ok: true; blob: ArrayBuffer; compression: 0 | 1 }
  | { job: number; ok: true; plain: ArrayBuffer };

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

/**
 * Starts the worker next to this module: worker.js once compiled; under the tests (sources run
 * through tsx) worker.ts, via a bootstrap that registers tsx first, because Node 20 loads a
 * worker's main module before `--import` hooks given in execArgv take effect.
 */
function startWorker(workerData: unknown): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./worker.js', self), { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./worker.ts', self).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

export class CryptoPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly owner = new Map<number, Slot>();
  private nextJob = 1;
  private failure: Error | undefined;

  constructor(
    private readonly keys: EpochKeys,
    size = availableParallelism(),
  ) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const worker = startWorker({ data: keys.data, chunkId: keys.chunkId });
      worker.unref(); // referenced only while it has work, so an idle pool never holds a process open
      const slot = { worker, busy: 0 };
      worker.on('message', (reply: WorkerReply) => this.settle(slot, reply));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`crypto worker exited with ${code}`));
      });
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private settle(slot: Slot, reply: WorkerReply): void {
    if (--slot.busy === 0) slot.worker.unref();
    const pending = this.pending.get(reply.job);
    this.pending.delete(reply.job);
    pending?.resolve(reply);
  }

  private send(slot: Slot, request: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (slot.busy++ === 0) slot.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(request.job, { resolve, reject });
      slot.worker.postMessage(request, transfer);
    });
  }

  private leastBusy(): Slot {
    let best = this.slots[0] as Slot;
    for (const slot of this.slots) if (slot.busy < best.busy) best = slot;
    return best;
  }

  /** Hashes a chunk (transferring its memory); the worker holds it for `seal` or `drop`. */
  async hash(chunk: Buffer): Promise<{ job: number; id: string }> {
    const job = this.nextJob++;
    const slot = this.leastBusy();
    this.owner.set(job, slot);
    const reply = await this.send(slot, { op: 'hash', job, chunk: chunk.buffer as ArrayBuffer }, [
      chunk.buffer as ArrayBuffer,
    ]);
    if (!reply.ok || !('id' in reply))
      throw new Error(`hash failed: ${reply.ok ? 'bad reply' : reply.error}`);
    return { job, id: reply.id };
  }

  /** Compresses and encrypts a held chunk. */
  async seal(job: number): Promise<{ blob: Buffer; compression: 0 | 1 }> {
    const slot = this.owner.get(job);
    this.owner.delete(job);
    if (slot === undefined) throw new Error(`unknown job ${job}`);
    const reply = await this.send(slot, { op: 'seal', job }, []);
    if (!reply.ok || !('blob' in reply))
      throw new Error(`seal failed: ${reply.ok ? 'bad reply' : reply.error}`);
    return { blob: Buffer.from(reply.blob), compression: reply.compression };
  }

  /** Forgets a held chunk (its content is already stored). */
  drop(job: number): void {
    const slot = this.owner.get(job);
    this.owner.delete(job);
    slot?.worker.postMessage({ op: 'drop', job } satisfies WorkerRequest);
  }

  /**
   * Decrypts, decompresses and verifies a blob; returns the plaintext or the reason it was
   * refused. Small blobs are done on the calling thread: a round trip would cost more.
   */
  async open(
    blob: Buffer,
    id: string,
    compression: number,
    rawLength: number,
  ): Promise<{ ok: true; plain: Buffer } | { ok: false; error: string }> {
    if (rawLength < INLINE_BYTES)
      return openBlob(this.keys, blob, Buffer.from(id, 'hex'), compression, rawLength);
    const job = this.nextJob++;
    const owned = Buffer.allocUnsafeSlow(blob.length);
    blob.copy(owned);
    const reply = await this.send(
      this.leastBusy(),
      { op: 'open', job, blob: owned.buffer as ArrayBuffer, id, compression, rawLength },
      [owned.buffer as ArrayBuffer],
    );
    if (!reply.ok) return { ok: false, error: reply.error };
    if (!('plain' in reply)) return { ok: false, error: 'bad reply' };
    return { ok: true, plain: Buffer.from(reply.plain) };
  }

  async close(): Promise<void> {
    this.fail(new Error('crypto pool closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
