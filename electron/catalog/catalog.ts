/**
 * The local catalog: `<home>/catalog.sqlite`, a better-sqlite3 database in WAL mode holding the
 * backup configuration (no secrets), locations, backups with their verification results, jobs
 * and their events, restore journals and the audit log. It is a cache: the repository on the
 * storage is the truth, and `replaceBackupsForLocation` rebuilds the backup list from it.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog, type AuditVerification } from './audit.js';
import { BackupStore, type ReplaceResult } from './backups.js';
import { ConfigStore, LocationStore } from './config.js';
import { CatalogErrors } from './errors.js';
import { JobStore } from './jobs.js';
import { RestoreJournals } from './journal.js';
import { appliedVersion, migrate } from './migrations.js';
import type { BackupInput } from './schemas.js';
import { sqliteError } from './validate.js';
import { VerificationStore } from './verifications.js';

export type OpenCatalogOptions = { home: string } | { file: string };

export function catalogFile(home: string): string {
  return join(home, 'catalog.sqlite');
}

/** Opens (creating and migrating as needed) the catalog of a profile folder. */
export function openCatalog(options: OpenCatalogOptions): Catalog {
  const file = 'file' in options ? options.file : catalogFile(options.home);
  let db: Database.Database;
  try {
    mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
  } catch (error) {
    throw CatalogErrors.create('CATALOG_OPEN_FAILED', `The catalog ${file} cannot be opened.`, {
      cause: error,
    });
  }
  try {
    // Configuration and audit history are the operator's business alone (no secrets, but
    // paths, user names and rack addresses); the -wal and -shm files inherit this mode.
    if (process.platform !== 'win32') chmodSync(file, 0o600);
    db.pragma('busy_timeout = 5000');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      throw CatalogErrors.create(
        'CATALOG_OPEN_FAILED',
        `The catalog ${file} cannot use WAL mode (got ${String(mode)}).`,
        {
          hint: 'Keep the profile folder on a local disk; network file systems cannot hold a WAL database.',
        },
      );
    }
    db.pragma('foreign_keys = ON');
    // WAL + NORMAL survives an application crash; a power cut can lose the last transactions,
    // which the repository (the truth) restores on the next rebuild.
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
  } catch (error) {
    db.close();
    throw CatalogErrors.is(error) ? error : sqliteError(error, file);
  }
  return new Catalog(db, file);
}

export class Catalog {
  readonly config: ConfigStore;
  readonly locations: LocationStore;
  readonly backups: BackupStore;
  readonly verifications: VerificationStore;
  readonly jobs: JobStore;
  readonly journals: RestoreJournals;
  readonly audit: AuditLog;

  constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {
    this.audit = guarded(new AuditLog(db), file);
    this.locations = guarded(new LocationStore(db), file);
    this.config = guarded(new ConfigStore(db, this.audit, this.locations), file);
    this.backups = guarded(new BackupStore(db), file);
    this.verifications = guarded(new VerificationStore(db), file);
    this.jobs = guarded(new JobStore(db), file);
    this.journals = guarded(new RestoreJournals(db), file);
  }

  /** Rebuilds one location's backup list from its repository (see BackupStore.replaceForLocation). */
  replaceBackupsForLocation(locationId: string, backups: readonly BackupInput[]): ReplaceResult {
    return this.backups.replaceForLocation(locationId, backups);
  }

  /** Walks the audit chain; reports the first broken link. */
  verifyAudit(): AuditVerification {
    return this.audit.verify();
  }

  /** Runs `fn` in one write transaction, so a controller's change and its audit entry land together. */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      throw CatalogErrors.is(error) ? error : sqliteError(error, this.file);
    }
  }

  schemaVersion(): number {
    return appliedVersion(this.db);
  }

  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Wraps a store so SQLite's own failures (busy, constraint, trigger) surface as typed
 * CATALOG_ errors; errors that are already typed pass through unchanged.
 */
function guarded<T extends object>(store: T, file: string): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          throw CatalogErrors.is(error) || !(error instanceof Error)
            ? error
            : sqliteError(error, file);
        }
      };
    },
  });
}
