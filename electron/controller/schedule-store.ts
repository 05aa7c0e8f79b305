/**
 * Where the scheduler's own state lives: the anchor and the last slot run, in
 * `<home>/jobs/schedule.json`. The settings (frequency, on/off) stay in the catalog's
 * configuration; this file only remembers where the slots are, so a restart neither replays a
 * slot nor forgets one.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ScheduleState } from './scheduler.js';

const stored = z.object({
  anchorMs: z.number().int().nonnegative(),
  lastSlotMs: z.number().int().nonnegative().nullable(),
});

export interface SlotState {
  readonly anchorMs: number;
  readonly lastSlotMs: number | null;
}

export function schedulePath(home: string): string {
  return join(home, 'jobs', 'schedule.json');
}

/** The stored slots, or null when none were stored or the file is not ours to trust. */
export function loadSlots(home: string): SlotState | null {
  try {
    const parsed = stored.safeParse(JSON.parse(readFileSync(schedulePath(home), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function saveSlots(
  home: string,
  state: Pick<ScheduleState, 'anchorMs' | 'lastSlotMs'>,
): void {
  mkdirSync(join(home, 'jobs'), { recursive: true });
  const path = schedulePath(home);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ anchorMs: state.anchorMs, lastSlotMs: state.lastSlotMs }));
  renameSync(temp, path);
}
