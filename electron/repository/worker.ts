/**
 * A crypto worker: the per-byte work of a backup and a restore, off the main thread.
 *
 * Backup (worker-ingest.ts): files read here, or streams whose pieces the main thread sends, are
 * hashed, chunked, and their new chunks sealed into this worker's packs.
 *
 * Restore: a file's blobs arrive in order; the worker opens and verifies each, writes it to the
 * file's temporary name, hashes it, and at the end checks the file's SHA-256, renames it and sets
 * its time. Check (and streamed reads): `open` decrypts, decompresses and verifies one blob, and
 * `verifyPack` a whole pack.
 */
import {
  closeSync,
  futimesSync,
  openSync,
  renameSync,
  rmSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkTable } from './chunk-table.js';
import { gearTable } from './chunker.js';
import { openBlob } from './crypto.js';
import { cipherGarbageMeter } from './heap.js';
import { Ingest } from './worker-ingest.js';
import {
  transferOf,
  viewsWholeMemory,
  type PackBlob,
  type RefusedBlob,
  type RestoreBlob,
  type RestoreFailure,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSetup,
} from './worker-protocol.js';

const setup = workerData as WorkerSetup;
const dataKey = Buffer.from(setup.data);
const chunkIdKey = Buffer.from(setup.chunkId);
const port = parentPort;
if (port === null) throw new Error('worker.ts must run as a worker thread');

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

const noteCipherOutput = cipherGarbageMeter();

const ingest = new Ingest(
  { epoch: setup.epoch, data: dataKey, metadata: Buffer.from(setup.metadata), chunkId: chunkIdKey },
  gearTable(Buffer.from(setup.chunker)),
  setup.chunkerParams,
  setup.packSize,
  setup.table === undefined ? undefined : ChunkTable.attach(setup.table),
  reply,
  noteCipherOutput,
);

/** Copies into a fresh ArrayBuffer so it can be transferred without copying again. */
function own(buffer: Buffer): Buffer {
  if (viewsWholeMemory(buffer)) return buffer;
  const copy = Buffer.allocUnsafeSlow(buffer.length);
  buffer.copy(copy);
  return copy;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens and verifies a blob (restore, `open` and pack verification alike). With 'scratch' the
 * plaintext is valid only until the next call: for callers that write or discard it at once.
 */
function openBytes(
  blob: Buffer,
  id: string,
  compression: number,
  rawLength: number,
  into: 'own' | 'scratch',
) {
  const keys = { data: dataKey, chunkId: chunkIdKey };
  noteCipherOutput(blob.length);
  return openBlob(keys, blob, Buffer.from(id, 'hex'), compression, rawLength, into);
}

/** Opens a blob as a message carries it. */
function openSent(sent: RestoreBlob, into: 'own' | 'scratch') {
  return openBytes(Buffer.from(sent.blob), sent.id, sent.compression, sent.rawLength, into);
}

function open(request: Extract<WorkerRequest, { op: 'open' }>): void {
  const result = openSent(request, 'own');
  if (!result.ok) {
    reply({ kind: 'job', job: request.job, ok: false, error: result.error });
    return;
  }
  const plain = own(result.plain);
  reply({ kind: 'job', job: request.job, ok: true, plain: plain.buffer as ArrayBuffer }, [
    plain.buffer as ArrayBuffer,
  ]);
}

interface RestoreSession {
  readonly fd: number;
  readonly sha: Hash;
}

const restores = new Map<number, RestoreSession>();

/** Data refused while restoring (as opposed to a file system error). */
class Damaged extends Error {}

function writeAll(fd: number, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length;) {
    offset += writeSync(fd, bytes, offset, bytes.length - offset);
  }
}

function restore(request: Extract<WorkerRequest, { op: 'restore' }>): void {
  const { session: id, temp, end } = request;
  try {
    if (request.begin) restores.set(id, { fd: openSync(temp, 'wx'), sha: createHash('sha256') });
    const session = restores.get(id);
    if (session === undefined) return; // aborted meanwhile
    let bytes = 0;
    for (const blob of request.blobs) {
      const opened = openSent(blob, 'scratch'); // written at once
      if (!opened.ok) throw new Damaged(`a chunk was refused (${opened.error})`);
      writeAll(session.fd, opened.plain);
      session.sha.update(opened.plain);
      bytes += opened.plain.length;
    }
    if (end !== undefined) {
      restores.delete(id);
      closeSync(session.fd);
      if (session.sha.digest('hex') !== end.sha256)
        throw new Damaged('restored with a wrong SHA-256');
      renameSync(temp, end.path);
      if (end.modified !== undefined) utimesSync(end.path, new Date(), new Date(end.modified));
    }
    reply({ kind: 'restored', session: id, bytes, done: end !== undefined });
  } catch (error) {
    discardRestore(id, temp);
    reply({
      kind: 'restoreFailed',
      session: id,
      error: messageOf(error),
      damaged: error instanceof Damaged,
      code: (error as NodeJS.ErrnoException).code,
    });
  }
}

