/**
 * A crypto worker: the per-byte work of a backup and a restore, off the main thread.
 *
 * Backup: the main thread opens an ingest session per artifact, naming a file (which the worker
 * reads itself) or sending the artifact's bytes in pieces. The worker hashes the whole artifact
 * (SHA-256), cuts it with FastCDC, and reports each chunk's keyed id; it keeps the chunk until
 * the main thread says `seal` (new content: compress, encrypt, hand the blob back) or `drop`
 * (already stored). So a chunk's bytes never travel to the main thread unless they are stored.
 *
 * Every reported chunk is sealed or dropped by the main thread, even after its session failed.
 * Memory: a session stops reading while the chunks it reported and the main thread has not yet
 * credited back (dropped, or sealed and added to a pack) exceed its window.
 *
 * Restore: a file's blobs arrive in order; the worker opens and verifies each, writes it to the
 * file's temporary name, hashes it, and at the end checks the file's SHA-256, renames it and sets
 * its time. Check (and streamed reads): `open` decrypts, decompresses and verifies one blob.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, utimesSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { FastCdc, gearTable } from './chunker.js';
import { chunkIdOf, openBlob, sealChunk } from './crypto.js';
import type { RefusedBlob, RestoreBlob, WorkerReply, WorkerRequest, WorkerSetup } from './pool.js';

/** One file read: large enough that a read's fixed cost vanishes, small next to the window. */
const READ_BYTES = 1024 * 1024;

interface Session {
  readonly chunker: FastCdc;
  readonly sha: Hash;
  readonly window: number;
  /** The file being read, or undefined for a session fed with pieces by the main thread. */
  fd: number | undefined;
  readonly pieces: Buffer[];
  /** No more pieces will come (pieces sessions). */
  ended: boolean;
  size: number;
  /** Bytes of reported chunks not yet credited back by the main thread. */
  outstanding: number;
}

interface HeldChunk {
  readonly session: number;
  readonly chunk: Buffer;
  readonly id: Buffer;
}

const setup = workerData as WorkerSetup;
const dataKey = Buffer.from(setup.data);
const chunkIdKey = Buffer.from(setup.chunkId);
const gear = gearTable(Buffer.from(setup.chunker));
const sessions = new Map<number, Session>();
const held = new Map<number, HeldChunk>();
const readBuffer = Buffer.allocUnsafe(READ_BYTES);
let nextChunk = 1;
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

function reportChunk(sessionId: number, session: Session, chunk: Buffer): void {
  const id = chunkIdOf(chunkIdKey, chunk);
  const number = nextChunk++;
  held.set(number, { session: sessionId, chunk, id });
  session.outstanding += chunk.length;
  reply({
    kind: 'chunk',
    session: sessionId,
    chunk: number,
    id: id.toString('hex'),
    length: chunk.length,
  });
}

function feed(sessionId: number, session: Session, bytes: Buffer): void {
  session.sha.update(bytes);
  session.size += bytes.length;
  for (const chunk of session.chunker.push(bytes)) reportChunk(sessionId, session, chunk);
}

/** The next bytes of the artifact: a piece, 'eof', or undefined while waiting for pieces. */
function nextPiece(sessionId: number, session: Session): Buffer | 'eof' | undefined {
  if (session.fd !== undefined) {
    const read = readSync(session.fd, readBuffer, 0, READ_BYTES, null);
    return read === 0 ? 'eof' : readBuffer.subarray(0, read);
  }
  const piece = session.pieces.shift();
  if (piece !== undefined) {
    reply({ kind: 'consumed', session: sessionId });
    return piece;
  }
  return session.ended ? 'eof' : undefined;
}

function closeSession(sessionId: number, session: Session): void {
  sessions.delete(sessionId);
  if (session.fd !== undefined) closeSync(session.fd);
  session.fd = undefined;
}

/** Reads and chunks while the window has room; ends the session at the artifact's end. */
function pump(sessionId: number): void {
  const session = sessions.get(sessionId);
  if (session === undefined) return;
  try {
    while (session.outstanding < session.window) {
      const piece = nextPiece(sessionId, session);
      if (piece === undefined) return;
      if (piece === 'eof') {
        const last = session.chunker.finish();
        if (last !== undefined) reportChunk(sessionId, session, last);
        closeSession(sessionId, session);
        reply({
          kind: 'end',
          session: sessionId,
          size: session.size,
          sha256: session.sha.digest('hex'),
        });
        return;
      }
      feed(sessionId, session, piece);
    }
  } catch (error) {
    abortSession(sessionId);
    reply({ kind: 'failed', session: sessionId, error: messageOf(error) });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Forgets a session. Chunks it already reported stay held: the main thread may have counted
 * them as stored for other artifacts, so it still seals or drops each one.
 */
function abortSession(sessionId: number): void {
  const session = sessions.get(sessionId);
  if (session === undefined) return;
  try {
    closeSession(sessionId, session);
  } catch {
    // the file descriptor is gone either way
  }
}

function begin(sessionId: number, path: string | undefined, window: number): void {
  let fd: number | undefined;
  try {
    fd = path === undefined ? undefined : openSync(path, 'r');
  } catch (error) {
    reply({ kind: 'failed', session: sessionId, error: messageOf(error) });
    return;
  }
  sessions.set(sessionId, {
    chunker: new FastCdc(gear, setup.chunkerParams),
    sha: createHash('sha256'),
    window,
    fd,
    pieces: [],
    ended: false,
    size: 0,
    outstanding: 0,
  });
  pump(sessionId);
}

function credit(sessionId: number, bytes: number): void {
  const session = sessions.get(sessionId);
  if (session === undefined) return;
  session.outstanding -= bytes;
  pump(sessionId);
}

function seal(job: number, number: number): void {
  const entry = held.get(number);
  held.delete(number);
  if (entry === undefined) {
    reply({ kind: 'job', job, ok: false, error: 'unknown chunk' });
    return;
  }
  const { blob, compression } = sealChunk(dataKey, entry.id, entry.chunk); // memory of its own
  reply({ kind: 'job', job, ok: true, blob: blob.buffer as ArrayBuffer, compression }, [
    blob.buffer as ArrayBuffer,
  ]);
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
  const pack = Buffer.from(request.pack);
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
  reply({ kind: 'job', job: request.job, ok: true, sha256, refused });
}

port.on('message', (request: WorkerRequest) => {
  switch (request.op) {
    case 'begin':
      begin(request.session, request.path, request.window);
      return;
    case 'piece': {
      const session = sessions.get(request.session);
      if (session === undefined) return;
      session.pieces.push(Buffer.from(request.bytes));
      pump(request.session);
      return;
    }
    case 'end': {
      const session = sessions.get(request.session);
      if (session === undefined) return;
      session.ended = true;
      pump(request.session);
      return;
    }
    case 'abort':
      abortSession(request.session);
      return;
    case 'credit':
      credit(request.session, request.bytes);
      return;
    case 'seal':
      seal(request.job, request.chunk);
      return;
    case 'drop': {
      const entry = held.get(request.chunk);
      held.delete(request.chunk);
      if (entry !== undefined) credit(entry.session, entry.chunk.length);
      return;
    }
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
  }
});
