/**
 * The set of chunk ids a backup may reference without storing them again, shared by the main
 * thread and every crypto worker (a SharedArrayBuffer): the ids already stored in the current key
 * epoch, and those claimed during this backup. A worker that cuts a chunk claims its id; exactly
 * one claimant learns it is first and stores the chunk, at once, in its own pack. So a chunk is
 * never held waiting for a decision, and two workers never store the same chunk.
 *
 * Open addressing with linear probing. A slot is a state word (EMPTY, WRITING, READY) and 32 id
 * bytes; a claim takes an EMPTY slot by compare-and-exchange, writes the id, then publishes READY
 * (Atomics give the ordering: whoever reads READY sees the id). Ids are HMAC outputs, uniformly
 * distributed, so their first four bytes are the hash. The table never grows: past 3/4 full,
 * `claim` answers `full` and the caller stores the chunk (at worst a duplicate blob, never a
 * missing one).
 */

export type Claim = 'first' | 'present' | 'full';

const EMPTY = 0;
const WRITING = 1;
const READY = 2;
const ID_BYTES = 32;
/** Header words: [0] slots in use. */
const HEADER_WORDS = 1;

export class ChunkTable {
  private readonly states: Int32Array;
  private readonly ids: Uint8Array;
  private readonly mask: number;
  private readonly limit: number;

  private constructor(readonly buffer: SharedArrayBuffer) {
    const slots = (buffer.byteLength - HEADER_WORDS * 4) / (4 + ID_BYTES);
    if (!Number.isInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) {
      throw new RangeError('not a chunk table');
    }
    this.states = new Int32Array(buffer, 0, HEADER_WORDS + slots);
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
    return Atomics.load(this.states, 0);
  }

  /** Whether `id` (32 raw bytes) is in the table. */
  has(id: Uint8Array): boolean {
    for (let slot = this.home(id); ; slot = (slot + 1) & this.mask) {
      const state = this.awaitWritten(slot);
      if (state === EMPTY) return false;
      if (this.holds(slot, id)) return true;
    }
  }

  /**
   * Adds `id`: `first` if this caller added it (and must store the chunk), `present` if it was
   * there already, `full` if the table has no room (store the chunk; it may be stored twice).
   */
  claim(id: Uint8Array): Claim {
    if (id.length !== ID_BYTES) throw new RangeError('a chunk id is 32 bytes');
    for (let slot = this.home(id); ; slot = (slot + 1) & this.mask) {
      if (this.awaitWritten(slot) === EMPTY) {
        if (Atomics.load(this.states, 0) >= this.limit) return 'full';
        const was = Atomics.compareExchange(this.states, HEADER_WORDS + slot, EMPTY, WRITING);
        if (was === EMPTY) {
          this.ids.set(id, slot * ID_BYTES);
          Atomics.add(this.states, 0, 1);
          Atomics.store(this.states, HEADER_WORDS + slot, READY);
          return 'first';
        }
        this.awaitWritten(slot); // another thread took this slot first: compare once it is written
      }
      if (this.holds(slot, id)) return 'present';
    }
  }

  private home(id: Uint8Array): number {
    return (
      (((id[0] as number) << 24) |
        ((id[1] as number) << 16) |
        ((id[2] as number) << 8) |
        (id[3] as number)) &
      this.mask
    );
  }

  /** A slot's state once no thread is midway through writing it (a write is 32 bytes: spin). */
  private awaitWritten(slot: number): number {
    let state = Atomics.load(this.states, HEADER_WORDS + slot);
    while (state === WRITING) state = Atomics.load(this.states, HEADER_WORDS + slot);
    return state;
  }

  private holds(slot: number, id: Uint8Array): boolean {
    const at = slot * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) if (this.ids[at + i] !== id[i]) return false;
    return true;
  }
}

/** A chunk id's 32 bytes from its hex, in a scratch buffer valid until the next call. */
const idScratch = Buffer.alloc(ID_BYTES);
export function idBytes(hex: string): Buffer {
  idScratch.write(hex, 'hex');
  return idScratch;
}
