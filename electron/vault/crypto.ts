/**
 * The vault's cryptography, free of I/O: sealing records and data keys with AES-256-GCM, the
 * passphrase key derivation (scrypt), and the file MAC. AES-256-GCM because it is the
 * authenticated cipher both Node's OpenSSL and Electron's BoringSSL provide.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  nonce: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  box: Buffer;
}

/** Encrypts with a fresh random 96-bit nonce; `aad` binds the ciphertext to its purpose. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const box = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, box };
}

/** Decrypts, or returns null when the key, nonce, ciphertext or `aad` does not match. */
export function unseal(key: Buffer, sealed: Sealed, aad: string): Buffer | null {
  if (sealed.nonce.length !== NONCE_BYTES || sealed.box.length < TAG_BYTES) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.box.subarray(sealed.box.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(sealed.box.subarray(0, sealed.box.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return null;
  }
}

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/**
 * 2^17 × 8 × 128 bytes = 128 MiB and roughly half a second here: the OWASP-recommended floor
 * for scrypt, paid once when the vault is opened.
 */
export const SCRYPT_DEFAULTS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** Parameters below this are refused when read from a file, so a tampered file cannot weaken them. */
export const SCRYPT_MIN_N = 2 ** 15;

export function derivePassphraseKey(
  passphrase: Buffer,
  salt: Buffer,
  params: ScryptParams,
): Buffer {
  return scryptSync(passphrase, salt, KEY_BYTES, {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  });
}

/** A separate key for the file MAC, so the data key is used for one purpose only. */
export function macKey(dataKey: Buffer, vaultId: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', dataKey, Buffer.alloc(0), `lifeboat-vault-mac:${vaultId}`, 32),
  );
}

export function mac(key: Buffer, input: string): Buffer {
  return createHmac('sha256', key).update(input, 'utf8').digest();
}

export function macMatches(key: Buffer, input: string, expected: Buffer): boolean {
  const actual = mac(key, input);
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
