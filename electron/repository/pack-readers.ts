/**
 * Packs kept open while one backup is read: a restore of many small files reads many blobs from
 * the same few packs, and opening the pack for each blob cost more than reading it. At most
 * `MAX_OPEN` packs are held (least recently used closed first); all are closed with the reader,
 * whose shared lock keeps prune from deleting them meanwhile.
 */
import type { ObjectReader, Storage } from '../storage/index.js';

const MAX_OPEN = 8;

export class PackReaders {
  /** Insertion order is recency order: a pack used again is moved to the end. */
  private readonly open = new Map<string, Promise<ObjectReader>>();
  private closed = false;

  constructor(private readonly storage: Storage) {}

  /**
   * `length` bytes at `offset` of `object`, through a kept-open reader when the storage has them
   * (then into `into`, when given, as `ObjectReader.read` does).
   */
  async read(object: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    if (this.closed || this.storage.openReader === undefined)
      return this.storage.get(object, { offset, length });
    let reader = this.open.get(object);
    if (reader === undefined) {
      reader = this.storage.openReader(object);
      reader.catch(() => this.open.delete(object)); // a failed open is not kept
      this.open.set(object, reader);
      if (this.open.size > MAX_OPEN) this.evictOldest();
    } else {
      this.open.delete(object);
      this.open.set(object, reader);
    }
    return (await reader).read(offset, length, into);
  }

  private evictOldest(): void {
    const [object, reader] = this.open.entries().next().value as [string, Promise<ObjectReader>];
    this.open.delete(object);
    // Reads already started on it finish first: close waits for the handle's pending operations.
    void reader.then((r) => r.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const readers = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(readers.map(async (reader) => (await reader).close()));
  }
}
