/**
 * What the wizards show before a rack is trusted: the certificate it presents (SHA-256
 * fingerprint, subject, expiry), read from a TLS handshake that verifies nothing and sends
 * nothing, so the operator can compare the fingerprint with the rack's own display, as with SSH.
 */
import { connect, type PeerCertificate } from 'node:tls';
import { IpcErrors } from './errors.js';

export interface CertificateProbe {
  readonly url: string;
  readonly fingerprint: string;
  readonly certificateSubject: string;
  readonly certificateValidTo: string | null;
}

function subjectText(certificate: PeerCertificate): string {
  const subject = certificate.subject as unknown as Record<string, string | string[]> | undefined;
  if (subject === undefined) return '';
  return Object.entries(subject)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

function validTo(certificate: PeerCertificate): string | null {
  const time = Date.parse(certificate.valid_to);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

export function probeCertificate(
  url: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<CertificateProbe> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port === '' ? 443 : Number(parsed.port);
  return new Promise((resolve, reject) => {
    // Verification is off on purpose: this handshake only reads the certificate to show it.
    const socket = connect({ host, port, rejectUnauthorized: false, servername: host });
    const fail = (why: string) => {
      socket.destroy();
      reject(
        IpcErrors.create('IPC_RACK_UNREACHABLE', `The rack at ${parsed.host} ${why}.`, {
          details: { url },
        }),
      );
    };
    options.signal?.addEventListener('abort', () => fail('probe was cancelled'), { once: true });
    socket.setTimeout(options.timeoutMs ?? 10_000, () => fail('did not answer in time'));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      fail(`cannot be reached (${error.code ?? 'TLS error'})`),
    );
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      if (typeof certificate.fingerprint256 !== 'string' || certificate.fingerprint256 === '') {
        return fail('presented no certificate');
      }
      resolve({
        url: parsed.origin,
        fingerprint: certificate.fingerprint256.replaceAll(':', '').toLowerCase(),
        certificateSubject: subjectText(certificate),
        certificateValidTo: validTo(certificate),
      });
    });
  });
}
