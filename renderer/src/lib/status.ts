/**
 * How a status looks: the tone of its badge. Text always carries the meaning too, so colour is
 * never the only signal (WCAG 1.4.1).
 */
export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

const TONES: Record<string, Tone> = {
  Succeeded: 'ok',
  PartialSucceeded: 'warn',
  Failed: 'bad',
  Running: 'info',
  Queued: 'neutral',
  Skipped: 'neutral',
  Deleted: 'neutral',
  Cancelled: 'warn',
  Paused: 'warn',
};

export function toneOf(status: string): Tone {
  return TONES[status] ?? 'neutral';
}

/** Azure Stack writes "PartialSucceeded"; the screen reads better with a space. */
export function statusLabel(status: string): string {
  return status === 'PartialSucceeded' ? 'Partially succeeded' : status;
}
