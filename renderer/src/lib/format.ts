/**
 * Formatting of sizes, rates, durations and ages for the operator's screens.
 *
 * Pure functions with no DOM or clock access (the caller passes `now`), so they are tested
 * exactly and render the same in Electron and in the browser console.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 -> "1.5 KiB"; binary units because storage quotas on shares are reported that way. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 3725 s -> "1 h 2 min"; 42 s -> "42 s". At most two units: an operator reads it at a glance. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const units: Array<[number, string]> = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const first = units.findIndex(([size]) => s >= size);
  const parts: string[] = [];
  let rest = s;
  for (const [size, label] of units.slice(first, first + 2)) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count} ${label}`);
  }
  return parts.join(' ');
}

/** "3 h ago" / "in 2 h" relative to `now`; both in epoch milliseconds. */
export function formatRelative(atMs: number, nowMs: number): string {
  if (!Number.isFinite(atMs)) return '—';
  const delta = (atMs - nowMs) / 1000;
  if (Math.abs(delta) < 30) return 'just now';
  const text = formatDuration(Math.abs(delta));
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

/** ISO timestamp for tables: local time, minutes precision, sortable text. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** 0..100, clamped; a total of 0 counts as complete only when `done` is also 0 and finished. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.max(0, Math.min(100, (done / total) * 100));
}

/** "1 backup", "2 backups": counts read as operators speak them. */
export function countOf(count: number, noun: string): string {
  return `${count.toLocaleString('en')} ${count === 1 ? noun : `${noun}s`}`;
}
