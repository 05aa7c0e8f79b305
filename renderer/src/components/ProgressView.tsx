import { formatBytes, formatDuration, formatRate, percent } from '../lib/format.js';
import { StatusBadge } from './StatusBadge.js';

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

/** One labelled bar; indeterminate while the total is unknown. */
export function ProgressBar({ label, progress }: { label: string; progress: ProgressFigures }) {
  const value =
    progress.bytesTotal === null ? undefined : percent(progress.bytesDone, progress.bytesTotal);
  return (
    <div className="progress">
      <span>{label}</span>
      <progress aria-label={`${label} progress`} max={100} value={value} />
      <span className="figures">{describeProgress(progress)}</span>
    </div>
  );
}

/** Per-component progress of a backup or a restore, in the order the job reports them. */
export function ComponentProgressList({
  components,
  caption,
}: {
  components: readonly ComponentFigures[];
  caption: string;
}) {
  return (
    <table aria-label={caption}>
      <thead>
        <tr>
          <th scope="col">Component</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col">Transferred</th>
        </tr>
      </thead>
      <tbody>
        {components.map((c) => (
          <tr key={c.component} data-component={c.component}>
            <th scope="row">{c.component}</th>
            <td>
              <StatusBadge status={c.status} />
              {c.reason !== null && <div className="muted">{c.reason}</div>}
            </td>
            <td>
              <progress
                aria-label={`${c.component} progress`}
                max={100}
                value={componentPercent(c)}
              />
            </td>
            <td className="figures">{describeProgress(c)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function componentPercent(c: ComponentFigures): number | undefined {
  if (c.status === 'Succeeded') return 100;
  if (c.status === 'Queued') return 0;
  return c.bytesTotal === null ? undefined : percent(c.bytesDone, c.bytesTotal);
}
