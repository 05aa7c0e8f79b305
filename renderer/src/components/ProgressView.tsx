import { percent } from '../lib/format.js';
import { describeProgress, type ComponentFigures, type ProgressFigures } from '../lib/progress.js';
import { StatusBadge } from './StatusBadge.js';
import { TableHead } from './Choice.js';

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
      <TableHead columns={['Component', 'Status', 'Progress', 'Transferred']} />
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
