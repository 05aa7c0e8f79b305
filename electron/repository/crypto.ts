/**
 * The cryptographic primitives of the format (docs/repository-format.md sections 4, 5 and 7):
 * key derivation, blob sealing, and the envelope that carries every encrypted metadata object.
 * Pure functions over Buffers; no I/O.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { Compressor, Decompressor } from 'zstd-napi';
import zstd from 'zstd-napi/binding.js';
import { RepoErrors } from './errors.js';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const BLOB_OVERHEAD = NONCE_BYTES + TAG_BYTES;
const ENVELOPE_MAGIC = Buffer.from('LBE1', 'ascii');
const BLOB_AAD_MAGIC = Buffer.from('LBB1', 'ascii');

export interface EpochKeys {
  readonly epoch: number;
  readonly master: Buffer;
  readonly data: Buffer;
  readonly metadata: Buffer;
  readonly chunkId: Buffer;
  readonly chunker: Buffer;
  /** GCM key for what this workstation caches of the repository (never stored in it). */
  readonly cache: Buffer;
  /** Public check value proving possession of `master` for this repository. */
  readonly check: string;
}

function hkdf(ikm: Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), 32));
}

/** Derives an epoch's working keys from its master key (section 4). */
export function deriveEpochKeys(master: Buffer, repositoryId: Buffer, epoch: number): EpochKeys {
  const keyCheck = hkdf(master, repositoryId, 'lifeboat/v1/key-check');
  return {
    epoch,
    master,
    data: hkdf(master, repositoryId, 'lifeboat/v1/data'),
    metadata: hkdf(master, repositoryId, 'lifeboat/v1/metadata'),
    chunkId: hkdf(master, repositoryId, 'lifeboat/v1/chunk-id'),
    chunker: hkdf(master, repositoryId, 'lifeboat/v1/chunker'),
    cache: hkdf(master, repositoryId, 'lifeboat/v1/local-cache'),
    check: createHmac('sha256', keyCheck)
      .update('lifeboat key check')
      .digest()
      .subarray(0, 16)
      .toString('hex'),
  };
}

/** The key-encryption key an operator key yields for one repository. */
export function operatorKek(operatorKey: Buffer, repositoryId: Buffer): Buffer {
  return hkdf(operatorKey, repositoryId, 'lifeboat/v1/operator-kek');
}

/**
 * Random bytes drawn a page at a time and handed out as nonces, each slice once: the same CSPRNG
 * output as a call per nonce, without a call per blob (a pack can hold thousands of small ones).
 */
const NONCE_POOL_BYTES = 4096;
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;

function freshNonce(): Buffer {
  if (nonceOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_BYTES);
    nonceOffset = 0;
  }
  nonceOffset += NONCE_BYTES;
  return noncePool.subarray(nonceOffset - NONCE_BYTES, nonceOffset);
}

/**
 * `nonce ‖ ciphertext ‖ tag`, in one buffer of its own (transferable to another thread without
 * a copy).
 */
export function gcmSeal(key: Buffer, plaintext: Buffer | readonly Buffer[], aad: Buffer): Buffer {
  const parts = Buffer.isBuffer(plaintext) ? [plaintext] : plaintext;
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const sealed = Buffer.allocUnsafeSlow(NONCE_BYTES + length + TAG_BYTES);
  gcmSealInto(key, parts, aad, sealed, 0);
  return sealed;
}

/**
 * How much is encrypted per cipher call. Each call returns its output in a fresh allocation;
 * kept below the allocator's mmap threshold, those are recycled at once, where megabyte-sized
 * ones (a chunk in one call) grow and fragment the heap of every crypto worker.
 */
const CIPHER_SLICE = 64 * 1024;

/** Writes `nonce ‖ ciphertext ‖ tag` into `target` at `at`; returns the bytes written. */
export function gcmSealInto(
  key: Buffer,
  parts: readonly Buffer[],
  aad: Buffer,
  target: Buffer,
  at: number,
): number {
  const nonce = freshNonce();
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  let offset = at + nonce.copy(target, at);
  for (const part of parts) {
    for (let from = 0; from < part.length; from += CIPHER_SLICE) {
      offset += cipher.update(part.subarray(from, from + CIPHER_SLICE)).copy(target, offset);
    }
  }
  offset += cipher.final().copy(target, offset);
  offset += cipher.getAuthTag().copy(target, offset);
  return offset - at;
}

