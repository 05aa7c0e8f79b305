/**
 * Key epochs and key files (docs/repository-format.md section 4): operator keys, certificate
 * wrapping (.cer to write, .pfx + password to read), and the key check value.
 */
import {
  X509Certificate,
  constants,
  createHash,
  createPrivateKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { createRequire } from 'node:module';
import type forge from 'node-forge';
import { gcmOpen, gcmSeal, operatorKek } from './crypto.js';
import { RepoErrors } from './errors.js';
import { integer, object, oneOf, optional, string, type ShapeOf } from './shapes.js';
import type { KeyRef } from './types.js';

export const KEY_BYTES = 32;

/** A fresh 256-bit operator key. */
export function generateOperatorKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The operator key as the file an operator keeps: one line of base64. */
export function encodeOperatorKey(key: Buffer): Buffer {
  return Buffer.from(`${key.toString('base64')}\n`, 'ascii');
}

/** Parses an operator key file's content (base64, surrounding whitespace allowed). */
/**
 * Reads an operator key as the operator gives it: 44 characters of standard base64, or the
 * printed form with dashes or spaces between groups. Standard base64 has no '-', so removing
 * separators is unambiguous; every entry point (the app, `lifeboat repo`, recovery) reads a
 * key file the same way.
 */
export function parseOperatorKey(raw: Buffer): Buffer {
  const text = raw.toString('ascii').replace(/[\s-]/g, '');
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text) || key.length !== KEY_BYTES) {
    throw RepoErrors.create('REPO_KEY_INVALID', 'The operator key is not 32 bytes of base64.');
  }
  return key;
}

export function operatorKeyId(key: Buffer): string {
  return createHash('sha256')
    .update('lifeboat operator key id v1')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

export interface CertificateInfo {
  /** SHA-1 of the DER certificate, upper-case hex, as Windows shows thumbprints. */
  readonly thumbprint: string;
  readonly sha256: string;
  readonly subject: string;
  readonly notAfter: string;
  readonly publicKey: KeyObject;
}

function describeCertificate(cert: X509Certificate): CertificateInfo {
  const publicKey = cert.publicKey;
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType !== 'rsa' || bits < 2048) {
    throw RepoErrors.create(
      'REPO_CERTIFICATE_INVALID',
      `The certificate's key is ${publicKey.asymmetricKeyType ?? 'unknown'} ${bits} bits; an RSA key of 2048 bits or more is needed.`,
    );
  }
  return {
    thumbprint: cert.fingerprint.replaceAll(':', '').toUpperCase(),
    sha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
    subject: cert.subject.replaceAll('\n', ', '),
    notAfter: new Date(cert.validTo).toISOString(),
    publicKey,
  };
}

/** Reads a .cer (PEM or DER). */
export function readCertificate(bytes: Buffer): CertificateInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(bytes);
  } catch (error) {
    throw RepoErrors.create('REPO_CERTIFICATE_INVALID', 'The file is not an X.509 certificate.', {
      cause: error,
    });
  }
  return describeCertificate(cert);
}

export interface PfxContent {
  readonly certificate: CertificateInfo;
  readonly privateKey: KeyObject;
}

/**
 * node-forge, loaded the first time a .pfx is opened: it is large (a whole TLS stack), and most
 * commands never open one.
 */
function loadForge(): typeof forge {
  return createRequire(import.meta.url)('node-forge') as typeof forge;
}

// PKCS#12 bag types (RFC 7292 section 4.2).
const BAG_KEY = '1.2.840.113549.1.12.10.1.1';
const BAG_SHROUDED_KEY = '1.2.840.113549.1.12.10.1.2';
const BAG_CERTIFICATE = '1.2.840.113549.1.12.10.1.3';

/**
 * Opens a PKCS#12 (.pfx) file. Node's crypto cannot parse PKCS#12, so node-forge does; the
 * password must become a string for it, which lives only for this call.
 */
