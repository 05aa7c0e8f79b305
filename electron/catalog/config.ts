/**
 * The backup configuration (one row) and the storage locations it has used. Saving the
 * configuration also lists its location and appends an audit entry, in one transaction.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { AuditLog } from './audit.js';
import {
  backupConfig,
  backupConfigInput,
  iso,
  locationSchema,
  type BackupConfig,
  type BackupConfigInput,
  type Location,
} from './schemas.js';
import { notFound, parseInput, parseRow, storedBoolean } from './validate.js';

interface ConfigRow {
  location_id: string;
  location_path: string;
  location_kind: string;
  credential_ref: string | null;
  repository_id: string | null;
  encryption_mode: string;
  key_epoch: number | null;
  certificate_thumbprint: string | null;
  frequency_hours: number;
  retention_days: number;
  scheduler_enabled: number;
  rack_url: string | null;
  rack_fingerprint: string | null;
  rack_username: string | null;
  updated: string;
}

export class ConfigStore {
  constructor(
    private readonly db: Database.Database,
    private readonly audit: AuditLog,
    private readonly locations: LocationStore,
  ) {}

  /** The configuration, or null before backup was first enabled. */
  get(): BackupConfig | null {
    const row = this.db.prepare('SELECT * FROM backup_config WHERE id = 1').get() as
      ConfigRow | undefined;
    return row === undefined ? null : parseRow(backupConfig, fromRow(row), 'backup_config', '1');
  }

  /**
   * Replaces the configuration, lists its location, and audits which fields changed (values
   * included: the configuration holds no secrets, only the vault id of the credentials).
   */
  save(input: BackupConfigInput, audit: { actor: string }): BackupConfig {
    const value = parseInput(backupConfigInput, input, 'backup configuration');
    return this.db
      .transaction(() => {
        const before = this.get();
        const config: BackupConfig = { ...value, updated: new Date().toISOString() };
        this.db
          .prepare(
            `INSERT INTO backup_config (id, location_id, location_path, location_kind, credential_ref,
               repository_id, encryption_mode, key_epoch, certificate_thumbprint, frequency_hours,
               retention_days, scheduler_enabled, rack_url, rack_fingerprint, rack_username, updated)
             VALUES (1, @location_id, @location_path, @location_kind, @credential_ref, @repository_id,
               @encryption_mode, @key_epoch, @certificate_thumbprint, @frequency_hours, @retention_days,
               @scheduler_enabled, @rack_url, @rack_fingerprint, @rack_username, @updated)
             ON CONFLICT (id) DO UPDATE SET location_id = excluded.location_id,
               location_path = excluded.location_path, location_kind = excluded.location_kind,
               credential_ref = excluded.credential_ref, repository_id = excluded.repository_id,
               encryption_mode = excluded.encryption_mode, key_epoch = excluded.key_epoch,
               certificate_thumbprint = excluded.certificate_thumbprint,
               frequency_hours = excluded.frequency_hours, retention_days = excluded.retention_days,
               scheduler_enabled = excluded.scheduler_enabled, rack_url = excluded.rack_url,
               rack_fingerprint = excluded.rack_fingerprint, rack_username = excluded.rack_username,
               updated = excluded.updated`,
          )
          .run(toRow(config));
        this.locations.upsert({
          id: config.locationId,
          path: config.locationPath,
          kind: config.locationKind,
          repositoryId: config.repositoryId,
        });
        this.audit.append({
          actor: audit.actor,
          action: before === null ? 'config.enable' : 'config.set',
          details: changes(before, config),
        });
        return config;
      })
      .immediate();
  }
}

function fromRow(row: ConfigRow): unknown {
  return {
    locationId: row.location_id,
    locationPath: row.location_path,
    locationKind: row.location_kind,
    credentialRef: row.credential_ref,
    repositoryId: row.repository_id,
    encryption:
      row.encryption_mode === 'key'
        ? { mode: 'key', keyEpoch: row.key_epoch }
        : { mode: row.encryption_mode, thumbprint: row.certificate_thumbprint },
    frequencyHours: row.frequency_hours,
    retentionDays: row.retention_days,
    schedulerEnabled: storedBoolean(row.scheduler_enabled),
    rack:
      row.rack_url === null && row.rack_fingerprint === null && row.rack_username === null
        ? null
        : { url: row.rack_url, fingerprint: row.rack_fingerprint, username: row.rack_username },
    updated: row.updated,
  };
}

