/** The `config` object (docs/repository-format.md section 3): written once by init, never changed. */
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/index.js';
import { DEFAULT_CHUNKER } from './chunker.js';
import { RepoErrors } from './errors.js';
import { integer, object, oneOf, readShape, string, type ShapeOf } from './shapes.js';

export const FORMAT_VERSION = 1;
export const PACK_SIZE = 16 * 1024 * 1024;

const configShape = object({
  format: oneOf('lifeboat-repository'),
  version: integer(),
  id: string({ pattern: /^[0-9a-f]{64}$/ }),
  created: string(),
  chunker: object({
    algorithm: oneOf('fastcdc-2016-nc2'),
    min: integer(65),
    avg: integer(),
    max: integer(undefined, 64 * 1024 * 1024),
  }),
  packSize: integer(1024 * 1024, 1024 * 1024 * 1024),
  compression: oneOf('zstd'),
});
export type RepositoryConfig = ShapeOf<typeof configShape>;

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
  const config = readShape(configShape, parsed);
  if (config?.version !== FORMAT_VERSION) {
    throw RepoErrors.create(
      'REPO_NOT_A_REPOSITORY',
      `The config at ${storage.location} is not a Lifeboat repository config.`,
    );
  }
  return config;
}
