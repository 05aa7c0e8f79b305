/**
 * How one `lab-rack mutate --percent P` changes one kind of records: the way a living rack
 * changes, not uniformly. New records are appended after the last one, updates fall on a hot
 * window of rows that stays in place from one mutation to the next, and a few of the first
 * records in export order go away (only on kinds no record refers to). Backups chunk artifacts by
 * content, so where the changes fall decides what an incremental backup writes: P% of the
 * records of a large artifact updated at random would touch nearly every chunk, which no rack
 * does. Pure arithmetic; store.ts applies the plan.
 */
import type { ArtifactSpec } from './data.js';

/** Which rows one mutation removes, regenerates and adds for one kind of records. */
export interface ChangePlan {
  /** How many rows go, the first ones in export (key) order. */
  readonly deletes: number;
  /** Rows [hotFrom, hotFrom + updates) by generation index are regenerated at a new version. */
  readonly hotFrom: number;
  readonly updates: number;
  /** Rows [appendFrom, appendFrom + appends) by generation index are new. */
  readonly appendFrom: number;
  readonly appends: number;
}

export type ChangeProfile = Pick<ArtifactSpec, 'growth' | 'deletes' | 'mutable'>;

/** Whether a mutation ever changes the kind (documents such as the CA certificates never do). */
export function changesOnMutate(profile: ChangeProfile): boolean {
  return profile.mutable || profile.growth > 0;
}

/**
 * Plans one mutation of a kind that was generated with `base` rows and whose next new row gets
 * index `next` (base plus every row appended since). `hotSpot`, in [0, 1) and fixed per kind,
 * places the hot window, so the same rows are updated again and again.
 */
export function planChange(
  profile: ChangeProfile,
  base: number,
  next: number,
  percent: number,
  hotSpot: number,
): ChangePlan {
  const touched = Math.max(1, Math.round((next * percent) / 100));
  const deletes = Math.floor(touched * profile.deletes);
  const kept = touched - deletes;
  const appends = profile.mutable ? Math.round(kept * profile.growth) : kept;
  const updates = Math.min(base, kept - appends);
  // Shifted back rather than wrapped past the last row: one run of rows, not two.
  const hotFrom = Math.min(Math.floor(hotSpot * base), base - updates);
  return { deletes, hotFrom, updates, appendFrom: next, appends };
}
