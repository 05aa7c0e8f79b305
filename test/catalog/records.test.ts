/** The configuration, locations, backups, jobs and events accessors, on real SQLite files. */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../../electron/catalog/index.js';
import { backup, caught, enableInput, freshCatalog } from './helpers.js';

let catalog: Catalog;
let done: () => void;
beforeEach(() => ({ catalog, done } = freshCatalog()));
afterEach(() => done());

describe('backup configuration', () => {
  it('is null until enabled, then saved with Azure Stack defaults and audited', () => {
    expect(catalog.config.get()).toBeNull();
    const saved = catalog.config.save(enableInput, { actor: 'operator' });
    expect(saved).toMatchObject({
      ...enableInput,
      frequencyHours: 12,
      retentionDays: 7,
      schedulerEnabled: true,
      rack: null,
    });
    expect(catalog.config.get()).toEqual(saved);
    const [entry] = catalog.audit.list();
    expect(entry).toMatchObject({ actor: 'operator', action: 'config.enable' });
  });

  it('round-trips certificate mode, a rack and a disabled scheduler, auditing what changed', () => {
    catalog.config.save(enableInput, { actor: 'operator' });
    const rack = {
      url: 'https://rack.local:8443',
      fingerprint: 'ab'.repeat(32),
      username: 'cloudadmin',
    };
    const saved = catalog.config.save(
      {
        ...enableInput,
        encryption: { mode: 'certificate', thumbprint: 'A1'.repeat(20) },
        frequencyHours: 4,
        retentionDays: 14,
        schedulerEnabled: false,
        rack,
      },
      { actor: 'cli' },
    );
    expect(catalog.config.get()).toEqual(saved);
    expect(saved.encryption).toEqual({ mode: 'certificate', thumbprint: 'A1'.repeat(20) });
    const last = catalog.audit.list().at(-1);
    expect(last?.action).toBe('config.set');
    expect(last?.details).toEqual({
      changed:
        'encryption.keyEpoch,encryption.mode,encryption.thumbprint,frequencyHours,rack.fingerprint,rack.url,rack.username,retentionDays,schedulerEnabled',
      'encryption.keyEpoch': null,
      'encryption.mode': 'certificate',
      'encryption.thumbprint': 'A1'.repeat(20),
      frequencyHours: 4,
      'rack.fingerprint': 'ab'.repeat(32),
      'rack.url': 'https://rack.local:8443',
      'rack.username': 'cloudadmin',
      retentionDays: 14,
      schedulerEnabled: false,
    });
  });

  it('refuses values outside Azure Stack’s ranges and a credential that is not a vault id', () => {
    for (const bad of [
      { frequencyHours: 3 },
      { frequencyHours: 13 },
      { retentionDays: 1 },
      { retentionDays: 15 },
      { credentialRef: 'hunter2' },
      { encryption: { mode: 'key', keyEpoch: 0 } },
      { rack: { url: 'http://rack.local', fingerprint: 'ab'.repeat(32), username: 'u' } },
    ]) {
      const error = caught(() =>
        catalog.config.save({ ...enableInput, ...bad } as typeof enableInput, { actor: 'x' }),
      );
      expect(error.code).toBe('CATALOG_INVALID_INPUT');
      expect(error.message).not.toContain('hunter2');
    }
    expect(catalog.config.get()).toBeNull();
    expect(catalog.audit.list()).toEqual([]);
  });

  it('keeps older locations listed when the location changes', () => {
    catalog.config.save(enableInput, { actor: 'operator' });
    catalog.config.save(
      {
        ...enableInput,
        locationId: 'loc-2',
        locationPath: '\\\\nas\\backups',
        locationKind: 'unc',
      },
      { actor: 'operator' },
    );
    expect(
      catalog.locations
        .list()
        .map((l) => l.id)
        .sort(),
    ).toEqual(['loc-1', 'loc-2']);
    expect(catalog.locations.require('loc-1')).toMatchObject({
      path: '/mnt/backups',
      repositoryId: 'repo-1',
    });
    expect(caught(() => catalog.locations.require('loc-9')).code).toBe('CATALOG_NOT_FOUND');
  });
});

