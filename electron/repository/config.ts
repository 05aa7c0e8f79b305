/** The `config` object (docs/repository-format.md section 3): written once by init, never changed. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Storage } from '../storage/index.js';
import { DEFAULT_CHUNKER } from './chunker.js';
import { RepoErrors } from './errors.js';

export const FORMAT_VERSION = 1;
export const PACK_SIZE = 16 * 1024 * 1024;

export const ConfigSchema = z.object({
  format: z.literal('lifeboat-repository'),
  version: z.number().int(),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  created: z.string(),
  chunker: z.object({
    algorithm: z.literal('fastcdc-2016-nc2'),
    min: z.number().int().min(65),
    avg: z.number().int(),
    max: z
      .number()
      .int()
      .max(64 * 1024 * 1024),
  }),
  packSize: z
    .number()
    .int()
    .min(1024 * 1024)
    .max(1024 * 1024 * 1024),
  compression: z.literal('zstd'),
});
export type RepositoryConfig = z.infer<typeof ConfigSchema>;

export function newConfig(): RepositoryConfig {
  return {
    format: 'lifeboat-repository',
    version: FORMAT_VERSION,
    id: randomBytes(32).toString('hex'),
    created: new Date().toISOString(),
    chunker: { algorithm: 'fastcdc-2016-nc2', ...DEFAULT_CHUNKER },
    packSize: PACK_SIZE,
    compression: 'zstd',
  };
}

/** Reads and validates `config`; REPO_NOT_A_REPOSITORY when absent or foreign. */
export async function readConfig(storage: Storage): Promise<RepositoryConfig> {
  if ((await storage.stat('config')) === undefined) {
    throw RepoErrors.create(
      'REPO_NOT_A_REPOSITORY',
      `${storage.location} holds no Lifeboat repository.`,
    );
  }
  const raw = await storage.get('config');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw RepoErrors.create(
      'REPO_NOT_A_REPOSITORY',
      `The config at ${storage.location} is not JSON.`,
    );
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    throw RepoErrors.create(
      'REPO_UNSUPPORTED_VERSION',
      `The repository at ${storage.location} has format version ${version}; this Lifeboat reads version ${FORMAT_VERSION}.`,
    );
  }
  const result = ConfigSchema.safeParse(parsed);
  if (!result.success || result.data.version !== FORMAT_VERSION) {
    throw RepoErrors.create(
      'REPO_NOT_A_REPOSITORY',
      `The config at ${storage.location} is not a Lifeboat repository config.`,
    );
  }
  return result.data;
}
