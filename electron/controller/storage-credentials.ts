/**
 * The storage location's credentials in the vault: one record per location, `username NUL
 * password`, so the username shown in settings needs no second record. Only this module knows
 * the record's layout; every buffer it hands out is the caller's to wipe.
 */
import type { ShareCredentials } from '../storage/index.js';
import { secretIds } from '../vault/index.js';
import type { ControllerContext } from './context.js';

export interface CredentialsInput {
  readonly username: string;
  readonly password: Uint8Array;
}

export function storeCredentials(
  ctx: ControllerContext,
  locationId: string,
  credentials: CredentialsInput,
): void {
  const password = Buffer.from(credentials.password);
  ctx.logger.guard(password);
  const secret = Buffer.concat([
    Buffer.from(credentials.username, 'utf8'),
    Buffer.from([0]),
    password,
  ]);
  password.fill(0);
  ctx.vault.put(secretIds.storageCredentials(locationId), secret, {
    label: `Storage credentials (${credentials.username})`,
  });
  secret.fill(0);
}

/** The credentials of a vault record, or undefined when there is none. The caller wipes them. */
export function readCredentials(
  ctx: ControllerContext,
  credentialRef: string | null,
): ShareCredentials | undefined {
  if (credentialRef === null || !ctx.vault.has(credentialRef)) return undefined;
  const secret = ctx.vault.get(credentialRef);
  const end = Math.max(secret.indexOf(0), 0);
  const credentials = {
    username: secret.subarray(0, end).toString('utf8'),
    password: Buffer.from(secret.subarray(end + 1)),
  };
  ctx.logger.guard(credentials.password);
  secret.fill(0);
  return credentials;
}

/** The username of the stored credentials, for settings (the password is never returned). */
export function storedUsername(
  ctx: ControllerContext,
  credentialRef: string | null,
): string | null {
  const credentials = readCredentials(ctx, credentialRef);
  credentials?.password.fill(0);
  return credentials?.username ?? null;
}

/** Input credentials in the form the share connector takes (a copy the caller wipes). */
export function shareCredentialsOf(input: CredentialsInput): ShareCredentials {
  return { username: input.username, password: Buffer.from(input.password) };
}
