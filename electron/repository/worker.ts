/**
 * A crypto worker: hashes, compresses, encrypts and verifies chunks off the main thread.
 * A chunk is transferred once for `hash`; the worker keeps it until the main thread says
 * `seal` (new data) or `drop` (already stored), so the bytes never travel twice.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blobAad, chunkIdOf, compressChunk, gcmSeal, openBlob } from './crypto.js';
import type { WorkerReply, WorkerRequest } from './pool.js';

interface Keys {
  data: Uint8Array;
  chunkId: Uint8Array;
}

const keys = workerData as Keys;
const dataKey = Buffer.from(keys.data);
const chunkIdKey = Buffer.from(keys.chunkId);
const held = new Map<number, { chunk: Buffer; id: Buffer }>();
const port = parentPort;
if (port === null) throw new Error('worker.ts must run as a worker thread');

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

/** Copies into a fresh ArrayBuffer so it can be transferred without copying again. */
function own(buffer: Buffer): Buffer {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) return buffer;
  const copy = Buffer.allocUnsafeSlow(buffer.length);
  buffer.copy(copy);
  return copy;
}

port.on('message', (request: WorkerRequest) => {
  switch (request.op) {
    case 'hash': {
      const chunk = Buffer.from(request.chunk);
      const id = chunkIdOf(chunkIdKey, chunk);
      held.set(request.job, { chunk, id });
      reply({ job: request.job, ok: true, id: id.toString('hex') });
      return;
    }
    case 'seal': {
      const entry = held.get(request.job);
      held.delete(request.job);
      if (entry === undefined) {
        reply({ job: request.job, ok: false, error: 'unknown job' });
        return;
      }
      const { stored, compression } = compressChunk(entry.chunk);
      const blob = own(gcmSeal(dataKey, stored, blobAad(entry.id, compression)));
      reply({ job: request.job, ok: true, blob: blob.buffer as ArrayBuffer, compression }, [
        blob.buffer as ArrayBuffer,
      ]);
      return;
    }
    case 'drop':
      held.delete(request.job);
      return;
    case 'open': {
      const result = openBlob(
        { data: dataKey, chunkId: chunkIdKey },
        Buffer.from(request.blob),
        Buffer.from(request.id, 'hex'),
        request.compression,
        request.rawLength,
      );
      if (!result.ok) {
        reply({ job: request.job, ok: false, error: result.error });
        return;
      }
      const plain = own(result.plain);
      reply({ job: request.job, ok: true, plain: plain.buffer as ArrayBuffer }, [
        plain.buffer as ArrayBuffer,
      ]);
      return;
    }
  }
});
