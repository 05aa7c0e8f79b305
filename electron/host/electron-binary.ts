/**
 * Finds the Electron binary the way the `electron` package would, without its side effect:
 * `require('electron')` downloads the binary when it is missing, which must never happen on an
 * air-gapped machine. `ELECTRON_OVERRIDE_DIST_PATH` (a vetted Electron folder) is honoured.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ElectronBinary = { found: true; path: string } | { found: false; reason: string };

export function findElectronBinary(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): ElectronBinary {
  const packageDir = join(root, 'node_modules', 'electron');
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (override !== undefined && override !== '') {
    const path = join(
      override,
      executable ?? (process.platform === 'win32' ? 'electron.exe' : 'electron'),
    );
    return existsSync(path)
      ? { found: true, path }
      : { found: false, reason: `ELECTRON_OVERRIDE_DIST_PATH has no Electron binary (${path})` };
  }
  if (!existsSync(packageDir)) {
    return { found: false, reason: 'the electron package is not installed' };
  }
  if (executable === null || executable === '') {
    return {
      found: false,
      reason: "Electron's binary was never downloaded (node_modules/electron/path.txt is missing)",
    };
  }
  const path = join(packageDir, 'dist', executable);
  return existsSync(path)
    ? { found: true, path }
    : { found: false, reason: `Electron's binary is missing (${path})` };
}
