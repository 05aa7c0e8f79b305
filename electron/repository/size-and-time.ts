/**
 * How a folder backup looks at a file before deciding whether to read it: its size and
 * modification time (lstat), the two things a last backup's line is compared with. Shared by
 * the walk thread and the writer (for files given without them). Never throws.
 */
import { lstatSync } from 'node:fs';

/**
 * `[size, modified]`, or `[NaN, NaN]` if it is not a regular file or cannot be looked at: the
 * crypto worker that then reads it says why.
 */
export function sizeAndTime(path: string): [number, number] {
  try {
    const info = lstatSync(path, { throwIfNoEntry: false });
    return info?.isFile() === true ? [info.size, info.mtimeMs] : [NaN, NaN];
  } catch {
    return [NaN, NaN];
  }
}

/** `[size, modified]` of each path, in pairs (NaN when a file could not be looked at). */
export function statRun(paths: readonly string[]): Float64Array {
  const stats = new Float64Array(paths.length * 2);
  paths.forEach((path, i) => stats.set(sizeAndTime(path), i * 2));
  return stats;
}
