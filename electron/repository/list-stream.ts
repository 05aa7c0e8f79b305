/**
 * A component's artifact list written as its artifacts complete (docs/repository-format.md
 * section 6): lines are added in name order and sent in pieces of about 1 MiB to a crypto
 * worker, which cuts and stores them like an artifact's bytes. Only a piece or two is held, so
 * a list of any length costs constant memory. Adding waits while two pieces are queued.
 */
import type { ListRef } from './artifact-list.js';
import { RepoErrors } from './errors.js';
import type { Ingested } from './pool.js';

/** Lines are gathered into pieces of about this size before they go to the worker. */
const PIECE_CHARS = 1024 * 1024;
/** Pieces queued for the worker before adding waits. */
const PIECES_QUEUED = 2;

/** Starts the worker's ingest of the list's bytes (`CryptoPool.ingest`). */
export type StartIngest = (pieces: AsyncIterable<string>) => Promise<Ingested>;

export class ListStream {
  private readonly queue: string[] = [];
  private piece = '';
  private ended = false;
  /** Wakes the worker's reader (a piece was queued, or the list ended). */
  private wakeReader: (() => void) | undefined;
  /** Wakes adders waiting for room (a piece was taken, or the ingest settled). */
  private wakeAdders: (() => void)[] = [];
  private readonly ingested: Promise<Ingested>;
  private settled = false;
  private count = 0;
  /** The artifacts' bytes (the manifest's size), not the list's. */
  private artifactBytes = 0;
  private last: string | undefined;

  constructor(
    private readonly component: string,
    start: StartIngest,
  ) {
    this.ingested = start(this.pieces());
    const settle = () => {
      this.settled = true;
      for (const wake of this.wakeAdders.splice(0)) wake();
    };
    this.ingested.then(settle, settle);
  }

  get records(): number {
    return this.count;
  }

  get bytes(): number {
    return this.artifactBytes;
  }

  /**
   * Adds one artifact's line; names must be strictly ascending (REPO_INVALID_NAME if not).
   * Returns a promise to wait for when two pieces are already queued (else nothing: a list of
   * 60,000 lines is not 60,000 awaits).
   */
  add(name: string, size: number, line: string): Promise<void> | undefined {
    if (this.ended) throw new Error('the list has ended');
    if (this.last !== undefined && !(this.last < name)) {
      throw RepoErrors.create(
        'REPO_INVALID_NAME',
        `Component ${this.component}: ${JSON.stringify(name)} does not come after ${JSON.stringify(this.last)}; a list is added in name order.`,
      );
    }
    this.last = name;
    this.count++;
    this.artifactBytes += size;
    this.piece += line;
    if (this.piece.length < PIECE_CHARS) return undefined;
    this.enqueue();
    return this.queue.length >= PIECES_QUEUED || this.settled ? this.room() : undefined;
  }

  private async room(): Promise<void> {
    while (this.queue.length >= PIECES_QUEUED && !this.settled) {
      await new Promise<void>((resolve) => this.wakeAdders.push(resolve));
    }
    if (this.settled) await this.ingested; // the worker's session ended early: say why
  }

  /** Ends the list and waits for the worker: where it is stored. */
  async end(): Promise<ListRef> {
    this.enqueue();
    this.ended = true;
    this.wakeReader?.();
    const { size, sha256, chunks } = await this.ingested;
    return { count: this.count, size, sha256, chunks };
  }

  /** Settles once the worker has stopped reading (after `end`, or when given up). */
  async abandon(): Promise<void> {
    this.ended = true;
    this.queue.length = 0;
    this.wakeReader?.();
    await this.ingested.catch(() => undefined);
  }

  private enqueue(): void {
    if (this.piece.length === 0) return;
    this.queue.push(this.piece);
    this.piece = '';
    this.wakeReader?.();
  }

  private async *pieces(): AsyncGenerator<string> {
    for (;;) {
      const piece = this.queue.shift();
      if (piece !== undefined) {
        for (const wake of this.wakeAdders.splice(0)) wake();
        yield piece;
      } else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }
}
