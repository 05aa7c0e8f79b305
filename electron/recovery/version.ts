/**
 * Version compatibility between a backup and the rack it is restored into.
 *
 * The rule operators know from Azure Stack Hub: restore into the same version, or into one at
 * most one minor version newer. Older racks (a downgrade), another major version, or a rack two
 * or more minor versions ahead are refused, naming both versions.
 */
import { RecoveryErrors } from './errors.js';

export interface RackVersion {
  readonly major: number;
  readonly minor: number;
  /** Everything after major.minor (patch, build), compared left to right. */
  readonly rest: readonly number[];
  readonly text: string;
}

const VERSION_PATTERN = /^(\d{1,9})\.(\d{1,9})((?:\.\d{1,9})*)(?:[-+][0-9A-Za-z.-]*)?$/;

export function parseVersion(text: string): RackVersion {
  const match = VERSION_PATTERN.exec(text.trim());
  if (match === null) {
    throw RecoveryErrors.create('RECOVERY_BAD_VERSION', `"${text}" is not a version number.`);
  }
  const rest = (match[3] ?? '')
    .split('.')
    .filter((part) => part !== '')
    .map(Number);
  return { major: Number(match[1]), minor: Number(match[2]), rest, text: text.trim() };
}

function compareParts(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

export type Compatibility =
  | { readonly ok: true; readonly relation: 'same' | 'one-minor-newer' }
  | { readonly ok: false; readonly reason: 'older' | 'other-major' | 'too-new' };

/** Pure rule: may a backup taken on `backup` be restored into a rack running `rack`? */
export function compatibility(backup: RackVersion, rack: RackVersion): Compatibility {
  if (rack.major !== backup.major) return { ok: false, reason: 'other-major' };
  const minorStep = rack.minor - backup.minor;
  if (minorStep < 0) return { ok: false, reason: 'older' };
  if (minorStep === 0) {
    return compareParts(rack.rest, backup.rest) < 0
      ? { ok: false, reason: 'older' }
      : { ok: true, relation: 'same' };
  }
  return minorStep === 1
    ? { ok: true, relation: 'one-minor-newer' }
    : { ok: false, reason: 'too-new' };
}

const REFUSAL_TEXT = {
  older: 'is older than',
  'other-major': 'is another major version than',
  'too-new': 'is more than one minor version newer than',
} as const;

/** Throws RECOVERY_VERSION_INCOMPATIBLE naming both versions unless the pair is compatible. */
export function assertCompatible(backupVersion: string, rackVersion: string): Compatibility {
  const result = compatibility(parseVersion(backupVersion), parseVersion(rackVersion));
  if (!result.ok) {
    throw RecoveryErrors.create(
      'RECOVERY_VERSION_INCOMPATIBLE',
      `The rack runs version ${rackVersion}, which ${REFUSAL_TEXT[result.reason]} the backup's version ${backupVersion}.`,
      { details: { backupVersion, rackVersion, reason: result.reason } },
    );
  }
  return result;
}
