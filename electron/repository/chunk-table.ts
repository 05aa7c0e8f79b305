/**
 * The set of chunk ids a backup may reference without storing them again, shared by the main
 * thread and every crypto worker (a SharedArrayBuffer): the ids already stored in the current key
 * epoch, and those claimed during this backup. A worker that cuts a chunk claims its id; exactly
 * one claimant learns it is first and stores the chunk, at once, in its own pack. So a chunk is
 * never held waiting for a decision, and two workers never store the same chunk.
 *
 * Open addressing with linear probing over slots of one word each: EMPTY, WRITING, or 1 + the
 * index of the id in a dense array of 32-byte ids, filled in claim order. A claim takes an EMPTY
 * slot by compare-and-exchange, reserves the next index, writes the id there, then publishes the
 * slot (Atomics give the ordering: whoever reads the index sees the id). The ids are dense
 * rather than in the slots because memory is mapped on first touch: 65,000 ids scattered over a
 * table sized for 190,000 touched 18 MiB, page by page (70 ms of page faults here); dense, they
 * touch 2 MiB of ids and the 2 MiB of slots. Ids are HMAC outputs, uniformly distributed, so
 * their first four bytes are the hash. The table never grows: past 3/4 full, `claim` answers
 * `full` and the caller stores the chunk (at worst a duplicate blob, never a missing one).
 */

export type Claim = 'first' | 'present' | 'full';

const EMPTY = 0;
const WRITING = -1;
const ID_BYTES = 32;
/** Header words: [0] ids claimed (the next dense index). */
const HEADER_WORDS = 1;

export class ChunkTable {
  private readonly words: Int32Array;
  private readonly ids: Uint8Array;
  private readonly mask: number;
  private readonly limit: number;

  private constructor(readonly buffer: SharedArrayBuffer) {
    const slots = (buffer.byteLength - HEADER_WORDS * 4) / (4 + ID_BYTES);
    if (!Number.isInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) {
      throw new RangeError('not a chunk table');
    }
    this.words = new Int32Array(buffer, 0, HEADER_WORDS + slots);
    // Room for an id per slot (a few claimants may pass the limit at once); untouched, unmapped.
    this.ids = new Uint8Array(buffer, (HEADER_WORDS + slots) * 4, slots * ID_BYTES);
    this.mask = slots - 1;
    this.limit = Math.floor(slots * 0.75);
  }

  /** A table with room for `expected` ids (a power of two of slots, at least twice that). */
  static create(expected: number): ChunkTable {
    let slots = 1024;
    while (slots < expected * 2) slots *= 2;
    return new ChunkTable(new SharedArrayBuffer(HEADER_WORDS * 4 + slots * (4 + ID_BYTES)));
  }

  /** The same table, seen from another thread. */
  static attach(buffer: SharedArrayBuffer): ChunkTable {
    return new ChunkTable(buffer);
  }

  get size(): number {
    return Atomics.load(this.words, 0);
  }

  /** Whether `id` (32 raw bytes) is in the table. */
  has(id: Uint8Array): boolean {
    for (let slot = this.home(id, 0); ; slot = (slot + 1) & this.mask) {
      const word = this.awaitWritten(slot);
      if (word === EMPTY) return false;
      if (this.holds(word, id, 0)) return true;
    }
  }

  /**
   * Adds `id`: `first` if this caller added it (and must store the chunk), `present` if it was
   * there already, `full` if the table has no room (store the chunk; it may be stored twice).
   */
  claim(id: Uint8Array): Claim {
    if (id.length !== ID_BYTES) throw new RangeError('a chunk id is 32 bytes');
    return this.claimAt(id, 0);
  }

  /** `claim` of the 32 bytes at `at` in `bytes` (ids read in place from a compact index). */
  claimAt(bytes: Uint8Array, at: number): Claim {
    if (at < 0 || at + ID_BYTES > bytes.length) throw new RangeError('a chunk id is 32 bytes');
    for (let slot = this.home(bytes, at); ; slot = (slot + 1) & this.mask) {
      let word = this.awaitWritten(slot);
      if (word === EMPTY) {
        if (Atomics.load(this.words, 0) >= this.limit) return 'full';
        const cell = HEADER_WORDS + slot;
        if (Atomics.compareExchange(this.words, cell, EMPTY, WRITING) === EMPTY) {
          const index = Atomics.add(this.words, 0, 1);
          this.ids.set(bytes.subarray(at, at + ID_BYTES), index * ID_BYTES);
          Atomics.store(this.words, cell, index + 1);
          return 'first';
        }
        word = this.awaitWritten(slot); // another thread took this slot first: compare once written
      }
      if (this.holds(word, bytes, at)) return 'present';
    }
  }

  private home(id: Uint8Array, at: number): number {
    return (
      (((id[at] as number) << 24) |
        ((id[at + 1] as number) << 16) |
        ((id[at + 2] as number) << 8) |
        (id[at + 3] as number)) &
      this.mask
    );
  }

  /** A slot's word once no thread is midway through writing it (a write is 32 bytes: spin). */
  private awaitWritten(slot: number): number {
    let word = Atomics.load(this.words, HEADER_WORDS + slot);
    while (word === WRITING) word = Atomics.load(this.words, HEADER_WORDS + slot);
    return word;
  }

  /** Whether the id a published slot word points to is the 32 bytes at `at` in `id`. */
  private holds(word: number, id: Uint8Array, at: number): boolean {
    const held = (word - 1) * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) if (this.ids[held + i] !== id[at + i]) return false;
    return true;
  }
}

/** A chunk id's 32 bytes from its hex, in a scratch buffer valid until the next call. */
const idScratch = Buffer.alloc(ID_BYTES);
export function idBytes(hex: string): Buffer {
  idScratch.write(hex, 'hex');
  return idScratch;
}
