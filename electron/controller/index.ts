/**
 * The backup controller's public API (issue 4). Callers: the desktop app's router
 * (electron/host/), the `lifeboat` command (electron/cli/), tests and the benchmark.
 *
 *     const controller = await BackupController.open({ home, vault?, isLabRack? });
 *     controller.on((event) => …);                        // HostEvent: job.started/progress/log/finished, changed
 *     await controller.testLocation({ kind: 'folder', path });
 *     const key = controller.generateKey();               // shown ONCE
 *     controller.confirmGeneratedKey(key.pendingKeyId, groupRetyped);
 *     await controller.enable({ location, credentials, encryption: { mode: 'generated', pendingKeyId }, rack, schedule });
 *     const { jobId, done } = controller.startBackup();   // BACKUP_JOB_RUNNING if one runs (any process)
 *     const result = await done;                          // Succeeded | PartialSucceeded | Failed
 *     controller.listBackups(); await controller.getBackup(id); await controller.verifyBackup(id, { readData });
 *     controller.previewPrune(); await controller.prune({ confirmBackupIds });
 *     controller.changeSchedule(schedule, confirmDeletes); // CONFIG_CONFIRMATION_REQUIRED lists deletions
 *     await controller.changeLocation(…); await controller.changeCredentials(…); await controller.changeKey(…);
 *     await controller.health(); controller.verifyAudit(); await controller.rebuildCatalog();
 *     controller.startScheduler(); await controller.close();
 */
export {
  BackupController,
  type BackupControllerOptions,
  type RunningBackup,
} from './controller.js';
export type { ControllerOptions, Listener } from './context.js';
export type { CredentialsInput, EnableInput, EncryptionInput, RackInput } from './enable.js';
export type { BackupRunResult, RunBackupOptions } from './run-backup.js';
export type { ComponentOutcome } from './backup-job.js';
export type { PruneOutcome } from './maintenance.js';
export type { ScheduleInput } from './settings.js';
export type { CertificateInfo, GeneratedKey } from './keys.js';
export { operatorKeyId, formatKey, parseOperatorKey } from './keys.js';
// The lock itself lives in electron/job-lock/ (recoveries take it too); `lifeboat backup`
// reads the running job through the controller's API.
export { currentJob, type JobLockHolder } from '../job-lock/index.js';
export {
  FREQUENCY_HOURS,
  RETENTION_DAYS,
  settingFromText,
  type LocationInput,
  type SettingsPatch,
} from './config.js';
export { planRetention, type RetentionPlan, type RetentionCandidate } from './retention.js';
export { computeHealth, type Health as HealthReport, type HealthAlert } from './health.js';
export { decide, nextRunAt, Scheduler, type ScheduleState } from './scheduler.js';
export { BackupErrors, ConfigErrors } from './errors.js';
export type * from './contract-types.js';