describe('backups', () => {
  beforeEach(() => catalog.config.save(enableInput, { actor: 'operator' }));

  it('stores, reads, filters, changes status and records a drill', () => {
    const older = catalog.backups.upsert(backup({ created: '2026-11-01T00:00:00.000Z' }));
    const partial = catalog.backups.upsert(
      backup({
        created: '2026-11-02T00:00:00.000Z',
        status: 'PartialSucceeded',
        components: [
          { name: 'keyvault', status: 'Failed', reason: 'rack returned 500 for /v1/keyvault' },
        ],
      }),
    );
    expect(catalog.backups.list().map((b) => b.id)).toEqual([partial.id, older.id]);
    expect(catalog.backups.list({ statuses: ['Succeeded'] }).map((b) => b.id)).toEqual([older.id]);
    expect(catalog.backups.require(partial.id).components[0]?.reason).toMatch(/500/);

    catalog.backups.setStatus(older.id, 'Deleted');
    expect(catalog.backups.require(older.id).status).toBe('Deleted');
    catalog.backups.markProven(partial.id, '2026-11-03T10:00:00.000Z');
    expect(catalog.backups.require(partial.id).provenByDrill).toBe('2026-11-03T10:00:00.000Z');
    expect(caught(() => catalog.backups.require('00000000-0000-0000-0000-000000000000')).code).toBe(
      'CATALOG_NOT_FOUND',
    );
  });

  it('refuses invalid backups and one whose location is not listed', () => {
    expect(caught(() => catalog.backups.upsert(backup({ id: 'not-a-guid' }))).code).toBe(
      'CATALOG_INVALID_INPUT',
    );
    expect(caught(() => catalog.backups.upsert(backup({ status: 'Done' as never }))).code).toBe(
      'CATALOG_INVALID_INPUT',
    );
    expect(caught(() => catalog.backups.upsert(backup({ locationId: 'elsewhere' }))).code).toBe(
      'CATALOG_INVALID_INPUT',
    );
  });

  it('replaceBackupsForLocation rebuilds one location from its repository and leaves others alone', () => {
    catalog.locations.upsert({ id: 'loc-2', path: '/mnt/other', kind: 'folder' });
    const kept = catalog.backups.upsert(backup());
    const gone = catalog.backups.upsert(backup());
    const elsewhere = catalog.backups.upsert(backup({ locationId: 'loc-2' }));
    catalog.backups.markProven(kept.id, '2026-11-03T10:00:00.000Z');
    const fresh = backup();

    const result = catalog.replaceBackupsForLocation('loc-1', [
      { ...kept, provenByDrill: null },
      fresh,
    ]);
    expect(result).toEqual({ added: 1, updated: 1, removed: 1 });
    expect(
      catalog.backups
        .list({ locationId: 'loc-1' })
        .map((b) => b.id)
        .sort(),
    ).toEqual([kept.id, fresh.id].sort());
    expect(catalog.backups.get(gone.id)).toBeNull();
    expect(catalog.backups.get(elsewhere.id)).not.toBeNull();
    expect(catalog.backups.require(kept.id).provenByDrill).toBe('2026-11-03T10:00:00.000Z');

    expect(caught(() => catalog.replaceBackupsForLocation('loc-9', [])).code).toBe(
      'CATALOG_NOT_FOUND',
    );
    const foreign = caught(() =>
      catalog.replaceBackupsForLocation('loc-1', [backup({ locationId: 'loc-2' })]),
    );
    expect(foreign.code).toBe('CATALOG_INVALID_INPUT');
    expect(catalog.backups.list({ locationId: 'loc-1' })).toHaveLength(2);
  });

  it('gives a typed error, not a crash, for a hand-edited row', () => {
    const b = catalog.backups.upsert(backup());
    const raw = new Database(catalog.file);
    raw.prepare("UPDATE backups SET components = '{not json' WHERE id = ?").run(b.id);
    const damaged = caught(() => catalog.backups.list());
    expect(damaged.code).toBe('CATALOG_DAMAGED');
    expect(damaged.message).toContain(b.id);
    raw
      .prepare("UPDATE backups SET components = '[]', created = 'yesterday' WHERE id = ?")
      .run(b.id);
    expect(caught(() => catalog.backups.require(b.id)).code).toBe('CATALOG_DAMAGED');
    raw.prepare("UPDATE backup_config SET location_kind = 'NOT A KIND'").run();
    expect(caught(() => catalog.config.get()).code).toBe('CATALOG_DAMAGED');
    raw.pragma('foreign_keys = OFF');
    raw.exec('DROP TABLE locations');
    raw.close();
    expect(caught(() => catalog.locations.list()).code).toBe('CATALOG_DAMAGED');
  });
});

