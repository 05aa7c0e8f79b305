/**
 * Bounded concurrency for the repository's batch work (backing up and restoring a folder's
 * files, reading packs in a check): a few lanes, each taking the next item until none is left;
 * and batches whose results must be used in order (a folder's files, whose list is written as
 * they complete).
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

/**
 * Runs `task` on batches of up to `size` items from `runs` (items given in runs of any length),
 * `lanes` batches at a time, and
 * hands each batch's result to `emit` in the order of the batches (emits run one at a time).
 * A lane takes a new batch only while fewer than `ahead` finished batches wait for an earlier
 * one, so the results held stay bounded however slow one batch is. After a failure no batch
 * starts; the first failure is thrown once the running ones have settled.
 */
export async function orderedBatches<T, R>(
  runs: AsyncIterable<readonly T[]>,
  options: { readonly size: number; readonly lanes: number; readonly ahead: number },
  task: (batch: T[]) => Promise<R>,
  emit: (result: R) => Promise<void>,
): Promise<void> {
  const source = runs[Symbol.asyncIterator]();
  /** The run being cut into batches, from `offset`. */
  let run: readonly T[] = [];
  let offset = 0;
  const finished = new Map<number, R>();
  let taking: Promise<unknown> = Promise.resolve();
  let exhausted = false;
  let taken = 0;
  let emitted = 0;
  let emitting: Promise<void> = Promise.resolve();
  let wake: (() => void)[] = [];
  const stop: StopFlag = { stopped: false };
  /** The next batch and its number; one lane at a time reads the source. */
  const take = (): Promise<{ batch: T[]; seq: number } | undefined> => {
    const next = taking.then(async () => {
      while (taken - emitted > options.ahead && !stop.stopped) {
        await new Promise<void>((resolve) => wake.push(resolve));
      }
      const batch: T[] = [];
      while (!stop.stopped && batch.length < options.size) {
        if (offset === run.length) {
          if (exhausted) break;
          const next = await source.next();
          if (next.done === true) exhausted = true;
          else [run, offset] = [next.value, 0];
          continue;
        }
        const end = Math.min(run.length, offset + options.size - batch.length);
        for (; offset < end; offset++) batch.push(run[offset] as T);
      }
      return batch.length === 0 ? undefined : { batch, seq: taken++ };
    });
    taking = next.catch(() => undefined);
    return next;
  };
  /** Emits finished batches in order, from the first not yet emitted. */
  const release = () => {
    emitting = emitting.then(async () => {
      while (finished.has(emitted)) {
        const result = finished.get(emitted) as R;
        finished.delete(emitted);
        await emit(result);
        emitted++;
      }
      for (const resolve of wake.splice(0)) resolve();
    });
    return emitting;
  };
  try {
    await runLanes(
      take,
      options.lanes,
      async ({ batch, seq }) => {
        finished.set(seq, await task(batch));
        await release();
      },
      stop,
    );
  } finally {
    stop.stopped = true;
    for (const resolve of wake.splice(0)) resolve();
    wake = [];
    if (!exhausted) await source.return?.();
  }
}
