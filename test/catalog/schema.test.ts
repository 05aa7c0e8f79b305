/** Opening, migrating and refusing catalog files, on real SQLite files. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA, catalogFile, openCatalog } from '../../electron/catalog/index.js';
import { MIGRATIONS } from '../../electron/catalog/migrations.js';
import { caught, enableInput, olderCatalog, tempHome } from './helpers.js';

let home: string;
let cleanup: () => void;
beforeEach(() => ({ home, cleanup } = tempHome()));
afterEach(() => cleanup());

describe('catalog schema', () => {
  it('creates a WAL database at the latest schema, with every migration recorded', () => {
    const catalog = openCatalog({ home });
    expect(catalog.file).toBe(join(home, 'catalog.sqlite'));
    expect(catalog.journalMode()).toBe('wal');
    expect(catalog.schemaVersion()).toBe(LATEST_SCHEMA);
    if (process.platform !== 'win32') {
      for (const name of ['catalog.sqlite', 'catalog.sqlite-wal']) {
        expect(statSync(join(home, name)).mode & 0o777).toBe(0o600);
      }
    }
    catalog.close();
    const db = new Database(catalogFile(home), { readonly: true });
    const versions = db
      .prepare('SELECT version FROM schema_migrations ORDER BY version')
      .pluck()
      .all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('migrates an older catalog, keeping its data', () => {
    const old = olderCatalog(home, 1);
    old.db.close();

    const catalog = openCatalog({ home });
    expect(catalog.schemaVersion()).toBe(LATEST_SCHEMA);
    expect(catalog.backups.require(old.backupId).locationId).toBe('loc-1');
    expect(catalog.verifyAudit()).toEqual({ ok: true, entries: 0, headHash: '0'.repeat(64) });
    catalog.close();
  });

  it('refuses a catalog from a newer Lifeboat without changing it', () => {
    openCatalog({ home }).close();
    const file = catalogFile(home);
    const db = new Database(file);
    db.prepare(
      "INSERT INTO schema_migrations (version, name, applied) VALUES (99, 'future', '2030-01-01')",
    ).run();
    db.close();
    const before = readFileSync(file);
    const error = caught(() => openCatalog({ home }));
    expect(error.code).toBe('CATALOG_SCHEMA_TOO_NEW');
    expect(error.message).toMatch(/schema version 99/);
    expect(error.hint).toMatch(/Upgrade Lifeboat/);
    expect(readFileSync(file)).toEqual(before);
  });

  it('refuses a file that is not a SQLite database', () => {
    writeFileSync(catalogFile(home), 'this is not a database'.repeat(100));
    expect(caught(() => openCatalog({ home })).code).toBe('CATALOG_DAMAGED');
  });

  it('has no column that could hold a secret', () => {
    const catalog = openCatalog({ home });
    catalog.config.save(enableInput, { actor: 'test' });
    catalog.close();
    const db = new Database(catalogFile(home), { readonly: true });
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    const columns = tables.flatMap((table) =>
      (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map(
        (c) => `${table}.${c.name}`,
      ),
    );
    db.close();
    expect(columns.length).toBeGreaterThan(40);
    const suspicious = columns.filter((column) => {
      const name = column.split('.')[1] ?? '';
      if (name === 'credential_ref' || name === 'key_epoch') return false; // a vault id; a number
      return /secret|password|passphrase|passwd|token|private|pfx|credential|key|salt|nonce/i.test(
        name,
      );
    });
    expect(suspicious).toEqual([]);
  });
});
