/**
 * The catalog's public API. Callers: the backup controller, cloud recovery, the `lifeboat`
 * command. Synchronous (better-sqlite3); one `Catalog` per process, closed on exit.
 */
export { openCatalog, catalogFile, Catalog } from './catalog.js';
export type { OpenCatalogOptions } from './catalog.js';
export type { AuditVerification } from './audit.js';
export type { BackupFilter, ReplaceResult } from './backups.js';
export type { JobFilter } from './jobs.js';
export type {
  JournalArtifact,
  JournalComponent,
  RestoreOutcome,
  RestoreRun,
  StartJournalInput,
} from './journal.js';
export { LATEST_SCHEMA } from './migrations.js';
export {
  BACKUP_STATUSES,
  COMPONENT_STATUSES,
  JOB_KINDS,
  JOB_STATES,
  type AuditEntry,
  type AuditInput,
  type Backup,
  type BackupConfig,
  type BackupConfigInput,
  type BackupInput,
  type BackupStatus,
  type ComponentStatus,
  type FinalJobState,
  type Job,
  type JobEvent,
  type JobEventInput,
  type JobKind,
  type JobState,
  type Location,
  type Verification,
  type VerificationInput,
} from './schemas.js';
export { CatalogErrors } from './errors.js';
