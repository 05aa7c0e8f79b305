import { statusLabel, toneOf } from '../lib/status.js';

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge ${toneOf(status)}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
