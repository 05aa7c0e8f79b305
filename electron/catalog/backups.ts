/**
 * The backups the catalog knows of, per location. A cache of the repository: the controller
 * rebuilds a location's list from the repository with `replaceForLocation` at any time.
 */
import type Database from 'better-sqlite3';
import { CatalogErrors } from './errors.js';
import {
  BACKUP_STATUSES,
  backupSchema,
  iso,
  type Backup,
  type BackupInput,
  type BackupStatus,
} from './schemas.js';
import { encodeJson, notFound, parseInput, parseRow, parseStoredJson } from './validate.js';

interface BackupRow {
  id: string;
  location_id: string;
  created: string;
  duration_ms: number | null;
  status: string;
  components: string;
  logical_bytes: number;
  stored_bytes: number;
  key_epoch: number | null;
  certificate_thumbprint: string | null;
  source_stamp_id: string | null;
  source_version: string | null;
  proven_by_drill: string | null;
}

export interface BackupFilter {
  locationId?: string;
  statuses?: readonly BackupStatus[];
  limit?: number;
}

export interface ReplaceResult {
  added: number;
  updated: number;
  removed: number;
}

export class BackupStore {
  constructor(private readonly db: Database.Database) {}

  /** Inserts or replaces one backup; its location must be listed first. */
  upsert(input: BackupInput): Backup {
    const backup = parseInput(backupSchema, input, 'backup');
    this.write(backup);
    return this.require(backup.id);
  }

  private write(backup: Backup): void {
    this.db
      .prepare(
        `INSERT INTO backups (id, location_id, created, duration_ms, status, components,
           logical_bytes, stored_bytes, key_epoch, certificate_thumbprint, source_stamp_id,
           source_version, proven_by_drill)
         VALUES (@id, @location_id, @created, @duration_ms, @status, @components, @logical_bytes,
           @stored_bytes, @key_epoch, @certificate_thumbprint, @source_stamp_id, @source_version,
           @proven_by_drill)
         ON CONFLICT (id) DO UPDATE SET location_id = excluded.location_id,
           created = excluded.created, duration_ms = excluded.duration_ms, status = excluded.status,
           components = excluded.components, logical_bytes = excluded.logical_bytes,
           stored_bytes = excluded.stored_bytes, key_epoch = excluded.key_epoch,
           certificate_thumbprint = excluded.certificate_thumbprint,
           source_stamp_id = excluded.source_stamp_id, source_version = excluded.source_version,
           proven_by_drill = COALESCE(excluded.proven_by_drill, backups.proven_by_drill)`,
      )
      .run(toRow(backup));
  }

  get(id: string): Backup | null {
    const row = this.db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as
      BackupRow | undefined;
    return row === undefined ? null : fromRow(row);
  }

  /** Like `get`, but a missing backup is a CATALOG_NOT_FOUND error naming the id. */
  require(id: string): Backup {
    const backup = this.get(id);
    if (backup === null) throw notFound('backup', id);
    return backup;
  }

  /** Newest first. */
  list(filter: BackupFilter = {}): Backup[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.locationId !== undefined) {
      where.push('location_id = ?');
      params.push(filter.locationId);
    }
    if (filter.statuses !== undefined) {
      const statuses = filter.statuses.filter((s) =>
        (BACKUP_STATUSES as readonly string[]).includes(s),
      );
      where.push(`status IN (${statuses.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...statuses);
    }
    const sql = `SELECT * FROM backups ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created DESC, id LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, filter.limit ?? -1) as BackupRow[];
    return rows.map(fromRow);
  }

  setStatus(id: string, status: BackupStatus): Backup {
    return this.patch(id, { status });
  }

  /** Records the date a recovery drill proved this backup restorable. */
  markProven(id: string, when: string): Backup {
    return this.patch(id, { provenByDrill: parseInput(iso, when, 'drill date') });
  }

  /**
   * Makes the catalog's list for one location equal to `backups` (read from its repository):
   * adds and updates them, removes the ones the repository no longer has. A drill date the
   * repository does not carry is kept. One transaction: readers never see half a rebuild.
   */
  replaceForLocation(locationId: string, backups: readonly BackupInput[]): ReplaceResult {
    const parsed = backups.map((b, i) => parseInput(backupSchema, b, `backup ${i + 1}`));
    const foreign = parsed.find((b) => b.locationId !== locationId);
    if (foreign !== undefined) {
      throw CatalogErrors.create(
        'CATALOG_INVALID_INPUT',
        `Backup ${foreign.id} belongs to location "${foreign.locationId}", not "${locationId}".`,
      );
    }
    return this.db
      .transaction((): ReplaceResult => {
        if (this.db.prepare('SELECT 1 FROM locations WHERE id = ?').get(locationId) === undefined) {
          throw notFound('location', locationId);
        }
        const existing = new Set(
          (
            this.db
              .prepare('SELECT id FROM backups WHERE location_id = ?')
              .all(locationId) as Array<{ id: string }>
          ).map((r) => r.id),
        );
        const keep = new Set(parsed.map((b) => b.id));
        const remove = this.db.prepare('DELETE FROM backups WHERE id = ?');
        let removed = 0;
        for (const id of existing) if (!keep.has(id)) removed += remove.run(id).changes;
        for (const backup of parsed) this.write(backup);
        const added = parsed.filter((b) => !existing.has(b.id)).length;
        return { added, updated: parsed.length - added, removed };
      })
      .immediate();
  }

  private patch(id: string, change: Partial<Backup>): Backup {
    return this.db
      .transaction(() => {
        const current = this.require(id);
        const next = { ...current, ...change };
        return this.upsert(next);
      })
      .immediate();
  }
}

function toRow(backup: Backup): BackupRow {
  return {
    id: backup.id,
    location_id: backup.locationId,
    created: backup.created,
    duration_ms: backup.durationMs,
    status: backup.status,
    components: encodeJson(backup.components, 'backup components'),
    logical_bytes: backup.logicalBytes,
    stored_bytes: backup.storedBytes,
    key_epoch: backup.keyEpoch,
    certificate_thumbprint: backup.certificateThumbprint,
    source_stamp_id: backup.sourceStampId,
    source_version: backup.sourceVersion,
    proven_by_drill: backup.provenByDrill,
  };
}

function fromRow(row: BackupRow): Backup {
  const key = String(row.id);
  return parseRow(
    backupSchema,
    {
      id: row.id,
      locationId: row.location_id,
      created: row.created,
      durationMs: row.duration_ms,
      status: row.status,
      components: parseStoredJson(row.components, 'backups', key),
      logicalBytes: row.logical_bytes,
      storedBytes: row.stored_bytes,
      keyEpoch: row.key_epoch,
      certificateThumbprint: row.certificate_thumbprint,
      sourceStampId: row.source_stamp_id,
      sourceVersion: row.source_version,
      provenByDrill: row.proven_by_drill,
    },
    'backups',
    key,
  );
}