function toRow(config: BackupConfig): ConfigRow {
  return {
    location_id: config.locationId,
    location_path: config.locationPath,
    location_kind: config.locationKind,
    credential_ref: config.credentialRef,
    repository_id: config.repositoryId,
    encryption_mode: config.encryption.mode,
    key_epoch: config.encryption.mode === 'key' ? config.encryption.keyEpoch : null,
    certificate_thumbprint:
      config.encryption.mode === 'certificate' ? config.encryption.thumbprint : null,
    frequency_hours: config.frequencyHours,
    retention_days: config.retentionDays,
    scheduler_enabled: config.schedulerEnabled ? 1 : 0,
    rack_url: config.rack?.url ?? null,
    rack_fingerprint: config.rack?.fingerprint ?? null,
    rack_username: config.rack?.username ?? null,
    updated: config.updated,
  };
}

type Primitive = string | number | boolean | null;

/**
 * The configuration as flat `field: value` pairs (nested fields dotted, e.g. `rack.url`), so
 * an audit entry's details stay a simple record that any viewer can show. Unset (null) fields
 * are left out, so a field set or cleared shows up as one change.
 */
function flatten(config: BackupConfig | null): Record<string, Primitive> {
  const flat: Record<string, Primitive> = {};
  if (config === null) return flat;
  const { updated: _updated, ...fields } = config;
  for (const [key, value] of Object.entries(fields)) {
    if (value === null) continue;
    if (typeof value === 'object') {
      for (const [inner, v] of Object.entries(value)) flat[`${key}.${inner}`] = v as Primitive;
    } else flat[key] = value as Primitive;
  }
  return flat;
}

/** The fields that differ, with their new values (a field that disappeared becomes null). */
function changes(before: BackupConfig | null, after: BackupConfig): Record<string, Primitive> {
  const a = flatten(before);
  const b = flatten(after);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const changed = keys.filter((key) => a[key] !== b[key]);
  const details: Record<string, Primitive> = { changed: changed.join(',') };
  for (const key of changed) details[key] = b[key] ?? null;
  return details;
}

const locationRow = z.object({
  id: z.string(),
  path: z.string(),
  kind: z.string(),
  repository_id: z.string().nullable(),
  added: iso,
  last_used: iso,
});

/** Every location backups were written to; older ones stay listed with their backups. */
export class LocationStore {
  constructor(private readonly db: Database.Database) {}

  upsert(input: {
    id: string;
    path: string;
    kind: string;
    repositoryId?: string | null;
  }): Location {
    const now = new Date().toISOString();
    const value = parseInput(
      locationSchema,
      { ...input, repositoryId: input.repositoryId ?? null, added: now, lastUsed: now },
      'location',
    );
    this.db
      .prepare(
        `INSERT INTO locations (id, path, kind, repository_id, added, last_used)
         VALUES (@id, @path, @kind, @repositoryId, @added, @lastUsed)
         ON CONFLICT (id) DO UPDATE SET path = excluded.path, kind = excluded.kind,
           repository_id = COALESCE(excluded.repository_id, locations.repository_id),
           last_used = excluded.last_used`,
      )
      .run(value);
    return this.require(value.id);
  }

  get(id: string): Location | null {
    const row = this.db.prepare('SELECT * FROM locations WHERE id = ?').get(id);
    return row === undefined ? null : toLocation(row, id);
  }

  require(id: string): Location {
    const location = this.get(id);
    if (location === null) throw notFound('location', id);
    return location;
  }

  /** Most recently used first. */
  list(): Location[] {
    const rows = this.db.prepare('SELECT * FROM locations ORDER BY last_used DESC, id').all();
    return rows.map((row) => toLocation(row, String((row as { id?: unknown }).id)));
  }
}

function toLocation(raw: unknown, key: string): Location {
  const row = parseRow(locationRow, raw, 'locations', key);
  return parseRow(
    locationSchema,
    {
      id: row.id,
      path: row.path,
      kind: row.kind,
      repositoryId: row.repository_id,
      added: row.added,
      lastUsed: row.last_used,
    },
    'locations',
    key,
  );
}
