/**
 * A resumable artifact download as one Readable: when the connection drops (or the rack answers
 * a transient 5xx) it asks again with `Range: bytes=<position>-` and carries on, so the consumer
 * sees one uninterrupted stream. Started at byte 0, it hashes everything it passes on and fails
 * the stream (RACK_DIGEST_MISMATCH) instead of ending it when the SHA-256 is not the announced one.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { CommonErrors, type LifeboatError } from '../../shared/errors.js';
import { RackErrors } from './errors.js';

export interface DownloadOptions {
  /** First byte to send (the caller already holds the bytes before it). */
  readonly offset?: number;
  /** Expected size and SHA-256 (from the export); otherwise taken from the rack's headers. */
  readonly size?: number;
  readonly sha256?: string;
  readonly signal?: AbortSignal;
}

export interface DownloadOpener {
  open(offset: number, signal: AbortSignal): Promise<IncomingMessage>;
  fail(response: IncomingMessage, what: string): Promise<Error>;
  readonly retries: number;
  readonly label: string;
}

const TRANSIENT = new Set([
  'RACK_UNREACHABLE',
  'RACK_TIMEOUT',
  'RACK_SERVER_ERROR',
  'RACK_UNAVAILABLE',
]);

export class ArtifactDownload extends Readable {
  readonly #opener: DownloadOpener;
  readonly #abort = new AbortController();
  readonly #hash: Hash | undefined;
  #position: number;
  #size: number | undefined;
  #sha256: string | undefined;
  #response: IncomingMessage | undefined;
  #opening = false;
  #failures = 0;
  #finished = false;

  constructor(opener: DownloadOpener, options: DownloadOptions) {
    super({ highWaterMark: 1 << 20 });
    this.#opener = opener;
    this.#position = options.offset ?? 0;
    this.#size = options.size;
    this.#sha256 = options.sha256;
    this.#hash = this.#position === 0 ? createHash('sha256') : undefined;
    const signal = options.signal;
    if (signal !== undefined) {
      const onAbort = () =>
        this.destroy(
          CommonErrors.create('CANCELLED', `The download of ${opener.label} was cancelled.`),
        );
      if (signal.aborted) queueMicrotask(onAbort);
      else signal.addEventListener('abort', onAbort, { once: true });
      this.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }

  override _read(): void {
    if (this.#response !== undefined) this.#response.resume();
    else if (!this.#opening && !this.#finished) void this.#open();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#finished = true;
    this.#abort.abort();
    this.#response?.destroy();
    callback(error);
  }

  async #open(): Promise<void> {
    this.#opening = true;
    try {
      const response = await this.#opener.open(this.#position, this.#abort.signal);
      if (this.destroyed) {
        response.destroy();
        return;
      }
      if (response.statusCode !== 200 && response.statusCode !== 206) {
        throw await this.#opener.fail(response, `Downloading ${this.#opener.label}`);
      }
      this.#checkHead(response);
      this.#opening = false;
      this.#attach(response);
    } catch (error) {
      this.#opening = false;
      this.#retryOrFail(error);
    }
  }

  /** The rack must answer exactly the range asked for, of the artifact announced. */
  #checkHead(response: IncomingMessage): void {
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(
      String(response.headers['content-range'] ?? ''),
    );
    const start = range === null ? 0 : Number(range[1]);
    const total = range === null ? Number(response.headers['content-length']) : Number(range[3]);
    const etag = /^"([0-9a-f]{64})"$/.exec(String(response.headers.etag ?? ''))?.[1];
    const problem =
      start !== this.#position
        ? `it sent bytes from ${start}, not ${this.#position}`
        : !Number.isSafeInteger(total) || (this.#size !== undefined && total !== this.#size)
          ? `its size is ${total}, not ${this.#size}`
          : etag !== undefined && this.#sha256 !== undefined && etag !== this.#sha256
            ? 'it changed since the export was announced'
            : undefined;
    if (problem !== undefined) {
      response.destroy();
      throw RackErrors.create(
        'RACK_PROTOCOL',
        `The rack's answer for ${this.#opener.label} is wrong: ${problem}.`,
      );
    }
    this.#size = total;
    this.#sha256 ??= etag;
  }

  #attach(response: IncomingMessage): void {
    this.#response = response;
    const startedAt = this.#position;
    response.on('data', (chunk: Buffer) => {
      this.#position += chunk.length;
      this.#hash?.update(chunk);
      if (!this.push(chunk)) response.pause();
    });
    response.on('error', () => undefined); // judged on 'close' by the bytes that arrived
    response.once('close', () => {
      this.#response = undefined;
      if (this.destroyed) return;
      if (this.#position > startedAt) this.#failures = 0;
      if (this.#position >= (this.#size ?? 0)) this.#finish();
      else {
        this.#retryOrFail(
          RackErrors.create(
            'RACK_UNREACHABLE',
            `The connection dropped at byte ${this.#position} of ${this.#opener.label}.`,
          ),
        );
      }
    });
  }

  #finish(): void {
    this.#finished = true;
    if (this.#position !== this.#size) {
      this.destroy(
        RackErrors.create(
          'RACK_PROTOCOL',
          `The rack sent more bytes than ${this.#opener.label} has.`,
        ),
      );
      return;
    }
    if (this.#hash !== undefined) {
      const actual = this.#hash.digest('hex');
      if (this.#sha256 !== undefined && actual !== this.#sha256) {
        this.destroy(
          RackErrors.create(
            'RACK_DIGEST_MISMATCH',
            `The bytes of ${this.#opener.label} have SHA-256 ${actual}, not ${this.#sha256}.`,
          ),
        );
        return;
      }
    }
    this.push(null);
  }

  #retryOrFail(error: unknown): void {
    if (this.destroyed) return;
    const typed = error as LifeboatError;
    if (!TRANSIENT.has(typed.code) || this.#failures >= this.#opener.retries) {
      this.destroy(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.#failures++;
    this.#opening = true; // a retry is scheduled: _read must not open a second request
    setTimeout(
      () => {
        this.#opening = false;
        if (!this.destroyed) void this.#open();
      },
      Math.min(2000, 50 * 2 ** this.#failures),
    );
  }
}
