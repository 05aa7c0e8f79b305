/**
 * The state of one piece of data fetched from the main process, and the one helper every store
 * uses to fetch it, so loading and error handling are written once.
 */
import type { ErrorBody } from '../../../shared/errors.js';
import { errorBodyOf } from '../api/client.js';

export interface Resource<T> {
  data: T | null;
  error: ErrorBody | null;
  loading: boolean;
}

export function idle<T>(): Resource<T> {
  return { data: null, error: null, loading: false };
}

/**
 * Runs `load` and reports each stage through `set`. Keeps the previous data while reloading,
 * so a refresh after an event does not blank the screen.
 */
export async function fetchInto<T>(
  current: () => Resource<T>,
  set: (next: Resource<T>) => void,
  load: () => Promise<T>,
): Promise<T | null> {
  set({ ...current(), loading: true });
  try {
    const data = await load();
    set({ data, error: null, loading: false });
    return data;
  } catch (error) {
    set({ data: current().data, error: errorBodyOf(error), loading: false });
    return null;
  }
}

/** For one-off actions (start, verify, prune): the typed error or null on success. */
export async function attempt<T>(
  action: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: ErrorBody }> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    return { ok: false, error: errorBodyOf(error) };
  }
}
