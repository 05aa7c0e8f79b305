import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '../../shared/errors.js';

/** A fresh profile folder per test, removed afterwards. */
export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'lifeboat-vault-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Runs `fn` and returns the LifeboatError it throws (or fails the test). */
export async function caught(fn: () => unknown): Promise<LifeboatError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof LifeboatError) return error;
    throw error;
  }
  throw new Error('expected a LifeboatError, but nothing was thrown');
}

/** Every text form a secret could leak in. */
export function encodings(secret: Buffer): string[] {
  return [
    secret.toString('utf8'),
    secret.toString('hex'),
    secret.toString('base64'),
    secret.toString('base64url'),
  ];
}