describe('a catalog another process holds', () => {
  it('waits, then reports CATALOG_BUSY instead of a raw SQLite error', () => {
    const other = new Database(catalog.file);
    other.pragma('busy_timeout = 0');
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const error = caught(() => catalog.audit.append({ actor: 'a', action: 'x.y' }));
      expect(error.code).toBe('CATALOG_BUSY');
      expect(error.category).toBe('busy');
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect(catalog.audit.append({ actor: 'a', action: 'x.y' }).seq).toBe(1);
  });
});

describe('jobs and their events', () => {
  it('runs a job through its states once, with results and error codes', () => {
    const job = catalog.jobs.create({ kind: 'backup' });
    expect(job.state).toBe('queued');
    expect(catalog.jobs.markRunning(job.id).started).not.toBeNull();
    const finished = catalog.jobs.finish(job.id, {
      state: 'failed',
      result: { backupId: 'x', components: 3 },
      errorCode: 'STORAGE_FULL',
    });
    expect(finished).toMatchObject({
      state: 'failed',
      errorCode: 'STORAGE_FULL',
      result: { backupId: 'x', components: 3 },
    });
    expect(caught(() => catalog.jobs.finish(job.id, { state: 'succeeded' })).code).toBe(
      'CATALOG_INVALID_INPUT',
    );
    expect(caught(() => catalog.jobs.markRunning(job.id)).code).toBe('CATALOG_INVALID_INPUT');
    const other = catalog.jobs.create({ kind: 'verify' });
    expect(catalog.jobs.list({ kinds: ['backup'] }).map((j) => j.id)).toEqual([job.id]);
    expect(catalog.jobs.list({ states: ['queued'] }).map((j) => j.id)).toEqual([other.id]);
    expect(caught(() => catalog.jobs.create({ kind: 'restore' as never })).code).toBe(
      'CATALOG_INVALID_INPUT',
    );
  });

  it('appends events that a follower reads after a sequence number, and refuses edits', () => {
    const job = catalog.jobs.create({ kind: 'backup' });
    const first = catalog.jobs.appendEvent(job.id, {
      kind: 'progress',
      message: 'identity',
      data: { bytes: 10 },
    });
    catalog.jobs.appendEvent(job.id, { kind: 'log', level: 'warn', message: 'slow rack' });
    expect(catalog.jobs.events(job.id).map((e) => e.message)).toEqual(['identity', 'slow rack']);
    expect(catalog.jobs.events(job.id, { afterSeq: first.seq })).toMatchObject([
      { level: 'warn', data: null },
    ]);
    expect(
      caught(() =>
        catalog.jobs.appendEvent(job.id, {
          kind: 'progress',
          message: 'x',
          data: Buffer.from('k'),
        }),
      ).code,
    ).toBe('CATALOG_INVALID_INPUT');
    expect(
      caught(() =>
        catalog.jobs.appendEvent('00000000-0000-0000-0000-000000000000', {
          kind: 'log',
          message: 'x',
        }),
      ).code,
    ).toBe('CATALOG_NOT_FOUND');

    const raw = new Database(catalog.file);
    expect(() => raw.prepare("UPDATE job_events SET message = 'edited'").run()).toThrow(
      /append-only/,
    );
    expect(() => raw.prepare('DELETE FROM job_events').run()).toThrow(/append-only/);
    raw.close();
    expect(catalog.jobs.events(job.id)).toHaveLength(2);
  });
});
