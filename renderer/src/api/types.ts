/**
 * The contract's records as TypeScript types, inferred once from its zod schemas so the screens
 * and stores never restate a shape.
 */
import type { z } from 'zod';
import type * as C from '../../../shared/contract/index.js';

export type AppInfo = z.infer<typeof C.AppInfo>;
export type Health = z.infer<typeof C.Health>;
export type Settings = z.infer<typeof C.Settings>;
export type VaultStatus = z.infer<typeof C.VaultStatus>;
export type Location = z.infer<typeof C.Location>;
export type Schedule = z.infer<typeof C.Schedule>;
export type Alert = z.infer<typeof C.Alert>;
export type LocationTestResult = z.infer<typeof C.LocationTestResult>;
export type RackProbe = z.infer<typeof C.RackProbe>;
export type GeneratedKey = z.infer<typeof C.GeneratedKey>;
export type CertificateInfo = z.infer<typeof C.CertificateInfo>;
export type BackupSummary = z.infer<typeof C.BackupSummary>;
export type BackupDetail = z.infer<typeof C.BackupDetail>;
export type PrunePreview = z.infer<typeof C.PrunePreview>;
export type JobSummary = z.infer<typeof C.JobSummary>;
export type JobProgress = z.infer<typeof C.JobProgress>;
export type JobLogEntry = z.infer<typeof C.JobLogEntry>;
export type JobDetail = z.infer<typeof C.JobDetail>;
export type JobResult = z.infer<typeof C.JobResult>;
export type VerifyResult = z.infer<typeof C.VerifyResult>;
export type Discovery = z.infer<typeof C.Discovery>;
export type DiscoveredBackup = z.infer<typeof C.DiscoveredBackup>;
export type OpenedBackup = z.infer<typeof C.OpenedBackup>;
export type Preflight = z.infer<typeof C.Preflight>;
export type RecoveryEntry = z.infer<typeof C.RecoveryEntry>;
export type RecoveryStarted = z.infer<typeof C.RecoveryStarted>;
export type RecoveryReport = z.infer<typeof C.RecoveryReport>;
export type AuditEntry = z.infer<typeof C.AuditEntry>;
export type AuditVerification = z.infer<typeof C.AuditVerification>;
export type EncryptionChoice = z.input<typeof C.EncryptionChoice>;
export type DecryptionKey = z.input<typeof C.DecryptionKey>;
export type Topic = C.Topic;
export type HostEvent = C.HostEvent;
