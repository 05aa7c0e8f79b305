/**
 * The shapes of location paths an operator types, checked alike by the IPC contract, the
 * controller and the storage layer.
 */

/** `\\server\share` optionally followed by `\folder…`; captures the server and the share. */
const UNC_PATH = /^\\\\([^\\/]+)\\([^\\/]+)(?:\\.*)?$/;

export function isUncPath(path: string): boolean {
  return UNC_PATH.test(path);
}

/** `\\server\share` of `\\server\share\folder\…` (connections are made per share), else undefined. */
export function uncShareRoot(path: string): string | undefined {
  const match = UNC_PATH.exec(path);
  return match === null ? undefined : `\\\\${match[1] as string}\\${match[2] as string}`;
}

/** An absolute POSIX path or a Windows drive path (`C:\…`). */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path);
}
