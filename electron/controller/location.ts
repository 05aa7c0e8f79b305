/**
 * Validating a location before anything is saved there: reachable, writable (a probe object is
 * written, read back and deleted), its free space, and not inside another repository. An
 * existing Lifeboat repository at the location itself is reported (its backups can be kept).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { asLifeboatError, type ErrorBody } from '../../shared/errors.js';
import { isInsideRepository, listBackupsWithoutKey } from '../repository/index.js';
import type { Storage } from '../storage/index.js';
import { locationSchema, parseOrThrow, type LocationInput } from './config.js';
import { openLocation } from './connections.js';
import type { ControllerContext } from './context.js';
import type { LocationTestResult } from './contract-types.js';
import { shareCredentialsOf, type CredentialsInput } from './storage-credentials.js';

/** A stable id for a location: the same path is the same location. */
export function locationId(location: LocationInput): string {
  const digest = createHash('sha256').update(`${location.kind}\0${location.path}`).digest('hex');
  return `loc-${digest.slice(0, 16)}`;
}

export interface LocationCheck {
  readonly result: LocationTestResult;
  /** The opened storage when the location is usable. */
  readonly storage: Storage | null;
}

/**
 * Checks a location with the credentials it will be used with: those given (a new location or
 * new credentials, not stored yet), else those stored for the configured location.
 */
export async function checkLocation(
  ctx: ControllerContext,
  input: LocationInput,
  credentials?: CredentialsInput | null,
): Promise<LocationCheck> {
  const location = parseOrThrow(locationSchema, input, 'location');
  const problems: ErrorBody[] = [];
  const result = {
    reachable: false,
    writable: false,
    freeBytes: null as number | null,
    totalBytes: null as number | null,
    existingRepository: null as LocationTestResult['existingRepository'],
    insideAnotherRepository: false,
    problems,
  };
  // Checked before anything is created, so a refused folder is not left behind inside the other.
  const outer = location.kind === 'unc' ? undefined : await isInsideRepository(location.path);
  if (outer !== undefined && outer !== resolve(location.path)) {
    result.insideAnotherRepository = true;
    problems.push({
      code: 'REPO_INSIDE_REPOSITORY',
      message: `${location.path} lies inside the repository at ${outer}.`,
      hint: 'Choose a folder that is not inside another backup repository.',
      category: 'refused',
    });
    return { result, storage: null };
  }
  let storage: Storage;
  const given =
    credentials === null || credentials === undefined ? undefined : shareCredentialsOf(credentials);
  try {
    storage = await openLocation(ctx, location.path, {
      create: location.kind === 'folder',
      ...(given === undefined ? {} : { credentials: given }),
    });
    result.reachable = true;
  } catch (error) {
    problems.push(asLifeboatError(error).toBody());
    return { result, storage: null };
  } finally {
    given?.password.fill(0);
  }
  try {
    const probe = await storage.probe();
    result.writable = probe.writable && probe.readBack && probe.deleted;
    result.freeBytes = probe.space?.available ?? null;
    result.totalBytes = probe.space?.total ?? null;
  } catch (error) {
    problems.push(asLifeboatError(error).toBody());
  }
  try {
    result.existingRepository = await describeRepository(storage);
  } catch (error) {
    problems.push(asLifeboatError(error).toBody());
  }
  if (result.writable && result.freeBytes === 0) {
    problems.push({
      code: 'STORAGE_FULL',
      message: `The location ${location.path} has no free space.`,
      hint: 'Free space on it or choose another location.',
      category: 'storage',
    });
  }
  const usable = result.writable && problems.length === 0;
  return { result, storage: usable ? storage : null };
}

/** Only the repository id is read from `config`; the rest of the format is the engine's. */
const repositoryConfig = z.object({
  format: z.literal('lifeboat-repository'),
  id: z.string().min(1),
});

/** The repository already at this location (its id and how many backups it lists), or null. */
export async function describeRepository(
  storage: Storage,
): Promise<{ repositoryId: string; backups: number } | null> {
  if ((await storage.stat('config')) === undefined) return null;
  let raw: unknown;
  try {
    raw = JSON.parse((await storage.get('config')).toString('utf8'));
  } catch {
    return null;
  }
  const parsed = repositoryConfig.safeParse(raw);
  if (!parsed.success) return null;
  const backups = await listBackupsWithoutKey(storage);
  return { repositoryId: parsed.data.id, backups: backups.length };
}
