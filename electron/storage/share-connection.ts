/**
 * Connecting to a Windows UNC share with the credentials the operator gave, before the
 * filesystem backend touches it (as `net use \\server\share` would, without a drive letter).
 *
 * On Windows the connection is made with WNetAddConnection2 through PowerShell. The script is a
 * constant (given as -EncodedCommand, so no quoting can inject into it); the share, the user name
 * and the password reach it base64-encoded on standard input, never in argv or the environment,
 * which other processes can read. The connection belongs to the user's logon session, like one
 * made in Explorer, and is left in place.
 *
 * Elsewhere a UNC path is not a path at all: the share must be mounted (`mount -t cifs`, Finder)
 * and chosen as a mounted share; connecting refuses with STORAGE_UNC_UNSUPPORTED.
 */
import { spawn } from 'node:child_process';
import { isUncPath, uncShareRoot } from '../../shared/paths.js';
import { StorageErrors } from './errors.js';
import { openFileStorage } from './file-storage.js';
import type { Storage } from './storage.js';

/** Credentials for one share. The caller owns `password` and wipes it after use. */
export interface ShareCredentials {
  readonly username: string;
  readonly password: Buffer;
}

export interface ShareConnector {
  /**
   * Makes the share holding `uncPath` reachable for this user session with `credentials`;
   * without credentials, checks only that this machine can open UNC paths at all (Windows
   * then uses the signed-in user's own access).
   */
  connect(uncPath: string, credentials: ShareCredentials | undefined): Promise<void>;
}

export { isUncPath };

/** `\\server\share` of `\\server\share\folder\…`: connections are made per share. */
export function shareRoot(uncPath: string): string {
  const root = uncShareRoot(uncPath);
  if (root === undefined) throw new RangeError('not a UNC path');
  return root;
}

const RESULT_MARK = 'LIFEBOAT-WNET';

/**
 * Reads three base64 lines (share, user, password) from standard input, connects, and prints
 * `LIFEBOAT-WNET <Win32 error code>` (0 is success).
 */
export const CONNECT_SCRIPT = [
  "$ErrorActionPreference = 'Stop'",
  'function Read-Line { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([Console]::In.ReadLine())) }',
  '$remote = Read-Line',
  '$user = Read-Line',
  '$password = Read-Line',
  'Add-Type -TypeDefinition \'using System.Runtime.InteropServices; public static class LifeboatWNet { [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)] public class Resource { public int Scope; public int Type; public int DisplayType; public int Usage; public string LocalName; public string RemoteName; public string Comment; public string Provider; } [DllImport("mpr.dll", CharSet = CharSet.Unicode)] public static extern int WNetAddConnection2W(Resource resource, string password, string user, int flags); }\'',
  '$resource = New-Object LifeboatWNet+Resource',
  '$resource.Type = 1',
  '$resource.RemoteName = $remote',
  '$code = [LifeboatWNet]::WNetAddConnection2W($resource, $password, $user, 0)',
  `[Console]::Out.WriteLine('${RESULT_MARK} ' + $code)`,
].join('\n');

/** What goes on the script's standard input. The caller wipes the returned buffer. */
export function connectInput(root: string, credentials: ShareCredentials): Buffer {
  return Buffer.concat([
    Buffer.from(`${Buffer.from(root, 'utf8').toString('base64')}\n`),
    Buffer.from(`${Buffer.from(credentials.username, 'utf8').toString('base64')}\n`),
    Buffer.from(`${credentials.password.toString('base64')}\n`),
  ]);
}

/** The Win32 code the script printed, or undefined when its output is not the expected line. */
export function parseConnectResult(stdout: string): number | undefined {
  const match = new RegExp(`^${RESULT_MARK} (-?\\d{1,10})\\s*$`, 'm').exec(stdout);
  return match === null ? undefined : Number(match[1]);
}

const SUCCESS = new Set([
  0, 85 /* ERROR_ALREADY_ASSIGNED */, 1202 /* ERROR_DEVICE_ALREADY_REMEMBERED */,
]);
const DENIED = new Set([5, 86, 1326, 1327, 1330, 1331, 1909, 2202]);
const UNREACHABLE = new Set([53, 64, 67, 1203, 1222, 1231, 1311]);
const CONFLICT = 1219; // ERROR_SESSION_CREDENTIAL_CONFLICT

