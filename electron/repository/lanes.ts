/**
 * Bounded concurrency for the repository's batch work (backing up and restoring a folder's
 * files, reading packs in a check): a few lanes, each taking the next item until none is left.
 */

/** Shared between lane groups working for one job: once set, no lane starts another item. */
export interface StopFlag {
  stopped: boolean;
}

/**
 * Runs `task` on each item `next` gives, `lanes` at a time, until it gives undefined. After a
 * failure no new item starts (in these lanes, or in any sharing `stop`), and the first failure is
 * thrown once the running tasks have settled, so nothing is left half-done behind it.
 */
export async function runLanes<T>(
  next: () => T | undefined | Promise<T | undefined>,
  lanes: number,
  task: (item: T) => Promise<void>,
  stop: StopFlag = { stopped: false },
): Promise<void> {
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    for (let item = await next(); item !== undefined && !stop.stopped; item = await next()) {
      try {
        await task(item);
      } catch (error) {
        stop.stopped = true;
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure !== undefined) throw failure.error;
}

/** The items one after the other, for `runLanes`. */
export function eachOf<T>(items: readonly T[]): () => T | undefined {
  let index = 0;
  return () => items[index++];
}
