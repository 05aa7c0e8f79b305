/**
 * The benchmark's deterministic mixed dataset, shaped like a rack's infrastructure exports:
 * compressible SQL-dump-like and JSON exports, directory exports of many small files,
 * incompressible key material and blobs; a few large files and many small ones. Same seed and
 * size give the same bytes on every machine, so runs compare.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { appendFile, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MiB = 1024 * 1024;

/** A fast deterministic byte stream: AES-256-CTR keystream keyed by the seed. */
class Keystream {
  private readonly cipher;
  constructor(seed: string) {
    const key = createHash('sha256').update(seed).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }
  bytes(n: number): Buffer {
    return this.cipher.update(Buffer.alloc(n));
  }
  private pool: Uint32Array = new Uint32Array(0);
  private next = 0;
  /** Integers in [0, bound), from the keystream, drawn from a batch (one cipher call per 64 Ki). */
  ints(count: number, bound: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      if (this.next >= this.pool.length) {
        const raw = this.bytes(256 * 1024);
        this.pool = new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
        this.next = 0;
      }
      out.push((this.pool[this.next++] as number) % bound);
    }
    return out;
  }
}

const WORDS = [
  'subscription',
  'plan',
  'offer',
  'quota',
  'vault',
  'secret',
  'role',
  'assignment',
  'tenant',
  'region',
  'compute',
  'storage',
  'network',
  'identity',
  'policy',
  'owner',
  'reader',
  'contributor',
];

function sqlLines(stream: Keystream, bytes: number, table: string): Buffer {
  const parts: string[] = [];
  let size = 0;
  let row = 0;
  while (size < bytes) {
    const [a = 0, b = 0, c = 0, d = 0] = stream.ints(4, 1_000_000);
    const line = `INSERT INTO ${table} (id, name, owner, quota, created) VALUES (${row++}, '${WORDS[a % WORDS.length]}-${b}', '${WORDS[c % WORDS.length]}@contoso.local', ${d}, '2026-0${(a % 9) + 1}-1${b % 10}T0${c % 10}:00:00Z');\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

function jsonExport(stream: Keystream, bytes: number): Buffer {
  const items: string[] = [];
  let size = 2;
  while (size < bytes) {
    const [a = 0, b = 0, c = 0] = stream.ints(3, 1_000_000);
    const item = JSON.stringify({
      id: `/subscriptions/${a.toString(16)}/resourceGroups/rg-${b}/providers/Microsoft.KeyVault/vaults/kv-${c}`,
      kind: WORDS[a % WORDS.length],
      properties: { enabled: b % 2 === 0, limit: c, tags: { env: WORDS[b % WORDS.length] } },
    });
    items.push(item);
    size += item.length + 1;
  }
  return Buffer.from(`[${items.join(',')}]`).subarray(0, bytes);
}

export interface DatasetFile {
  readonly path: string;
  readonly size: number;
}

/** Writes the dataset under `root`; returns its files. Large files are written in pieces. */
export async function generateDataset(
  root: string,
  totalBytes: number,
  seed = 'lifeboat-bench',
): Promise<DatasetFile[]> {
  const stream = new Keystream(seed);
  const files: DatasetFile[] = [];
  const budget = (share: number) => Math.floor(totalBytes * share);
  const write = async (relative: string, size: number, make: (n: number) => Buffer) => {
    const path = join(root, relative);
    await mkdir(join(path, '..'), { recursive: true });
    const handle = await open(path, 'w');
    try {
      for (let done = 0; done < size;) {
        const n = Math.min(8 * MiB, size - done);
        await handle.write(make(n));
        done += n;
      }
    } finally {
      await handle.close();
    }
    files.push({ path: relative, size });
  };
  // Large compressible dumps (35%), a few files.
  for (let i = 0, left = budget(0.35); left > 0; i++) {
    const size = Math.min(left, 64 * MiB);
    await write(`deployment/sql/dump-${i}.sql`, size, (n) => sqlLines(stream, n, `t${i}`));
    left -= size;
  }
  // JSON exports (20%), medium files.
  for (let i = 0, left = budget(0.2); left > 0; i++) {
    const size = Math.min(left, 8 * MiB);
    await write(`resource-manager/export-${i}.json`, size, (n) => jsonExport(stream, n));
    left -= size;
  }
  // Directory exports (15%): many small files, 1–64 KiB.
  for (let i = 0, left = budget(0.15); left > 0; i++) {
    const size = Math.min(left, 1024 + (stream.ints(1, 63 * 1024)[0] ?? 0));
    await write(`rbac/assignments/${Math.floor(i / 500)}/a-${i}.json`, size, (n) =>
      jsonExport(stream, n),
    );
    left -= size;
  }
  // Incompressible blobs (20%) and key material (10%, 4 KiB files).
  for (let i = 0, left = budget(0.2); left > 0; i++) {
    const size = Math.min(left, 32 * MiB);
    await write(`keyvault/blobs/blob-${i}.bin`, size, (n) => stream.bytes(n));
    left -= size;
  }
  for (let i = 0, left = budget(0.1); left > 0; i++) {
    const size = Math.min(left, 4096);
    await write(`identity/keys/key-${i}.bin`, size, (n) => stream.bytes(n));
    left -= size;
  }
  return files;
}

/**
 * Changes about 5% of the dataset's bytes: about 3% as rewritten files (new content, same
 * names) and about 2% appended to the dumps, the way a day of rack changes looks.
 */
export async function mutateDataset(
  root: string,
  files: readonly DatasetFile[],
  seed = 'lifeboat-bench-mutation',
): Promise<number> {
  const stream = new Keystream(seed);
  const total = files.reduce((sum, file) => sum + file.size, 0);
  let rewritten = 0;
  for (const [i, file] of files.entries()) {
    if (rewritten >= total * 0.03) break;
    if (i % 7 !== 3 || file.size > 8 * MiB) continue; // a spread of small and medium files
    await writeFile(
      join(root, file.path),
      file.path.endsWith('.bin') ? stream.bytes(file.size) : jsonExport(stream, file.size),
    );
    rewritten += file.size;
  }
  const dumps = files.filter((file) => file.path.endsWith('.sql'));
  let appended = 0;
  for (const dump of dumps) {
    const size = Math.floor((total * 0.02) / Math.max(dumps.length, 1));
    await appendFile(join(root, dump.path), sqlLines(stream, size, 'appended'));
    appended += size;
  }
  return rewritten + appended;
}