/** Throws the typed error an operator can act on for a failed WNetAddConnection2 code. */
export function throwForConnectCode(code: number, root: string, username: string): void {
  if (SUCCESS.has(code)) return;
  const details = { location: root, win32: code };
  if (code === CONFLICT) {
    throw StorageErrors.create(
      'STORAGE_CREDENTIAL_CONFLICT',
      `Windows already holds a connection to ${root} under another user name than ${username}.`,
      { details },
    );
  }
  if (DENIED.has(code)) {
    throw StorageErrors.create(
      'STORAGE_ACCESS_DENIED',
      `${root} refused the credentials of ${username} (Windows error ${code}).`,
      { details },
    );
  }
  if (UNREACHABLE.has(code)) {
    throw StorageErrors.create(
      'STORAGE_UNREACHABLE',
      `${root} cannot be reached (Windows error ${code}).`,
      { details },
    );
  }
  throw StorageErrors.create(
    'STORAGE_IO',
    `Connecting to ${root} failed (Windows error ${code}).`,
    {
      details,
    },
  );
}

/** How the connector starts PowerShell; tests point it at a stand-in program. */
export interface ShellCommand {
  readonly command: string;
  readonly args: readonly string[];
}

const POWERSHELL: ShellCommand = {
  command: 'powershell.exe',
  args: [
    '-NoLogo',
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-EncodedCommand',
    Buffer.from(CONNECT_SCRIPT, 'utf16le').toString('base64'),
  ],
};
const CONNECT_TIMEOUT_MS = 60_000;

/** Runs `shell` with `input` on standard input; resolves with its standard output. */
function runWithInput(shell: ShellCommand, input: Buffer, root: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(shell.command, [...shell.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      timeout: CONNECT_TIMEOUT_MS,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text.slice(0, 4096)));
    child.stderr.resume(); // never shown: it could echo what it was given
    child.on('error', (error) =>
      reject(
        StorageErrors.create(
          'STORAGE_UNREACHABLE',
          `PowerShell could not be started to connect ${root}.`,
          {
            cause: error,
            details: { location: root },
          },
        ),
      ),
    );
    child.on('close', () => resolve(stdout));
    child.stdin.on('error', () => undefined); // a shell that exits early closes its input
    child.stdin.end(input);
  });
}

export function windowsShareConnector(shell: ShellCommand = POWERSHELL): ShareConnector {
  return {
    async connect(uncPath, credentials) {
      if (credentials === undefined) return;
      const root = shareRoot(uncPath);
      const input = connectInput(root, credentials);
      let stdout: string;
      try {
        stdout = await runWithInput(shell, input, root);
      } finally {
        input.fill(0);
      }
      const code = parseConnectResult(stdout);
      if (code === undefined) {
        throw StorageErrors.create(
          'STORAGE_IO',
          `Connecting to ${root} gave no result (PowerShell failed or was stopped).`,
          { details: { location: root } },
        );
      }
      throwForConnectCode(code, root, credentials.username);
    },
  };
}

export function unsupportedShareConnector(platform: string): ShareConnector {
  return {
    connect(uncPath) {
      return Promise.reject(
        StorageErrors.create(
          'STORAGE_UNC_UNSUPPORTED',
          `${uncPath} is a Windows UNC path, which ${platform} cannot open directly.`,
          { details: { location: uncPath } },
        ),
      );
    },
  };
}

/** The connector for this machine. */
export function defaultShareConnector(platform: string = process.platform): ShareConnector {
  return platform === 'win32' ? windowsShareConnector() : unsupportedShareConnector(platform);
}

export interface OpenLocationOptions {
  /** Create the folder if it does not exist (a new local folder). */
  readonly create?: boolean;
  /** For a UNC path: the credentials to connect its share with (the caller wipes them). */
  readonly credentials?: ShareCredentials | undefined;
}

/**
 * Opens a location the operator named: a folder, a mounted share, or a Windows UNC path whose
 * share is connected first.
 */
export async function openLocationStorage(
  path: string,
  options: OpenLocationOptions = {},
  shares: ShareConnector = defaultShareConnector(),
): Promise<Storage> {
  if (isUncPath(path)) await shares.connect(path, options.credentials);
  return openFileStorage(path, options.create === undefined ? {} : { create: options.create });
}
