/** Progress figures as text, as pure logic shared by every progress view. */
import { formatBytes, formatDuration, formatRate } from './format.js';

/** The fields of the contract's `Progress`, restated so this view needs no zod at run time. */
export interface ProgressFigures {
  bytesDone: number;
  bytesTotal: number | null;
  bytesPerSecond: number | null;
  etaSeconds: number | null;
}

export interface ComponentFigures extends ProgressFigures {
  component: string;
  status: string;
  reason: string | null;
}

/** "12 MiB of 40 MiB · 5 MiB/s · 6 s left": what an operator wants from a progress line. */
export function describeProgress(p: ProgressFigures): string {
  const parts = [
    p.bytesTotal === null
      ? formatBytes(p.bytesDone)
      : `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`,
  ];
  if (p.bytesPerSecond !== null && p.bytesPerSecond > 0) parts.push(formatRate(p.bytesPerSecond));
  if (p.etaSeconds !== null) parts.push(`${formatDuration(p.etaSeconds)} left`);
  return parts.join(' · ');
}
