/** Pure views of backup records for the tables. */

interface ComponentEntry {
  component: string;
  status: string;
}

/** "10 of 10 succeeded", or the failures named: "9 of 10 succeeded · keyvault Failed". */
export function componentSummary(components: readonly ComponentEntry[]): string {
  if (components.length === 0) return '—';
  const succeeded = components.filter((c) => c.status === 'Succeeded').length;
  const others = components
    .filter((c) => c.status !== 'Succeeded')
    .map((c) => `${c.component} ${c.status}`);
  return [`${succeeded} of ${components.length} succeeded`, ...others].join(' · ');
}
