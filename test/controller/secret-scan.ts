/**
 * The secret scan of issue 4, as a helper other suites reuse (cloud recovery calls it after a
 * recovery with its own events): searches the profile's catalog file (and its WAL), every log
 * file and every emitted event for each secret, in the encodings a leak would take.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findSecret } from '../../electron/log/index.js';

export interface SecretLeak {
  readonly where: string;
  readonly secretIndex: number;
  readonly encoding: string;
}

export function scanForSecrets(
  home: string,
  events: readonly unknown[],
  secrets: readonly Buffer[],
): SecretLeak[] {
  const places: [string, string][] = [['events', JSON.stringify(events)]];
  for (const file of readdirSync(home).filter((f) => f.startsWith('catalog.sqlite'))) {
    places.push([file, readFileSync(join(home, file)).toString('latin1')]);
  }
  const logs = join(home, 'logs');
  if (existsSync(logs)) {
    for (const file of readdirSync(logs))
      places.push([`logs/${file}`, readFileSync(join(logs, file), 'utf8')]);
  }
  const leaks: SecretLeak[] = [];
  secrets.forEach((secret, secretIndex) => {
    for (const [where, text] of places) {
      const encoding = findSecret(text, secret);
      if (encoding !== null) leaks.push({ where, secretIndex, encoding });
    }
  });
  return leaks;
}
