import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type BackupInput, type Catalog } from '../../electron/catalog/index.js';
import { LifeboatError } from '../../shared/errors.js';

export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'lifeboat-catalog-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** A catalog in a fresh profile folder; `done()` closes it and removes the folder. */
export function freshCatalog(): { catalog: Catalog; home: string; done: () => void } {
  const { home, cleanup } = tempHome();
  const catalog = openCatalog({ home });
  return {
    catalog,
    home,
    done: () => {
      catalog.close();
      cleanup();
    },
  };
}

export function caught(fn: () => unknown): LifeboatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LifeboatError) return error;
    throw error;
  }
  throw new Error('expected a LifeboatError, but nothing was thrown');
}

export const enableInput = {
  locationId: 'loc-1',
  locationPath: '/mnt/backups',
  locationKind: 'folder',
  credentialRef: 'storage-credentials:loc-1',
  repositoryId: 'repo-1',
  encryption: { mode: 'key' as const, keyEpoch: 1 },
};

export function backup(overrides: Partial<BackupInput> = {}): BackupInput {
  return {
    id: randomUUID(),
    locationId: 'loc-1',
    created: new Date().toISOString(),
    durationMs: 1200,
    status: 'Succeeded',
    components: [
      { name: 'identity', status: 'Succeeded', logicalBytes: 10, storedBytes: 4 },
      { name: 'keyvault', status: 'Succeeded', logicalBytes: 20, storedBytes: 8 },
    ],
    logicalBytes: 30,
    storedBytes: 12,
    keyEpoch: 1,
    sourceStampId: 'stamp-a',
    sourceVersion: '1.2.3',
    ...overrides,
  };
}