/**
 * Restores files of at most one chunk from a range of a pack: each blob is opened and checked
 * (id, then the file's SHA-256) before its file is created, so the file is written straight to
 * its final name; one that fails to be written is removed. Stops at the first failure.
 */
function restoreSmall(request: Extract<WorkerRequest, { op: 'restoreSmall' }>): void {
  const range = Buffer.from(request.bytes, 0, request.length);
  let failure: RestoreFailure | undefined;
  for (const [index, file] of request.files.entries()) {
    try {
      const plain = file.blob === undefined ? Buffer.alloc(0) : openInRange(range, file.blob);
      if (createHash('sha256').update(plain).digest('hex') !== file.sha256)
        throw new Damaged('restored with a wrong SHA-256');
      writeWhole(file.path, plain, file.modified);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      failure = { index, error: messageOf(error), damaged: error instanceof Damaged, code };
      break;
    }
  }
  reply(
    { kind: 'job', job: request.job, ok: true, bytes: request.bytes, failure },
    transferOf(request.bytes),
  );
}

/** A blob of a pack range, opened and verified (its plaintext valid until the next call). */
function openInRange(range: Buffer, blob: PackBlob): Buffer {
  const end = blob.offset + blob.length;
  if (end > range.length) throw new Damaged('the chunk lies outside the pack');
  const bytes = range.subarray(blob.offset, end);
  const opened = openBytes(bytes, blob.id, blob.compression, blob.rawLength, 'scratch');
  if (!opened.ok) throw new Damaged(`a chunk was refused (${opened.error})`);
  return opened.plain;
}

/** Creates `path` (it must not exist) with `bytes` and its time; removed again if that fails. */
function writeWhole(path: string, bytes: Buffer, modified: number | undefined): void {
  const fd = openSync(path, 'wx');
  try {
    writeAll(fd, bytes);
    if (modified !== undefined) futimesSync(fd, new Date(), new Date(modified));
    closeSync(fd);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(path, { force: true });
    throw error;
  }
}

/** Closes and removes a restore's partial file (nothing half-written is left under any name). */
function discardRestore(id: number, temp: string): void {
  const session = restores.get(id);
  restores.delete(id);
  try {
    if (session !== undefined) closeSync(session.fd);
  } catch {
    // already closed
  }
  rmSync(temp, { force: true });
}

/** A whole pack's SHA-256 and the blobs in it that do not verify. */
function verifyPack(request: Extract<WorkerRequest, { op: 'verifyPack' }>): void {
  const pack = Buffer.from(request.bytes, 0, request.length);
  const sha256 = createHash('sha256').update(pack).digest('hex');
  const refused: RefusedBlob[] = [];
  for (const entry of request.blobs) {
    const end = entry.offset + entry.length;
    const opened =
      end > pack.length
        ? { ok: false as const, error: 'it lies outside the pack' }
        : openBytes(
            pack.subarray(entry.offset, end),
            entry.id,
            entry.compression,
            entry.rawLength,
            'scratch',
          );
    if (!opened.ok) refused.push({ id: entry.id, error: opened.error });
  }
  reply(
    { kind: 'job', job: request.job, ok: true, sha256, refused, bytes: request.bytes },
    transferOf(request.bytes),
  );
}

port.on('message', (request: WorkerRequest) => {
  if (ingest.handle(request)) return;
  switch (request.op) {
    case 'open':
      open(request);
      return;
    case 'restore':
      restore(request);
      return;
    case 'restoreAbort':
      discardRestore(request.session, request.temp);
      // Answered whatever state the file was in: the main thread waits for this.
      reply({
        kind: 'restoreFailed',
        session: request.session,
        error: 'abandoned',
        damaged: false,
        code: undefined,
      });
      return;
    case 'verifyPack':
      verifyPack(request);
      return;
    case 'restoreSmall':
      restoreSmall(request);
      return;
  }
});