/** Opens `nonce ‖ ciphertext ‖ tag`; returns undefined when authentication fails. */
export function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < BLOB_OVERHEAD) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    const body = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
    const tail = decipher.final(); // empty for GCM: no second copy of the body
    return tail.length === 0 ? body : Buffer.concat([body, tail]);
  } catch {
    return undefined;
  }
}

export function chunkIdOf(chunkIdKey: Buffer, plaintext: Buffer): Buffer {
  return createHmac('sha256', chunkIdKey).update(plaintext).digest();
}

export function blobAad(id: Buffer, compression: number): Buffer {
  return Buffer.concat([BLOB_AAD_MAGIC, id, Buffer.of(compression)]);
}

export function sha256Hex(data: Buffer | readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of Buffer.isBuffer(data) ? [data] : data) hash.update(part);
  return hash.digest('hex');
}

export function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * One compression and one decompression context per thread, reused: a context per call costs
 * more than compressing a small file. Single-shot compression records the content size in each
 * frame, so the decoder allocates the output once.
 */
const compressor = new Compressor();
compressor.setParameters({ compressionLevel: 3 });
const decompressor = new Decompressor();
const chunkContext = new zstd.CCtx();
const CHUNK_LEVEL = 3;
/** Where chunks are compressed: grown to the largest bound seen, then reused (no garbage per chunk). */
let scratch = Buffer.alloc(0);

/**
 * zstd level 3, or the data as it is when compression saves less than 1/32 (section 5). A
 * compressed `stored` lies in this thread's scratch buffer: use it before the next call.
 */
export function compressChunk(plaintext: Buffer): { stored: Buffer; compression: 0 | 1 } {
  const bound = zstd.compressBound(plaintext.length);
  if (scratch.length < bound) scratch = Buffer.allocUnsafeSlow(bound);
  const length = chunkContext.compress(scratch, plaintext, CHUNK_LEVEL);
  if (length <= plaintext.length - (plaintext.length >> 5)) {
    return { stored: scratch.subarray(0, length), compression: 1 };
  }
  return { stored: plaintext, compression: 0 };
}

/** A chunk as it is stored (section 5): compressed when that pays, sealed under the data key. */
export function sealChunk(
  dataKey: Buffer,
  id: Buffer,
  plaintext: Buffer,
): { blob: Buffer; compression: 0 | 1 } {
  const { stored, compression } = compressChunk(plaintext);
  return { blob: gcmSeal(dataKey, stored, blobAad(id, compression)), compression };
}

/**
 * `sealChunk` written into `target` at `at`, which must have room for the chunk's length plus
 * BLOB_OVERHEAD (a blob is never longer: compression is kept only when it saves bytes).
 */
export function sealChunkInto(
  dataKey: Buffer,
  id: Buffer,
  plaintext: Buffer,
  target: Buffer,
  at: number,
): { length: number; compression: 0 | 1 } {
  const { stored, compression } = compressChunk(plaintext);
  const length = gcmSealInto(dataKey, [stored], blobAad(id, compression), target, at);
  return { length, compression };
}

export function decompress(stored: Buffer, compression: number): Buffer {
  return compression === 1 ? decompressor.decompress(stored) : stored;
}

export type EnvelopeKind = 1 | 2 | 3;
export const ENVELOPE_INDEX: EnvelopeKind = 1;
export const ENVELOPE_MANIFEST: EnvelopeKind = 2;
export const ENVELOPE_PACK_HEADER: EnvelopeKind = 3;

/** Encrypts a JSON body with a plaintext, authenticated label (section 7). */
export function sealEnvelope(
  kind: EnvelopeKind,
  label: Record<string, unknown> & { epoch: number },
  metadataKey: Buffer,
  body: unknown,
): Buffer {
  const labelBytes = Buffer.from(JSON.stringify(label), 'utf8');
  const head = Buffer.alloc(9);
  ENVELOPE_MAGIC.copy(head, 0);
  head.writeUInt8(kind, 4);
  head.writeUInt32BE(labelBytes.length, 5);
  const aad = Buffer.concat([head, labelBytes]);
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const packed = compressor.compress(json);
  const sealed = gcmSeal(metadataKey, [Buffer.of(1), packed], aad);
  return Buffer.concat([aad, sealed]);
}

export interface EnvelopeHead {
  readonly kind: EnvelopeKind;
  readonly label: Record<string, unknown> & { epoch: number };
  readonly aadLength: number;
}

