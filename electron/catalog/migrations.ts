/**
 * Numbered schema migrations. Each runs once, in order, inside a transaction, and is recorded
 * in `schema_migrations`. Never edit a released migration: add the next number.
 */
import type Database from 'better-sqlite3';
import { CatalogErrors } from './errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const appendOnly = (table: string) => `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
BEGIN SELECT RAISE(ABORT, 'CATALOG_APPEND_ONLY: ${table} is append-only'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
BEGIN SELECT RAISE(ABORT, 'CATALOG_APPEND_ONLY: ${table} is append-only'); END;`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'configuration, locations, backups, jobs and their events',
    sql: `
CREATE TABLE backup_config (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  location_id TEXT NOT NULL,
  location_path TEXT NOT NULL,
  location_kind TEXT NOT NULL,
  credential_ref TEXT,
  repository_id TEXT,
  encryption_mode TEXT NOT NULL CHECK (encryption_mode IN ('key', 'certificate')),
  key_epoch INTEGER,
  certificate_thumbprint TEXT,
  frequency_hours INTEGER NOT NULL DEFAULT 12 CHECK (frequency_hours BETWEEN 4 AND 12),
  retention_days INTEGER NOT NULL DEFAULT 7 CHECK (retention_days BETWEEN 2 AND 14),
  scheduler_enabled INTEGER NOT NULL DEFAULT 1 CHECK (scheduler_enabled IN (0, 1)),
  rack_url TEXT,
  rack_fingerprint TEXT,
  rack_username TEXT,
  updated TEXT NOT NULL
);
CREATE TABLE locations (
  id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  repository_id TEXT,
  added TEXT NOT NULL,
  last_used TEXT NOT NULL
);
CREATE TABLE backups (
  id TEXT PRIMARY KEY,
  location_id TEXT NOT NULL REFERENCES locations (id),
  created TEXT NOT NULL,
  duration_ms INTEGER,
  status TEXT NOT NULL CHECK (status IN
    ('Queued', 'Running', 'Succeeded', 'PartialSucceeded', 'Failed', 'Skipped', 'Deleted')),
  components TEXT NOT NULL,
  logical_bytes INTEGER NOT NULL DEFAULT 0,
  stored_bytes INTEGER NOT NULL DEFAULT 0,
  key_epoch INTEGER,
  certificate_thumbprint TEXT,
  source_stamp_id TEXT,
  source_version TEXT,
  proven_by_drill TEXT
);
CREATE INDEX backups_by_location ON backups (location_id, created);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('backup', 'verify', 'prune', 'recovery', 'drill')),
  state TEXT NOT NULL CHECK (state IN
    ('queued', 'running', 'succeeded', 'partially-succeeded', 'failed', 'cancelled')),
  created TEXT NOT NULL,
  started TEXT,
  finished TEXT,
  result TEXT,
  error_code TEXT
);
CREATE INDEX jobs_by_created ON jobs (created);
CREATE TABLE job_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES jobs (id),
  time TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('progress', 'log')),
  level TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
  message TEXT NOT NULL,
  data TEXT
);
CREATE INDEX job_events_by_job ON job_events (job_id, seq);
${appendOnly('job_events')}`,
  },
  {
    version: 2,
    name: 'hash-chained audit log',
    sql: `
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE
);
${appendOnly('audit_log')}`,
  },
  {
    version: 3,
    name: 'restore journals',
    sql: `
CREATE TABLE restore_runs (
  id TEXT PRIMARY KEY,
  backup_id TEXT NOT NULL,
  target_rack TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT,
  outcome TEXT CHECK (outcome IN ('succeeded', 'failed', 'abandoned'))
);
CREATE TABLE restore_components (
  run_id TEXT NOT NULL REFERENCES restore_runs (id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'uploading', 'committed')),
  import_id TEXT,
  committed_digest TEXT,
  committed_at TEXT,
  PRIMARY KEY (run_id, name),
  UNIQUE (run_id, position)
);
CREATE TABLE restore_artifacts (
  run_id TEXT NOT NULL,
  component TEXT NOT NULL,
  name TEXT NOT NULL,
  total_bytes INTEGER NOT NULL CHECK (total_bytes >= 0),
  bytes_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (bytes_confirmed BETWEEN 0 AND total_bytes),
  PRIMARY KEY (run_id, component, name),
  FOREIGN KEY (run_id, component) REFERENCES restore_components (run_id, name)
);
-- A committed component is final: it is never re-imported, so it is never changed.
CREATE TRIGGER restore_components_committed_is_final BEFORE UPDATE ON restore_components
WHEN OLD.state = 'committed'
BEGIN SELECT RAISE(ABORT, 'CATALOG_JOURNAL_CONFLICT: a committed component is final'); END;
CREATE TRIGGER restore_components_no_delete BEFORE DELETE ON restore_components
BEGIN SELECT RAISE(ABORT, 'CATALOG_JOURNAL_CONFLICT: journal entries are kept'); END;`,
  },
  {
    version: 4,
    name: 'verification results per backup',
    // Local knowledge the repository does not hold: a rebuild keeps the rows of backups it
    // keeps, and a backup it removes takes its results along (the cascade), never leaving a
    // result that names no backup.
    sql: `
CREATE TABLE backup_verifications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  backup_id TEXT NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
  job_id TEXT NOT NULL REFERENCES jobs (id),
  verified TEXT NOT NULL,
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  read_data INTEGER NOT NULL CHECK (read_data IN (0, 1)),
  damaged_components TEXT NOT NULL
);
CREATE INDEX backup_verifications_by_backup ON backup_verifications (backup_id, verified);`,
  },
];

export const LATEST_SCHEMA = MIGRATIONS.length;

export function appliedVersion(db: Database.Database): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`);
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as
    { version: number | null } | undefined;
  return row?.version ?? 0;
}

/**
 * Brings the catalog to `target` (default: the latest). A catalog newer than this build is
 * refused untouched, since an older Lifeboat cannot know what the newer columns mean.
 */
export function migrate(db: Database.Database, file: string, target = LATEST_SCHEMA): number {
  const current = appliedVersion(db);
  if (current > LATEST_SCHEMA) {
    throw CatalogErrors.create(
      'CATALOG_SCHEMA_TOO_NEW',
      `The catalog ${file} has schema version ${current}; this Lifeboat knows up to ${LATEST_SCHEMA}.`,
      { details: { file, schema: current, known: LATEST_SCHEMA } },
    );
  }
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)',
  );
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > target) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    }).immediate();
  }
  return Math.max(current, Math.min(target, LATEST_SCHEMA));
}
