/**
 * Pre-flight of the target rack, before anything is written to it: reachable, certificate
 * fingerprint as confirmed, credentials valid, in recovery mode, empty, and a version the backup
 * may be restored into. Each check is reported (the wizard shows them all); `assertPreflight`
 * turns the first failure into its typed error for the command line.
 */
import { asLifeboatError, type LifeboatError } from '../../shared/errors.js';
import {
  RackClient,
  RackErrors,
  normalizeFingerprint,
  probeFingerprint,
  type RackInfo,
} from '../rack/index.js';
import type { ComponentId } from './components.js';
import { RecoveryErrors } from './errors.js';
import { assertCompatible } from './version.js';

export interface RackTarget {
  readonly url: string;
  /** The fingerprint the engineer confirmed (read off the rack's console). */
  readonly fingerprint: string;
  readonly username: string;
  readonly password: Buffer;
}

export type PreflightCheckName =
  'reachable' | 'fingerprint' | 'credentials' | 'recovery-mode' | 'empty' | 'version';

export interface PreflightCheck {
  readonly check: PreflightCheckName;
  readonly ok: boolean;
  readonly message: string;
  readonly error: LifeboatError | null;
}

export interface PreflightResult {
  readonly ok: boolean;
  readonly checks: readonly PreflightCheck[];
  readonly rack: RackInfo | null;
  readonly rackVersion: string | null;
  readonly backupVersion: string;
  /** Connected and ready when `ok`; the caller closes it. */
  readonly client: RackClient | null;
}

export interface PreflightOptions {
  readonly backupVersion: string;
  /** The stamp id of the rack the backup was taken from: healing must go back into it. */
  readonly backupStampId?: string | undefined;
  /** The components to restore; all of them for a full recovery. */
  readonly components: readonly ComponentId[];
  /**
   * The components that must hold no data (default: all of `components`). A resumed run
   * leaves out those with an import under way: the rack may have committed one whose answer
   * was lost, which the restore then recognises instead of refusing the rack.
   */
  readonly mustBeEmpty?: readonly ComponentId[] | undefined;
  /** Healing a running rack: its components are switched to recovery mode one by one, so
   * neither the rack's mode nor emptiness is required. */
  readonly heal: boolean;
  readonly signal?: AbortSignal | undefined;
  /** Client retries of dropped transfers (see RackClient). */
  readonly retries?: number | undefined;
}

const ORDER: readonly PreflightCheckName[] = [
  'reachable',
  'fingerprint',
  'credentials',
  'recovery-mode',
  'empty',
  'version',
];

export async function preflight(
  target: RackTarget,
  options: PreflightOptions,
): Promise<PreflightResult> {
  const checks: PreflightCheck[] = [];
  const pass = (check: PreflightCheckName, message: string) =>
    checks.push({ check, ok: true, message, error: null });
  const fail = (check: PreflightCheckName, error: unknown) => {
    const typed = asLifeboatError(error);
    checks.push({ check, ok: false, message: typed.message, error: typed });
  };
  const finish = (rack: RackInfo | null, client: RackClient | null): PreflightResult => {
    const ok = checks.length === ORDER.length && checks.every((entry) => entry.ok);
    if (!ok) client?.close();
    return {
      ok,
      checks: withSkipped(checks),
      rack,
      rackVersion: rack?.version ?? null,
      backupVersion: options.backupVersion,
      client: ok ? client : null,
    };
  };

  let presented: string;
  try {
    presented = await probeFingerprint(target.url, { signal: options.signal });
    pass('reachable', `The rack at ${target.url} answers.`);
  } catch (error) {
    fail('reachable', error);
    return finish(null, null);
  }
  const confirmed = safeFingerprint(target.fingerprint);
  if (confirmed !== presented) {
    fail(
      'fingerprint',
      RackErrors.create(
        'RACK_FINGERPRINT_CHANGED',
        `The rack presents certificate ${presented}, not the confirmed ${target.fingerprint}.`,
      ),
    );
    return finish(null, null);
  }
  pass('fingerprint', `The rack's certificate is the confirmed ${presented}.`);

  let client: RackClient;
  let rack: RackInfo;
  try {
    client = await RackClient.connect({
      url: target.url,
      fingerprint: presented,
      username: target.username,
      password: target.password,
      signal: options.signal,
      retries: options.retries,
    });
    rack = await client.info(options.signal);
    pass('credentials', `Signed in as ${target.username}.`);
  } catch (error) {
    fail('credentials', error);
    return finish(null, null);
  }
  checkMode(rack, options, pass, fail);
  checkEmpty(rack, options, pass, fail);
  try {
    const relation = assertCompatible(options.backupVersion, rack.version);
    pass(
      'version',
      `The rack runs ${rack.version}; the backup was taken on ${options.backupVersion} (${relation.ok ? relation.relation : ''}).`,
    );
  } catch (error) {
    fail('version', error);
  }
  return finish(rack, client);
}

