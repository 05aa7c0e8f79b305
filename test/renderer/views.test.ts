import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { componentSummary } from '../../renderer/src/lib/backups.js';
import { derToPem } from '../../renderer/src/lib/certificate.js';
import { groupFingerprint } from '../../renderer/src/lib/fingerprint.js';
import { nextIndex } from '../../renderer/src/lib/keys.js';
import { statusLabel, toneOf } from '../../renderer/src/lib/status.js';

describe('componentSummary', () => {
  it('counts successes and names every other status', () => {
    expect(componentSummary([])).toBe('—');
    expect(
      componentSummary([
        { component: 'arm', status: 'Succeeded' },
        { component: 'keyvault', status: 'Failed' },
        { component: 'rbac', status: 'Skipped' },
      ]),
    ).toBe('1 of 3 succeeded · keyvault Failed · rbac Skipped');
  });
});

describe('status badges', () => {
  it('never shows PartialSucceeded as a success', () => {
    expect(toneOf('Succeeded')).toBe('ok');
    expect(toneOf('PartialSucceeded')).toBe('warn');
    expect(toneOf('Failed')).toBe('bad');
    expect(toneOf('something new')).toBe('neutral');
    expect(statusLabel('PartialSucceeded')).toBe('Partially succeeded');
  });
});

describe('virtual table keys', () => {
  it('moves the selection within bounds', () => {
    expect(nextIndex('ArrowDown', -1, 10_000, 10)).toBe(0);
    expect(nextIndex('ArrowDown', 9_999, 10_000, 10)).toBe(9_999);
    expect(nextIndex('ArrowUp', 0, 10_000, 10)).toBe(0);
    expect(nextIndex('PageDown', 5, 10_000, 10)).toBe(15);
    expect(nextIndex('PageUp', 5, 10_000, 10)).toBe(0);
    expect(nextIndex('End', 5, 10_000, 10)).toBe(9_999);
    expect(nextIndex('Home', 5, 10_000, 10)).toBe(0);
    expect(nextIndex('a', 5, 10_000, 10)).toBeNull();
    expect(nextIndex('ArrowDown', -1, 0, 10)).toBeNull();
  });
});

describe('fingerprints', () => {
  it('groups a SHA-256 fingerprint the way certificate viewers show it', () => {
    const hex = 'ab'.repeat(32);
    const grouped = groupFingerprint(hex);
    expect(grouped.split(':')).toHaveLength(32);
    expect(grouped.startsWith('AB:AB:')).toBe(true);
  });
});

describe('derToPem', () => {
  it('turns a DER .cer into a PEM that parses to the same certificate', () => {
    const keys = forge.pki.rsa.generateKeyPair(1024);
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = '01';
    cert.validity.notBefore = new Date('2026-01-01T00:00:00Z');
    cert.validity.notAfter = new Date('2027-01-01T00:00:00Z');
    cert.setSubject([{ name: 'commonName', value: 'Lifeboat backup encryption' }]);
    cert.setIssuer([{ name: 'commonName', value: 'Lifeboat backup encryption' }]);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    const der = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
    const bytes = Uint8Array.from(der, (c) => c.charCodeAt(0));
    const original = new X509Certificate(Buffer.from(bytes));
    const pem = derToPem(bytes);
    expect(pem.split('\n').every((line) => line.length <= 64)).toBe(true);
    expect(new X509Certificate(pem).fingerprint256).toBe(original.fingerprint256);
  });
});
