/** Shared set-up for repository tests: a real folder, a real repository, deterministic data. */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  generateOperatorKey,
  initRepository,
  openRepository,
  type BackupSource,
  type Repository,
} from '../../electron/repository/index.js';
import { openFileStorage, type Storage } from '../../electron/storage/index.js';

export const source: BackupSource = {
  kind: 'rack',
  id: 'stamp-1',
  version: '1.2.3',
  labels: { region: 'east' },
};

export interface TestRepo {
  dir: string;
  storage: Storage;
  key: Buffer;
  repo: Repository;
  cleanup(): Promise<void>;
}

export async function makeRepo(): Promise<TestRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'lb-repo-'));
  const storage = await openFileStorage(join(dir, 'repo'), { create: true });
  const key = generateOperatorKey();
  await initRepository(storage, { wrapping: { operatorKey: key } });
  const repo = await openRepository(storage, { operatorKey: key });
  return {
    dir,
    storage,
    key,
    repo,
    async cleanup() {
      await repo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Deterministic pseudo-random bytes (a SHA-256 counter stream): incompressible, reproducible. */
export function noise(size: number, seed: string): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let offset = 0, n = 0; offset < size; offset += 32, n++) {
    createHash('sha256').update(`${seed}:${n}`).digest().copy(out, offset);
  }
  return out;
}

/** Compressible text in the style of a SQL dump. */
export function sqlDump(rows: number, seed: string): Buffer {
  const lines = [];
  for (let i = 0; i < rows; i++)
    lines.push(`INSERT INTO quotas VALUES (${i}, '${seed}-${i % 97}', ${(i * 7919) % 100000});`);
  return Buffer.from(lines.join('\n'));
}

export function streamOf(data: Buffer, piece = 300_000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += piece) parts.push(data.subarray(i, i + piece));
  return Readable.from(parts);
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A self-signed RSA certificate and its .pfx, made by openssl (Debian package). */
export function makeCertificate(dir: string, password: string) {
  const key = join(dir, 'cert.key');
  const cer = join(dir, 'cert.cer');
  const pfx = join(dir, 'cert.pfx');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cer,
      '-days',
      '3',
      '-subj',
      '/CN=Lifeboat Test',
    ],
    { stdio: 'ignore' },
  );
  execFileSync(
    'openssl',
    ['pkcs12', '-export', '-in', cer, '-inkey', key, '-out', pfx, '-passout', `pass:${password}`],
    { stdio: 'ignore' },
  );
  const thumbprint = execFileSync('openssl', [
    'x509',
    '-in',
    cer,
    '-noout',
    '-fingerprint',
    '-sha1',
  ])
    .toString()
    .split('=')[1]!
    .trim()
    .replaceAll(':', '');
  return { cer, pfx, thumbprint };
}
