/**
 * Backup encryption keys as the operator handles them: a new 256-bit key (shown once, then
 * usable only after the operator confirms they stored it), an imported key, or a certificate's
 * public part (.cer) whose .pfx stays offline. The repository does the wrapping; this file turns
 * operator input into key bytes and describes keys without revealing them.
 */
import { X509Certificate, randomBytes, randomUUID } from 'node:crypto';
import { operatorKeyId, parseOperatorKey as parseRepositoryKey } from '../repository/index.js';
import { BackupErrors, ConfigErrors } from './errors.js';

export { operatorKeyId };

const OPERATOR_KEY_BYTES = 32;
const GROUP_CHARS = 4;
const PENDING_TTL_MS = 30 * 60_000;

/** The printed form: standard base64 in dash-separated groups of four, easy to read aloud. */
export function formatKey(key: Buffer): string {
  const text = key.toString('base64');
  const groups: string[] = [];
  for (let i = 0; i < text.length; i += GROUP_CHARS) groups.push(text.slice(i, i + GROUP_CHARS));
  return groups.join('-');
}

/** Reads a key as the operator gives it (see the repository's parser); the input is wiped. */
export function parseOperatorKey(input: Buffer): Buffer {
  try {
    return parseRepositoryKey(input);
  } finally {
    input.fill(0);
  }
}

export interface CertificateInfo {
  /** SHA-1 of the DER certificate, lower-case hex (Windows shows it upper-case). */
  readonly thumbprint: string;
  readonly sha256: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly publicKeyAlgorithm: string;
  readonly keyBits: number | null;
}

/** Parses a .cer (PEM or DER) and checks it can wrap keys: RSA, 2048 bits or more, no private key. */
export function inspectCertificate(data: Buffer): CertificateInfo {
  if (/PRIVATE KEY/.test(data.toString('latin1'))) {
    throw BackupErrors.create(
      'BACKUP_CERTIFICATE_INVALID',
      'The file holds a private key; give only the public certificate (.cer).',
      { hint: 'Export the certificate without its private key; keep the .pfx offline.' },
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(data);
  } catch (error) {
    throw BackupErrors.create(
      'BACKUP_CERTIFICATE_INVALID',
      'The file is not an X.509 certificate.',
      {
        cause: error,
      },
    );
  }
  const details = cert.publicKey.asymmetricKeyDetails;
  const algorithm = cert.publicKey.asymmetricKeyType ?? 'unknown';
  const bits = details?.modulusLength ?? null;
  if (algorithm !== 'rsa' || bits === null || bits < 2048) {
    throw BackupErrors.create(
      'BACKUP_CERTIFICATE_INVALID',
      `The certificate's key is ${algorithm}${bits === null ? '' : ` ${bits}-bit`}; RSA of 2048 bits or more is needed.`,
    );
  }
  return {
    thumbprint: cert.fingerprint.replaceAll(':', '').toLowerCase(),
    sha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
    subject: cert.subject.replaceAll('\n', ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    publicKeyAlgorithm: algorithm,
    keyBits: bits,
  };
}

export interface GeneratedKey {
  readonly pendingKeyId: string;
  /** The key in its printed form: the one time it leaves the controller. */
  readonly key: string;
  readonly groups: number;
  /** 1-based group the operator retypes from the stored copy to confirm. */
  readonly confirmGroup: number;
  readonly keyFingerprint: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

interface Pending {
  readonly key: Buffer;
  readonly confirmGroup: number;
  readonly expiresMs: number;
  confirmed: boolean;
}

/**
 * Keys generated but not yet used. A generated key is shown once; it becomes usable for
 * backups only after the operator retypes one group of it from the copy they stored, so a key
 * nobody wrote down never encrypts a backup. Held in memory only, wiped on discard or expiry.
 */
export class PendingKeys {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly now: () => number = Date.now) {}

  generate(): GeneratedKey {
    this.sweep();
    const key = randomBytes(OPERATOR_KEY_BYTES);
    const printed = formatKey(key);
    const groups = printed.split('-').length;
    const confirmGroup = 1 + ((randomBytes(1)[0] as number) % groups);
    const id = `key-${randomUUID()}`;
    const created = this.now();
    this.pending.set(id, {
      key,
      confirmGroup,
      expiresMs: created + PENDING_TTL_MS,
      confirmed: false,
    });
    return {
      pendingKeyId: id,
      key: printed,
      groups,
      confirmGroup,
      keyFingerprint: operatorKeyId(key),
      createdAt: new Date(created).toISOString(),
      expiresAt: new Date(created + PENDING_TTL_MS).toISOString(),
    };
  }

  /** Marks the key saved when `confirmation` equals its requested group. */
  confirm(pendingKeyId: string, confirmation: string): { keyFingerprint: string } {
    const entry = this.live(pendingKeyId);
    const group = formatKey(entry.key).split('-')[entry.confirmGroup - 1];
    if (confirmation.trim() !== group) {
      throw ConfigErrors.create(
        'CONFIG_KEY_NOT_SAVED',
        `Group ${entry.confirmGroup} does not match the generated key.`,
        {
          hint: 'Retype the named group from the copy you stored; if you have no copy, generate a new key.',
        },
      );
    }
    entry.confirmed = true;
    return { keyFingerprint: operatorKeyId(entry.key) };
  }

  /** Hands over a confirmed key (a copy) for enabling backup or rotating; the entry is wiped. */
  take(pendingKeyId: string): Buffer {
    const entry = this.live(pendingKeyId);
    if (!entry.confirmed) {
      throw ConfigErrors.create(
        'CONFIG_KEY_NOT_SAVED',
        'The generated key has not been confirmed as saved.',
      );
    }
    const copy = Buffer.from(entry.key);
    this.discard(pendingKeyId);
    return copy;
  }

  discard(pendingKeyId: string): void {
    const entry = this.pending.get(pendingKeyId);
    entry?.key.fill(0);
    this.pending.delete(pendingKeyId);
  }

  private live(pendingKeyId: string): Pending {
    this.sweep();
    const entry = this.pending.get(pendingKeyId);
    if (entry === undefined) {
      throw ConfigErrors.create(
        'CONFIG_KEY_NOT_SAVED',
        `No pending key ${pendingKeyId}: it expired or was already used.`,
        { hint: 'Generate a new key.' },
      );
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.pending) if (entry.expiresMs <= now) this.discard(id);
  }
}
