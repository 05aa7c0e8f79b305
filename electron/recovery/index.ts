/**
 * Cloud recovery's public API: what the desktop app's router and `lifeboat recovery` call.
 *
 *     const storage = await openLocation(path);
 *     const backups = await discoverBackups(storage);                 // no key needed
 *     const backup = await openBackup(storage, id, { mode: 'key', key }); // wrong key refused by name
 *     await verifyForRecovery(backup, { signal });                     // full read; damaged → error + alternative
 *     const checks = await preflight(target, { backupVersion, components, heal: false });
 *     const report = await runRecovery({ home, catalog, backup, target, signal, onEvent });
 *     // after a drop: unfinishedRecoveries(home, catalog) → resumeRecovery({ ..., runId, rackPassword })
 *     renderReportHtml(report); renderKitHtml(buildKitFromCatalog(catalog));
 *
 * Long operations take an AbortSignal and report through `onEvent`; nothing here prints.
 */
export {
  discoverBackups,
  openBackup,
  openLocation,
  verifyForRecovery,
  type DecryptionKey,
  type DiscoveredBackup,
  type OpenedBackup,
  type VerifyOutcome,
} from './backup.js';
export {
  NOT_RESTORED,
  RESTORE_ORDER,
  inRestoreOrder,
  isComponentId,
  parseComponentId,
  type ComponentId,
} from './components.js';
export { drill, drillRecovery, type DrillResult } from './drill.js';
export { RecoveryErrors, type RecoveryErrorCode } from './errors.js';
export { renderKitHtml, type KitBackup, type RecoveryKit } from './kit.js';
export { buildKitFromCatalog, keyReference } from './kit-source.js';
export type { RunContext } from './journal.js';
export {
  assertPreflight,
  preflight,
  type PreflightCheck,
  type PreflightCheckName,
  type PreflightOptions,
  type PreflightResult,
  type RackTarget,
} from './preflight.js';
export type { ComponentProgress, RestoreProgress, Throughput } from './progress.js';
export {
  currentOperator,
  resumeRecovery,
  runRecovery,
  unfinishedRecoveries,
  type Operator,
  type RecoveryEvent,
  type RecoveryKind,
  type RecoveryPhase,
  type RestorableBackup,
  type ResumeOptions,
  type RunOptions,
} from './recover.js';
export {
  RecoveryReportSchema,
  parseReport,
  renderReportHtml,
  reportToJson,
  type ComponentResult,
  type RecoveryReport,
} from './report.js';
export { listReports, loadReport, saveReport } from './report-store.js';
export { assertCompatible, compatibility, parseVersion, type Compatibility } from './version.js';
