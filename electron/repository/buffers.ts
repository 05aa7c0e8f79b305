/**
 * Large buffers kept for reuse by a job that reads many packs or pack ranges (check, restore).
 * Each is shared memory: lent to a crypto worker with its bytes, it comes back with the answer
 * without being moved. A job of any size allocates as many as it has in flight, and neither
 * thread's collector ever meets a 16 MiB buffer coming or going.
 */
export class BufferPool {
  private readonly spare: Buffer[] = [];

  /**
   * `keep`: buffers kept (as many as the job has in flight). `least`: the size they are made
   * with (the largest size the job usually needs), so that any of them fits the next read.
   */
  constructor(
    private readonly keep: number,
    private readonly least: number,
  ) {}

  /** A buffer of at least `size` bytes (a spare one when one is large enough). */
  take(size: number): Buffer {
    const at = this.spare.findIndex((buffer) => buffer.length >= size);
    if (at >= 0) return this.spare.splice(at, 1)[0] as Buffer;
    return Buffer.from(new SharedArrayBuffer(Math.max(size, this.least)));
  }

  give(buffer: Buffer): void {
    if (this.spare.length < this.keep) this.spare.push(buffer);
  }
}
