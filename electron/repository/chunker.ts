/**
 * FastCDC content-defined chunking (Xia et al. 2016) with normalized chunking level 2 and a
 * keyed 32-bit gear table (docs/repository-format.md section 5). Pure: no I/O.
 *
 * The chunker keeps one working buffer of `max` bytes, so memory per artifact is bounded no
 * matter how large the artifact is.
 */
import { createCipheriv } from 'node:crypto';

export interface ChunkerParams {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

export const DEFAULT_CHUNKER: ChunkerParams = {
  min: 256 * 1024,
  avg: 1024 * 1024,
  max: 4 * 1024 * 1024,
};

/** A mask of the `bits` high bits of a 32-bit hash (the high bits mix the most input bytes). */
function highBits(bits: number): number {
  return bits >= 32 ? -1 : ~((1 << (32 - bits)) - 1) | 0;
}

/** The 256-entry gear table: AES-256-CTR keystream of the chunker key (zero counter block). */
export function gearTable(chunkerKey: Buffer): Uint32Array {
  const cipher = createCipheriv('aes-256-ctr', chunkerKey, Buffer.alloc(16));
  const stream = Buffer.concat([cipher.update(Buffer.alloc(1024)), cipher.final()]);
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) table[i] = stream.readUInt32BE(i * 4);
  return table;
}

export class FastCdc {
  /**
   * Sized to what arrived, up to `max`: most artifacts are small files, and a buffer larger than
   * the file for each of thousands of them is garbage the collector meets too late.
   */
  private buf = Buffer.alloc(0);
  private len = 0;
  private scanned = 0;
  private fp = 0;
  /** log2(avg) + 2 bits below the average (harder to match), log2(avg) - 2 above: level 2. */
  private readonly maskSmall: number;
  private readonly maskLarge: number;

  constructor(
    private readonly gear: Uint32Array,
    private readonly params: ChunkerParams = DEFAULT_CHUNKER,
  ) {
    if (!(params.min > 64 && params.min <= params.avg && params.avg <= params.max)) {
      throw new RangeError('chunker parameters must satisfy 64 < min <= avg <= max');
    }
    const bits = Math.round(Math.log2(params.avg));
    this.maskSmall = highBits(bits + 2);
    this.maskLarge = highBits(bits - 2);
  }

  /** Feeds bytes; returns the chunks they completed (each in memory of its own). */
  push(data: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (this.len === this.buf.length && this.buf.length < this.params.max) {
        this.grow(data.length - offset);
      }
      const n = Math.min(data.length - offset, this.buf.length - this.len);
      this.buf.set(data.subarray(offset, offset + n), this.len);
      this.len += n;
      offset += n;
      for (let cut = this.findCut(); cut > 0; cut = this.findCut()) out.push(this.take(cut));
    }
    return out;
  }

  /** Makes room for `wanted` more bytes, at least doubling, never beyond `max`. */
  private grow(wanted: number): void {
    const size = Math.max(this.len + wanted, this.buf.length * 2);
    const bigger = Buffer.allocUnsafeSlow(Math.min(this.params.max, size));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  /**
   * Ends the stream: returns the last chunk, if any bytes remain. The working buffer is handed
   * over rather than copied (a small file is then never copied twice); the chunker is done.
   */
  finish(): Buffer | undefined {
    if (this.len === 0) return undefined;
    const last = this.buf.subarray(0, this.len);
    this.buf = Buffer.alloc(0);
    this.len = 0;
    return last;
  }

  /** The cut length if a boundary is known, else 0 (more data needed). */
  private findCut(): number {
    const { min, avg, max } = this.params;
    const { buf, gear, len, maskSmall, maskLarge } = this;
    if (len < min) return 0;
    let fp = this.fp;
    let i = Math.max(this.scanned, min);
    const normal = Math.min(avg, len);
    for (; i < normal; i++) {
      fp = ((fp << 1) + (gear[buf[i] as number] as number)) | 0;
      if ((fp & maskSmall) === 0) return i + 1;
    }
    const end = Math.min(max, len);
    for (; i < end; i++) {
      fp = ((fp << 1) + (gear[buf[i] as number] as number)) | 0;
      if ((fp & maskLarge) === 0) return i + 1;
    }
    if (len >= max) return max;
    this.scanned = i;
    this.fp = fp;
    return 0;
  }

  private take(cut: number): Buffer {
    const chunk = Buffer.allocUnsafeSlow(cut);
    this.buf.copy(chunk, 0, 0, cut);
    this.buf.copyWithin(0, cut, this.len);
    this.len -= cut;
    this.scanned = 0;
    this.fp = 0;
    return chunk;
  }
}
