/** Finding repositories on a filesystem, so a location inside another repository can be refused. */
import { dirname, resolve } from 'node:path';
import { openFileStorage } from '../storage/index.js';
import { readConfig } from './config.js';

/**
 * The folder of the repository that contains `path` (`path` itself or one of its parents), or
 * undefined. Used to refuse creating a repository, or restoring, inside an existing one.
 */
export async function isInsideRepository(path: string): Promise<string | undefined> {
  let folder = resolve(path);
  for (;;) {
    try {
      await readConfig(await openFileStorage(folder));
      return folder;
    } catch {
      // not a repository (or not readable): keep walking up
    }
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}
