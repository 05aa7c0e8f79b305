/**
 * The shapes the controller returns and emits, inferred from the IPC contract so the desktop
 * app's router passes them through unchanged and the command prints the same records.
 */
import type { z } from 'zod';
import type * as C from '../../shared/contract/index.js';

export type ComponentName = z.output<typeof C.ComponentName>;
export type ComponentStatus = z.output<typeof C.ComponentStatus>;
export type BackupStatus = z.output<typeof C.BackupStatus>;
export type JobProgress = z.output<typeof C.JobProgress>;
export type JobSummary = z.output<typeof C.JobSummary>;
export type JobKind = z.output<typeof C.JobKind>;
export type JobRef = z.output<typeof C.JobRef>;
export type JobDetail = z.output<typeof C.JobDetail>;
export type HostEvent = z.output<typeof C.HostEvent>;
export type Settings = z.output<typeof C.Settings>;
export type Health = z.output<typeof C.Health>;
export type LocationTestResult = z.output<typeof C.LocationTestResult>;
export type BackupSummary = z.output<typeof C.BackupSummary>;
export type BackupDetail = z.output<typeof C.BackupDetail>;
export type PrunePreview = z.output<typeof C.PrunePreview>;
export type VerifyResult = z.output<typeof C.VerifyResult>;
export type AuditVerification = z.output<typeof C.AuditVerification>;
export type Location = z.output<typeof C.Location>;
export type Schedule = z.output<typeof C.Schedule>;
export type RackProbe = z.output<typeof C.RackProbe>;