export function readPfx(pfx: Buffer, password: Buffer): PfxContent {
  const lib = loadForge();
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = lib.asn1.fromDer(lib.util.createBuffer(pfx.toString('binary')));
    p12 = lib.pkcs12.pkcs12FromAsn1(asn1, false, password.toString('utf8'));
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (/password|MAC/i.test(message)) {
      throw RepoErrors.create('REPO_PFX_PASSWORD', 'The .pfx password is wrong.');
    }
    throw RepoErrors.create(
      'REPO_CERTIFICATE_INVALID',
      'The file is not a readable .pfx (PKCS#12).',
      { cause: error },
    );
  }
  const bagsOf = (oid: string): forge.pkcs12.Bag[] => p12.getBags({ bagType: oid })[oid] ?? [];
  const keyBags = [...bagsOf(BAG_SHROUDED_KEY), ...bagsOf(BAG_KEY)];
  const certBags = bagsOf(BAG_CERTIFICATE);
  const key = keyBags.find((bag) => bag.key !== undefined)?.key;
  const cert = certBags.find((bag) => bag.cert !== undefined)?.cert;
  if (key === undefined || cert === undefined) {
    throw RepoErrors.create(
      'REPO_CERTIFICATE_INVALID',
      'The .pfx holds no private key and certificate.',
    );
  }
  const der = Buffer.from(lib.asn1.toDer(lib.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return {
    certificate: describeCertificate(new X509Certificate(der)),
    privateKey: createPrivateKey(lib.pki.privateKeyToPem(key as forge.pki.rsa.PrivateKey)),
  };
}

export const keyFileShape = object({
  format: oneOf('lifeboat-key'),
  version: oneOf(1),
  repository: string({ pattern: /^[0-9a-f]{64}$/ }),
  epoch: integer(1, 999_999),
  kind: oneOf('operator', 'certificate'),
  keyId: string({ pattern: /^[0-9A-Fa-f]{16,64}$/ }),
  created: string(),
  check: string({ pattern: /^[0-9a-f]{32}$/ }),
  wrap: oneOf('aes-256-gcm', 'rsa-oaep-sha256'),
  wrapped: string({ pattern: /^[A-Za-z0-9+/]*={0,2}$/ }),
  certificate: optional(
    object({ thumbprint: string(), sha256: string(), subject: string(), notAfter: string() }),
  ),
});
export type KeyFile = ShapeOf<typeof keyFileShape>;

export function keyFileName(file: Pick<KeyFile, 'epoch' | 'kind' | 'keyId'>): string {
  return `keys/${String(file.epoch).padStart(6, '0')}.${file.kind}.${file.keyId}`;
}

function binding(repository: string, epoch: number, kind: string, keyId: string): Buffer {
  return Buffer.from(`lifeboat-key/v1|${repository}|${epoch}|${kind}|${keyId}`, 'utf8');
}

interface EpochSecret {
  readonly repository: string;
  readonly epoch: number;
  readonly master: Buffer;
  readonly check: string;
}

export function wrapWithOperatorKey(secret: EpochSecret, operatorKey: Buffer): KeyFile {
  const keyId = operatorKeyId(operatorKey);
  const kek = operatorKek(operatorKey, Buffer.from(secret.repository, 'hex'));
  const sealed = gcmSeal(
    kek,
    secret.master,
    binding(secret.repository, secret.epoch, 'operator', keyId),
  );
  return {
    format: 'lifeboat-key',
    version: 1,
    repository: secret.repository,
    epoch: secret.epoch,
    kind: 'operator',
    keyId,
    created: new Date().toISOString(),
    check: secret.check,
    wrap: 'aes-256-gcm',
    wrapped: sealed.toString('base64'),
  };
}

export function wrapWithCertificate(secret: EpochSecret, certificate: CertificateInfo): KeyFile {
  const keyId = certificate.thumbprint;
  const wrapped = publicEncrypt(
    {
      key: certificate.publicKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: binding(secret.repository, secret.epoch, 'certificate', keyId),
    },
    secret.master,
  );
  const { thumbprint, sha256, subject, notAfter } = certificate;
  return {
    format: 'lifeboat-key',
    version: 1,
    repository: secret.repository,
    epoch: secret.epoch,
    kind: 'certificate',
    keyId,
    created: new Date().toISOString(),
    check: secret.check,
    wrap: 'rsa-oaep-sha256',
    wrapped: wrapped.toString('base64'),
    certificate: { thumbprint, sha256, subject, notAfter },
  };
}

/** A key able to unwrap some key files: resolved from the caller's key material. */
export type Unwrapper =
  | { readonly kind: 'operator'; readonly keyId: string; readonly key: Buffer }
  | { readonly kind: 'certificate'; readonly keyId: string; readonly privateKey: KeyObject };

/** Unwraps the master key of a key file, or undefined if this key does not open it. */
export function unwrapKeyFile(file: KeyFile, unwrapper: Unwrapper): Buffer | undefined {
  if (file.kind !== unwrapper.kind || file.keyId.toUpperCase() !== unwrapper.keyId.toUpperCase())
    return undefined;
  const aad = binding(file.repository, file.epoch, file.kind, file.keyId);
  const wrapped = Buffer.from(file.wrapped, 'base64');
  if (unwrapper.kind === 'operator') {
    return gcmOpen(operatorKek(unwrapper.key, Buffer.from(file.repository, 'hex')), wrapped, aad);
  }
  try {
    return privateDecrypt(
      {
        key: unwrapper.privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: aad,
      },
      wrapped,
    );
  } catch {
    return undefined;
  }
}

export function keyRefOf(file: KeyFile): KeyRef {
  return {
    epoch: file.epoch,
    kind: file.kind,
    keyId: file.keyId,
    ...(file.certificate
      ? { subject: file.certificate.subject, notAfter: file.certificate.notAfter }
      : {}),
  };
}

/** "key epoch 3 (operator key 1a2b…, or the certificate with thumbprint AB12…)" for messages. */
export function describeNeededKey(epoch: number, refs: readonly KeyRef[]): string {
  const names = refs.map((ref) =>
    ref.kind === 'operator'
      ? `operator key ${ref.keyId}`
      : `the certificate with thumbprint ${ref.keyId}`,
  );
  return names.length === 0 ? `key epoch ${epoch}` : `key epoch ${epoch} (${names.join(', or ')})`;
}
