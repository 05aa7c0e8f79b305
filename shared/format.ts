/**
 * Formatting shared by every text Lifeboat prints outside the window: the command line, the
 * recovery report and the recovery kit. Pure functions, no Node or DOM APIs.
 */

/** A byte count in binary units, as operators read sizes: "512 B", "1.5 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
