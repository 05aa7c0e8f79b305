/** Verification results per backup, on real catalog files: recorded, read back, cleaned up. */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogFile, openCatalog, type Catalog } from '../../electron/catalog/index.js';
import { backup, caught, enableInput, freshCatalog, olderCatalog, tempHome } from './helpers.js';

let catalog: Catalog;
let home: string;
let done: () => void;
beforeEach(() => {
  ({ catalog, home, done } = freshCatalog());
  catalog.config.save(enableInput, { actor: 'test' });
});
afterEach(() => done());

function verifyJob(): string {
  const job = catalog.jobs.create({ kind: 'verify' });
  catalog.jobs.markRunning(job.id);
  return job.id;
}

function result(backupId: string, overrides: Record<string, unknown> = {}) {
  return {
    backupId,
    jobId: verifyJob(),
    verified: new Date().toISOString(),
    ok: true,
    readData: false,
    damagedComponents: [],
    ...overrides,
  };
}

describe('verification results', () => {
  it('has none for a backup never verified', () => {
    const stored = catalog.backups.upsert(backup());
    expect(catalog.verifications.latest(stored.id)).toBeNull();
  });

  it('returns the latest result with its job, data flag and damaged components', () => {
    const stored = catalog.backups.upsert(backup());
    const first = catalog.verifications.record(
      result(stored.id, { verified: '2026-03-01T10:00:00.000Z', readData: true }),
    );
    const second = catalog.verifications.record(
      result(stored.id, {
        verified: '2026-03-02T10:00:00.000Z',
        ok: false,
        damagedComponents: ['keyvault', 'identity'],
      }),
    );
    expect(first.seq).toBeLessThan(second.seq);
    expect(catalog.verifications.latest(stored.id)).toEqual(second);
    expect(second).toMatchObject({ ok: false, readData: false });
    // An older result recorded later (a clock set back) does not hide the newer one.
    catalog.verifications.record(result(stored.id, { verified: '2026-02-01T10:00:00.000Z' }));
    expect(catalog.verifications.latest(stored.id)?.seq).toBe(second.seq);
  });

  it('refuses a passed result naming damage, an unknown backup and an unknown job', () => {
    const stored = catalog.backups.upsert(backup());
    const contradiction = caught(() =>
      catalog.verifications.record(result(stored.id, { damagedComponents: ['keyvault'] })),
    );
    expect(contradiction.code).toBe('CATALOG_INVALID_INPUT');
    expect(contradiction.message).toContain('damagedComponents');
    const unknownBackup = caught(() => catalog.verifications.record(result(randomUUID())));
    expect(unknownBackup.code).toBe('CATALOG_NOT_FOUND');
    const unknownJob = caught(() =>
      catalog.verifications.record({ ...result(stored.id), jobId: randomUUID() }),
    );
    expect(unknownJob.code).toBe('CATALOG_NOT_FOUND');
    expect(catalog.verifications.latest(stored.id)).toBeNull();
  });

  it('keeps the results of backups a rebuild keeps, drops those of backups it removes', () => {
    const kept = catalog.backups.upsert(backup());
    const gone = catalog.backups.upsert(backup());
    catalog.verifications.record(result(kept.id));
    catalog.verifications.record(result(gone.id, { ok: false, damagedComponents: ['identity'] }));
    const replaced = catalog.replaceBackupsForLocation('loc-1', [kept]);
    expect(replaced.removed).toBe(1);
    expect(catalog.verifications.latest(kept.id)?.ok).toBe(true);
    expect(catalog.verifications.latest(gone.id)).toBeNull();
    // Nothing is left that names the removed backup.
    const db = new Database(catalogFile(home), { readonly: true });
    try {
      expect(
        db
          .prepare('SELECT COUNT(*) FROM backup_verifications WHERE backup_id = ?')
          .pluck()
          .get(gone.id),
      ).toBe(0);
    } finally {
      db.close();
    }
  });

  it('keeps a pruned (Deleted) backup’s results', () => {
    const stored = catalog.backups.upsert(backup());
    catalog.verifications.record(result(stored.id));
    catalog.backups.setStatus(stored.id, 'Deleted');
    expect(catalog.verifications.latest(stored.id)?.ok).toBe(true);
  });

  it('reports a hand-edited result as CATALOG_DAMAGED', () => {
    const stored = catalog.backups.upsert(backup());
    const recorded = catalog.verifications.record(result(stored.id));
    const db = new Database(catalogFile(home));
    db.prepare('UPDATE backup_verifications SET damaged_components = ? WHERE seq = ?').run(
      '["identity"]',
      recorded.seq,
    );
    db.close();
    const error = caught(() => catalog.verifications.latest(stored.id));
    expect(error.code).toBe('CATALOG_DAMAGED');
    expect(error.message).toContain(`backup_verifications[${recorded.seq}]`);
  });
});

describe('migration 4 on a catalog of the previous schema', () => {
  it('adds verification results to an existing catalog, keeping its backups and jobs', () => {
    const { home: oldHome, cleanup } = tempHome();
    try {
      const { db, backupId, created } = olderCatalog(oldHome, 3);
      const jobId = randomUUID();
      db.prepare(
        `INSERT INTO jobs (id, kind, state, created) VALUES (?, 'verify', 'running', ?)`,
      ).run(jobId, created);
      expect(
        db
          .prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'backup_verifications'")
          .pluck()
          .get(),
      ).toBe(0);
      db.close();

      const upgraded = openCatalog({ home: oldHome });
      try {
        expect(upgraded.schemaVersion()).toBe(4);
        expect(upgraded.backups.require(backupId).status).toBe('Succeeded');
        expect(upgraded.verifications.latest(backupId)).toBeNull();
        const recorded = upgraded.verifications.record({
          backupId,
          jobId,
          verified: new Date().toISOString(),
          ok: false,
          readData: true,
          damagedComponents: ['keyvault'],
        });
        expect(upgraded.verifications.latest(backupId)).toEqual(recorded);
      } finally {
        upgraded.close();
      }
    } finally {
      cleanup();
    }
  });
});
