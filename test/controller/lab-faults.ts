/**
 * Sets the lab rack's injected faults over a fresh TLS connection each time (no session
 * resumption, so the pinned certificate is always presented and checked). A stand-in for
 * `LabRack.setFaults`, whose pin check fails when the global agent resumes a TLS session.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { LabFaultsInput } from '../../shared/rack-api.js';
import type { LabRack } from '../helpers/lab-rack.js';

export async function setLabFaults(rack: LabRack, faults: LabFaultsInput): Promise<void> {
  const credentials = Buffer.concat([
    Buffer.from(`{"username":${JSON.stringify(rack.username)},"password":"`),
    rack.password,
    Buffer.from('"}'),
  ]);
  const token = JSON.parse(await call(rack, 'POST', '/v1/auth/token', credentials)) as {
    token: string;
  };
  await call(rack, 'PUT', '/v1/lab/faults', Buffer.from(JSON.stringify(faults)), token.token);
}

function call(
  rack: LabRack,
  method: string,
  path: string,
  body: Buffer,
  token?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, rack.url),
      {
        method,
        agent: false,
        rejectUnauthorized: false,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        const seen = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        res.on('data', (data: Buffer) => (text += data.toString()));
        res.on('end', () => {
          if (seen !== rack.fingerprint)
            reject(new Error('the lab rack presented another certificate'));
          else if ((res.statusCode ?? 0) >= 300)
            reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text);
        });
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}