type Pass = (check: PreflightCheckName, message: string) => void;
type Fail = (check: PreflightCheckName, error: unknown) => void;

function checkMode(rack: RackInfo, options: PreflightOptions, pass: Pass, fail: Fail): void {
  if (options.heal) {
    pass(
      'recovery-mode',
      `Healing: ${options.components.join(', ')} will be switched to recovery mode one at a time while the others keep serving.`,
    );
    return;
  }
  const notInRecovery = rack.components
    .filter((entry) => options.components.includes(entry.id) && entry.mode !== 'recovery')
    .map((entry) => entry.id);
  if (rack.mode !== 'recovery' || notInRecovery.length > 0) {
    fail(
      'recovery-mode',
      RecoveryErrors.create(
        'RECOVERY_NOT_IN_RECOVERY_MODE',
        rack.mode !== 'recovery'
          ? `Rack ${rack.stampId} is in ${rack.mode} mode, not recovery mode.`
          : `Components ${notInRecovery.join(', ')} of rack ${rack.stampId} are not in recovery mode.`,
        { details: { stampId: rack.stampId, mode: rack.mode } },
      ),
    );
    return;
  }
  pass('recovery-mode', `Rack ${rack.stampId} is in recovery mode.`);
}

function checkEmpty(rack: RackInfo, options: PreflightOptions, pass: Pass, fail: Fail): void {
  if (options.heal) {
    if (options.backupStampId !== undefined && options.backupStampId !== rack.stampId) {
      fail(
        'empty',
        RecoveryErrors.create(
          'RECOVERY_OTHER_RACK',
          `Rack ${rack.stampId} is running with its own data; the backup is of rack ${options.backupStampId}.`,
          { details: { stampId: rack.stampId, backupStampId: options.backupStampId } },
        ),
      );
      return;
    }
    pass(
      'empty',
      `Healing replaces the data of the chosen components of rack ${rack.stampId} only.`,
    );
    return;
  }
  const mustBeEmpty = options.mustBeEmpty ?? options.components;
  const holding = rack.components
    .filter((entry) => mustBeEmpty.includes(entry.id) && entry.records > 0)
    .map((entry) => `${entry.id} (${entry.records} records)`);
  if (holding.length > 0) {
    fail(
      'empty',
      RecoveryErrors.create(
        'RECOVERY_RACK_NOT_EMPTY',
        `Rack ${rack.stampId} already holds data: ${holding.join(', ')}.`,
      ),
    );
    return;
  }
  pass('empty', `Rack ${rack.stampId} holds no data in the components to restore.`);
}

/** A malformed fingerprint fails the fingerprint check rather than the whole pre-flight. */
function safeFingerprint(input: string): string {
  try {
    return normalizeFingerprint(input);
  } catch {
    return input;
  }
}

/** Checks that could not run because an earlier one failed are listed as not passed. */
function withSkipped(checks: readonly PreflightCheck[]): PreflightCheck[] {
  const done = new Set(checks.map((entry) => entry.check));
  const skipped = ORDER.filter((name) => !done.has(name)).map((check) => ({
    check,
    ok: false,
    message: 'Not checked: an earlier check failed.',
    error: null,
  }));
  return [...checks, ...skipped];
}

/** Throws the first failed check's error. */
export function assertPreflight(result: PreflightResult): RackClient {
  const failed = result.checks.find((entry) => !entry.ok && entry.error !== null);
  if (failed?.error) throw failed.error;
  if (!result.ok || result.client === null) {
    throw RecoveryErrors.create(
      'RECOVERY_NOT_IN_RECOVERY_MODE',
      'The rack did not pass pre-flight.',
    );
  }
  return result.client;
}
