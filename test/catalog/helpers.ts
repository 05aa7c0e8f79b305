import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  catalogFile,
  openCatalog,
  type BackupInput,
  type Catalog,
} from '../../electron/catalog/index.js';
import { migrate } from '../../electron/catalog/migrations.js';
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

/**
 * A catalog file in `home` as an older Lifeboat left it: migrated only to `version`, with
 * location `loc-1` and one Succeeded backup written by plain SQL. Returns the open database.
 */
export function olderCatalog(
  home: string,
  version: number,
): { db: Database.Database; backupId: string; created: string } {
  const file = catalogFile(home);
  const db = new Database(file);
  if (migrate(db, file, version) !== version) throw new Error(`not migrated to ${version}`);
  db.prepare(
    `INSERT INTO locations (id, path, kind, repository_id, added, last_used)
     VALUES ('loc-1', '/mnt/old', 'folder', NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
  ).run();
  const old = backup();
  db.prepare(
    `INSERT INTO backups (id, location_id, created, status, components) VALUES (?, 'loc-1', ?, 'Succeeded', '[]')`,
  ).run(old.id, old.created);
  return { db, backupId: old.id, created: old.created as string };
}
