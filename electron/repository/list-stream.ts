/**
 * A component's artifact list written as its artifacts complete (docs/repository-format.md
 * section 6): lines are added in name order and sent in pieces of about 1 MiB to a crypto
 * worker, which cuts and stores them like an artifact's bytes. Only a piece or two is held, so
 * a list of any length costs constant memory. Adding waits while two pieces are queued.
 *
 * Given the same component's list in the last backup, lines copied from it in its order are
 * only counted: if the new list turns out to be that list whole (nothing changed), it is
 * referenced again, never written; at the first difference the copied lines are read again
 * from the last list and written, and the list goes on as any other. A line copied without its
 * text (the files were compared with this workstation's summary of the last list) is read from
 * the last list the same way, going forward, only once the list has to be written.
 *
 * Every line added is also summarised (`list-summary.ts`), for the next backup to compare with.
 */
import type { ListRef } from './artifact-list.js';
import { RepoErrors } from './errors.js';
import { ListSummaryBuilder } from './list-summary.js';
import type { Ingested } from './pool.js';
import type { LastList, ListLine } from './types.js';

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
  /** The last list's lines, read forward once the list has to be written. */
  private lastLines: LastLines | undefined;
  /** The lines added, summarised. */
  readonly summary = new ListSummaryBuilder();

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
   * Adds one artifact's line (`lastIndex`: its place in the last list, if copied from it; `line`
   * absent: copied, to be read from the last list if needed); names must be strictly ascending
   * (REPO_INVALID_NAME if not). `modified` is the artifact's time for the summary (NaN: never to
   * be reused). Returns a promise to wait for when two pieces are already queued (else nothing:
   * a list of 60,000 lines is not 60,000 awaits).
   */
  add(
    name: string,
    size: number,
    line: string | undefined,
    lastIndex: number | undefined,
    modified: number,
  ): Promise<void> | undefined {
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
    this.summary.add(name, size, modified);
    if (this.copied !== undefined) {
      if (lastIndex === this.copied) {
        this.copied++;
        return undefined;
      }
      return this.differ().then(() => this.writeLine(name, line, lastIndex));
    }
    return this.writeLine(name, line, lastIndex);
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
    if (this.lastList !== undefined) this.lastLines = new LastLines(this.lastList, this.component);
    for (let index = 0; index < copied; index++) {
      const line = this.lastLine(index, undefined);
      const full = this.write(typeof line === 'string' ? line : await line);
      if (full !== undefined) await full;
    }
  }

  /** Writes `line`, or, when absent, the last list's line `lastIndex` (which must be `name`'s). */
  private writeLine(
    name: string,
    line: string | undefined,
    lastIndex: number | undefined,
  ): Promise<void> | undefined {
    if (line !== undefined) return this.write(line);
    if (lastIndex === undefined) throw new Error('a line neither given nor copied');
    const copied = this.lastLine(lastIndex, name);
    return typeof copied === 'string'
      ? this.write(copied)
      : copied.then((text) => this.write(text));
  }

  /** The last list's line `index`: at once if it is in the lines at hand. */
  private lastLine(index: number, name: string | undefined): string | Promise<string> {
    if (this.lastLines === undefined) throw new Error('a copied line without a last list');
    return this.lastLines.take(index, name) ?? this.lastLines.next(index, name);
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

/**
 * The last list's lines, read once, going forward: each line taken is at or after the one taken
 * before. REPO_DAMAGED if the list ends first, or a line is not the file it was copied for.
 */
class LastLines {
  private readonly reader: AsyncIterator<ListLine[]>;
  private lines: ListLine[] = [];
  private at = 0;

  constructor(
    lastList: LastList,
    private readonly component: string,
  ) {
    this.reader = lastList.lines()[Symbol.asyncIterator]();
  }

  /** The line at `index` if it is in the lines at hand, else undefined (`next` reads on). */
  take(index: number, name: string | undefined): string | undefined {
    while (this.at < this.lines.length && (this.lines[this.at] as ListLine).index < index) {
      this.at++;
    }
    const found = this.lines[this.at];
    if (found === undefined) return undefined;
    if (found.index !== index || (name !== undefined && found.name !== name)) {
      throw this.damaged(`line ${index + 1} is not the one copied from it`);
    }
    return found.line;
  }

  async next(index: number, name: string | undefined): Promise<string> {
    for (;;) {
      const found = this.take(index, name);
      if (found !== undefined) return found;
      const more = await this.reader.next();
      if (more.done === true) throw this.damaged(`it ended before line ${index + 1}`);
      [this.lines, this.at] = [more.value, 0];
    }
  }

  private damaged(why: string) {
    return RepoErrors.create(
      'REPO_DAMAGED',
      `Component ${this.component}: the last backup's list, read again, is not the one its files were copied from: ${why}.`,
    );
  }
}
