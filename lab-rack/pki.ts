/**
 * Real X.509 certificates for the lab rack: the internal CA's root and intermediate (the `ca`
 * component's data) and the rack's self-signed TLS certificate.
 *
 * Certificates are built and signed with node-forge (no `openssl` CLI: Windows laptops lack it).
 * Keys come from Node's native generator, because a seeded pure-JS RSA key search takes seconds;
 * so the CA's names, serials and validity come from the seed but its keys are random, made once
 * when the rack is created and kept in its state from then on.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { CaMaterial, RackIdentity } from './data.js';
import type { Seeded } from './random.js';

interface KeyPair {
  readonly privatePem: string;
  readonly privateKey: forge.pki.rsa.PrivateKey;
  readonly publicKey: forge.pki.rsa.PublicKey;
}

function keyPair(bits = 2048): KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey;
  return {
    privatePem,
    privateKey: forgeKey,
    publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
  };
}

interface CertificateSpec {
  readonly subject: forge.pki.CertificateField[];
  readonly issuer?: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey };
  readonly key: KeyPair;
  /** Hex, positive (first digit below 8). */
  readonly serial: string;
  readonly notBefore: Date;
  readonly years: number;
  readonly ca: false | { pathLength?: number };
  readonly altNames?: { type: 2 | 7; value?: string; ip?: string }[];
}

function certificate(spec: CertificateSpec): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = spec.key.publicKey;
  cert.serialNumber = spec.serial;
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = new Date(spec.notBefore.getTime() + spec.years * 365.25 * 86_400_000);
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.issuer?.cert.subject.attributes ?? spec.subject);
  const extensions: object[] = [
    spec.ca === false
      ? { name: 'basicConstraints', cA: false }
      : {
          name: 'basicConstraints',
          cA: true,
          critical: true,
          ...(spec.ca.pathLength === undefined ? {} : { pathLenConstraint: spec.ca.pathLength }),
        },
    spec.ca === false
      ? { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true }
      : {
          name: 'keyUsage',
          keyCertSign: true,
          cRLSign: true,
          digitalSignature: true,
          critical: true,
        },
    { name: 'subjectKeyIdentifier' },
  ];
  if (spec.ca === false) extensions.push({ name: 'extKeyUsage', serverAuth: true });
  if (spec.altNames !== undefined)
    extensions.push({ name: 'subjectAltName', altNames: spec.altNames });
  cert.setExtensions(extensions);
  cert.sign(spec.issuer?.key ?? spec.key.privateKey, forge.md.sha256.create());
  return cert;
}

const serialFrom = (hex: string) =>
  `${(parseInt(hex[0] as string, 16) & 0x7).toString(16)}${hex.slice(1)}`;

function names(rack: RackIdentity, commonName: string): forge.pki.CertificateField[] {
  return [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: rack.externalDomain },
    { shortName: 'OU', value: `Azure Stack ${rack.region}` },
  ];
}

/** The internal CA: a root and an intermediate it signed, each with its private key, as PEM. */
export function makeCaMaterial(rng: Seeded, rack: RackIdentity): CaMaterial {
  const rootKey = keyPair();
  const rootStart = new Date(Date.parse(rng.date('ca-root', 0).slice(0, 10)));
  const root = certificate({
    subject: names(rack, `AzureStackCertificationAuthority ${rack.region}`),
    key: rootKey,
    serial: serialFrom(rng.hex('ca-root-serial', 0, 32)),
    notBefore: rootStart,
    years: 20,
    ca: {},
  });
  const intermediateKey = keyPair();
  const intermediate = certificate({
    subject: names(rack, `AzureStack Issuing CA ${rack.region}`),
    issuer: { cert: root, key: rootKey.privateKey },
    key: intermediateKey,
    serial: serialFrom(rng.hex('ca-intermediate-serial', 0, 32)),
    notBefore: new Date(rootStart.getTime() + 86_400_000),
    years: 10,
    ca: { pathLength: 0 },
  });
  return {
    root: `${forge.pki.certificateToPem(root)}${rootKey.privatePem}`,
    intermediate: `${forge.pki.certificateToPem(intermediate)}${intermediateKey.privatePem}`,
  };
}

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/** The rack API's self-signed certificate, valid for the loopback names and `host`. */
export function makeTlsMaterial(host: string, rack: RackIdentity): TlsMaterial {
  const key = keyPair();
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
  ];
  if (/^[\d.]+$/.test(host) && host !== '127.0.0.1') altNames.push({ type: 7, ip: host });
  else if (!/^[\d.]+$/.test(host) && host !== 'localhost' && !host.includes(':'))
    altNames.push({ type: 2, value: host });
  const cert = certificate({
    subject: names(rack, `rack-api.${rack.region}.${rack.externalDomain}`),
    key,
    serial: serialFrom(randomBytes(16).toString('hex')),
    notBefore: new Date(Date.now() - 86_400_000),
    years: 10,
    ca: false,
    altNames,
  });
  return { cert: forge.pki.certificateToPem(cert), key: key.privatePem };
}

/** The fingerprint clients pin: SHA-256 of the DER certificate, `AB:CD:…`. */
export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