/** Reads an envelope's label without any key. Throws REPO_DAMAGED when the bytes are not one. */
export function readEnvelopeHead(bytes: Buffer, object: string): EnvelopeHead {
  const damaged = (why: string) =>
    RepoErrors.create('REPO_DAMAGED', `${object} is damaged: ${why}.`, { details: { object } });
  if (bytes.length < 9 + BLOB_OVERHEAD || !bytes.subarray(0, 4).equals(ENVELOPE_MAGIC)) {
    throw damaged('not a Lifeboat envelope');
  }
  const kind = bytes.readUInt8(4);
  const labelLength = bytes.readUInt32BE(5);
  if (kind < 1 || kind > 3 || 9 + labelLength + BLOB_OVERHEAD > bytes.length)
    throw damaged('bad header');
  let label: unknown;
  try {
    label = JSON.parse(bytes.subarray(9, 9 + labelLength).toString('utf8'));
  } catch {
    throw damaged('unreadable label');
  }
  const epoch = (label as { epoch?: unknown } | null)?.epoch;
  if (
    typeof label !== 'object' ||
    label === null ||
    !Number.isSafeInteger(epoch) ||
    (epoch as number) < 1
  ) {
    throw damaged('label without an epoch');
  }
  return {
    kind: kind as EnvelopeKind,
    label: label as Record<string, unknown> & { epoch: number },
    aadLength: 9 + labelLength,
  };
}

/** Decrypts an envelope's body; REPO_DAMAGED if it or its label was altered. */
export function openEnvelope(
  bytes: Buffer,
  head: EnvelopeHead,
  metadataKey: Buffer,
  object: string,
): unknown {
  const plain = gcmOpen(
    metadataKey,
    bytes.subarray(head.aadLength),
    bytes.subarray(0, head.aadLength),
  );
  if (plain === undefined || plain.length < 1) {
    throw RepoErrors.create(
      'REPO_DAMAGED',
      `${object} failed authentication (altered, truncated, or not of this key).`,
      {
        details: { object },
      },
    );
  }
  const json = decompress(plain.subarray(1), plain.readUInt8(0));
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    throw RepoErrors.create('REPO_DAMAGED', `${object} holds unreadable JSON.`, {
      details: { object },
    });
  }
}

/** No chunk is larger (the chunker's maximum is 4 MiB); a larger claim is refused unallocated. */
const MAX_CHUNK_BYTES = 256 * 1024 * 1024;
const chunkDecompressor = new zstd.DCtx();
/** Where `openBlob(..., 'scratch')` decompresses: grown to the largest chunk seen, then reused. */
let plainScratch = Buffer.alloc(0);

/** Decompresses a chunk of known length into memory of its own, or into this thread's scratch. */
function decompressChunk(stored: Buffer, rawLength: number, into: 'own' | 'scratch'): Buffer {
  if (into === 'scratch' && plainScratch.length < rawLength) {
    plainScratch = Buffer.allocUnsafeSlow(rawLength);
  }
  const target = into === 'scratch' ? plainScratch : Buffer.allocUnsafeSlow(rawLength);
  // Bounded by the target: a frame claiming more than rawLength fails instead of allocating it.
  const length = chunkDecompressor.decompress(target.subarray(0, rawLength), stored);
  return target.subarray(0, length);
}

/**
 * Decrypts, decompresses and checks a blob against its id: the plaintext, or why it was refused.
 * With `into` 'scratch' the plaintext lies in this thread's scratch buffer, valid until the next
 * call (for a caller that writes or discards it at once).
 */
export function openBlob(
  keys: { readonly data: Buffer; readonly chunkId: Buffer },
  blob: Buffer,
  id: Buffer,
  compression: number,
  rawLength: number,
  into: 'own' | 'scratch' = 'own',
): { ok: true; plain: Buffer } | { ok: false; error: string } {
  if (!Number.isSafeInteger(rawLength) || rawLength < 0 || rawLength > MAX_CHUNK_BYTES) {
    return { ok: false, error: 'implausible length' };
  }
  const stored = gcmOpen(keys.data, blob, blobAad(id, compression));
  if (stored === undefined) return { ok: false, error: 'authentication failed' };
  let plain: Buffer;
  try {
    plain = compression === 1 ? decompressChunk(stored, rawLength, into) : stored;
  } catch {
    return { ok: false, error: 'decompression failed' };
  }
  if (plain.length !== rawLength || !equalBytes(chunkIdOf(keys.chunkId, plain), id)) {
    return { ok: false, error: 'content does not match its id' };
  }
  return { ok: true, plain };
}
