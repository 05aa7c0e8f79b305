/**
 * A component's artifact list written as its artifacts complete (docs/repository-format.md
 * section 6): lines are added in name order and sent in pieces of about 1 MiB to a crypto
 * worker, which cuts and stores them like an artifact's bytes. Only a piece or two is held, so
 * a list of any length costs constant memory. Adding waits while two pieces are queued.
 *
 * Given the same component's list in the last backup, lines copied from it in its order are
 * only counted: if the new list turns out to be that list whole (nothing changed), it is
 * referenced again, never written; at the first difference the copied lines are read again
 * from the last list and written, and the list goes on as any other.
 */
import type { ListRef } from './artifact-list.js';
import { RepoErrors } from './errors.js';
import type { Ingested } from './pool.js';
import type { LastList } from './types.js';

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
  /** The worker's ingest, from the first line written (never, for a list the same as the last). */
  private ingested: Promise<Ingested> | undefined;
  private settled = false;
  private count = 0;
  /** The artifacts' bytes (the manifest's size), not the list's. */
  private artifactBytes = 0;
  private lastName: string | undefined;
  /** While the lines added are the last list's, in its order: how many (none written yet). */
  private copied: number | undefined;

  constructor(
    private readonly component: string,
    private readonly start: StartIngest,
    private readonly lastList?: LastList,
  ) {
    if (lastList === undefined) this.startIngest();
    else this.copied = 0;
  }

  get records(): number {
    return this.count;
  }

  get bytes(): number {
    return this.artifactBytes;
  }

  /**
   * Adds one artifact's line (`lastIndex`: its place in the last list, if copied from it); names
   * must be strictly ascending (REPO_INVALID_NAME if not). Returns a promise to wait for when
   * two pieces are already queued (else nothing: a list of 60,000 lines is not 60,000 awaits).
   */
  add(name: string, size: number, line: string, lastIndex?: number): Promise<void> | undefined {
    if (this.ended) throw new Error('the list has ended');
    if (this.lastName !== undefined && !(this.lastName < name)) {
      throw RepoErrors.create(
        'REPO_INVALID_NAME',
        `Component ${this.component}: ${JSON.stringify(name)} does not come after ${JSON.stringify(this.lastName)}; a list is added in name order.`,
      );
    }
    this.lastName = name;
    this.count++;
    this.artifactBytes += size;
    if (this.copied === undefined) return this.write(line);
    if (lastIndex === this.copied) {
      this.copied++;
      return undefined;
    }
    return this.differ().then(() => this.write(line));
  }

  /** Ends the list and waits for the worker: where it is stored. */
  async end(): Promise<ListRef> {
    const same = this.lastList?.ref;
    if (same !== undefined && this.copied === same.count) {
      this.ended = true;
      return same;
    }
    if (this.copied !== undefined) await this.differ(); // files were removed since
    this.enqueue();
    this.ended = true;
    this.wakeReader?.();
    const { size, sha256, chunks } = await (this.ingested as Promise<Ingested>);
    return { count: this.count, size, sha256, chunks };
  }

  /** Settles once the worker has stopped reading (after `end`, or when given up). */
  async abandon(): Promise<void> {
    this.ended = true;
    this.queue.length = 0;
    this.wakeReader?.();
    await this.ingested?.catch(() => undefined);
  }

  private startIngest(): void {
    const ingested = this.start(this.pieces());
    const settle = () => {
      this.settled = true;
      for (const wake of this.wakeAdders.splice(0)) wake();
    };
    ingested.then(settle, settle);
    this.ingested = ingested;
  }

  /**
   * The new list is not the last one after all: it is written, beginning with the lines copied
   * so far, read again from the last list (each chunk verified again).
   */
  private async differ(): Promise<void> {
    const copied = this.copied ?? 0;
    this.copied = undefined;
    this.startIngest();
    let written = 0;
    if (copied > 0 && this.lastList !== undefined) {
      reading: for await (const lines of this.lastList.lines()) {
        for (const { line } of lines) {
          if (written === copied) break reading;
          written++;
          const full = this.write(line);
          if (full !== undefined) await full;
        }
      }
    }
    if (written !== copied) {
      throw RepoErrors.create(
        'REPO_DAMAGED',
        `Component ${this.component}: the last backup's list ended after ${written} of the ${copied} lines copied from it when read again.`,
      );
    }
  }

  private write(line: string): Promise<void> | undefined {
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
