/**
 * The rules that decide whether a wizard step may be left, as pure functions: each returns the
 * reason the operator cannot go on yet, or null. The screens show the reason next to a disabled
 * Next button, so nobody has to guess why they are stuck.
 */
import {
  Location as LocationSchema,
  Schedule as ScheduleSchema,
} from '../../../shared/contract/index.js';
import type { Location, LocationTestResult, Schedule } from '../api/types.js';

export const ENABLE_STEPS = [
  'Location',
  'Credentials',
  'Encryption',
  'Schedule and retention',
  'Summary',
] as const;

export const RECOVERY_STEPS = [
  'Location',
  'Backup',
  'Decryption key',
  'Target rack',
  'Restore',
  'Report',
] as const;

/** The first problem zod finds with a location, phrased for the field. */
export function locationProblem(location: Location): string | null {
  if (location.path.trim() === '') return 'Enter the folder or share that will hold the backups.';
  const parsed = LocationSchema.safeParse(location);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'This location is not valid.');
}

/** Whether a location test allows enabling backup there, and if not, why not. */
export function locationTestProblem(test: LocationTestResult | null): string | null {
  if (test === null) return 'Test the location before going on.';
  if (!test.reachable) return 'The location is not reachable.';
  if (!test.writable) return 'Lifeboat cannot write to the location.';
  if (test.insideAnotherRepository) return 'The folder lies inside another repository.';
  return null;
}

/** A folder on this machine needs no credentials; a share or UNC path does. */
export function credentialsProblem(kind: Location['kind'], username: string, hasPassword: boolean) {
  if (kind === 'folder' && username === '' && !hasPassword) return null;
  if (username.trim() === '') return 'Enter the user name for the share.';
  if (!hasPassword) return 'Enter the password for the share.';
  return null;
}

export type EncryptionMode = 'generated' | 'imported' | 'certificate';

export interface EncryptionDraft {
  mode: EncryptionMode;
  /** Set once the operator confirmed a generated key was stored offline. */
  confirmedKeyId: string | null;
  /** Set once a pasted certificate was inspected and understood. */
  certificateThumbprint: string | null;
  /** Whether the import field has text (the text itself stays in the input). */
  hasImportedKey: boolean;
}

export function encryptionProblem(draft: EncryptionDraft): string | null {
  switch (draft.mode) {
    case 'generated':
      return draft.confirmedKeyId === null
        ? 'Generate a key, store it offline, and confirm it.'
        : null;
    case 'imported':
      return draft.hasImportedKey ? null : 'Paste the key you already have.';
    case 'certificate':
      return draft.certificateThumbprint === null
        ? 'Paste the certificate (.cer, PEM) and check it.'
        : null;
  }
}

export function scheduleProblem(schedule: Schedule): string | null {
  const parsed = ScheduleSchema.safeParse(schedule);
  if (parsed.success) return null;
  const field = parsed.error.issues[0]?.path[0];
  return field === 'retentionDays'
    ? 'Keep backups for 2 to 14 days.'
    : 'Back up every 4 to 12 hours.';
}

/** Splits the key into lines of four groups for the printed sheet. */
export function keySheetLines(key: string, groupsPerLine = 4): string[] {
  const groups = key.split('-');
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += groupsPerLine) {
    lines.push(groups.slice(i, i + groupsPerLine).join('-'));
  }
  return lines;
}

/** Whether the rack to back up is settled: the known one, or another confirmed by fingerprint. */
export function rackProblem(rack: {
  mode: 'known' | 'other';
  knownAvailable: boolean;
  probed: boolean;
  confirmed: boolean;
  username: string;
  hasPassword: boolean;
}): string | null {
  if (rack.mode === 'known') {
    return rack.knownAvailable
      ? null
      : 'No rack is configured yet: connect to the rack to back up.';
  }
  if (!rack.probed) return 'Connect to the rack to back up.';
  if (!rack.confirmed) return "Confirm the rack's certificate fingerprint.";
  if (rack.username.trim() === '' || !rack.hasPassword) return 'Enter the rack credentials.';
  return null;
}
