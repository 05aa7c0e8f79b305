import { useShallow } from 'zustand/react/shallow';
import { JobCard } from '../components/JobCard.js';
import { isActive } from '../stores/jobs.js';
import { useJobs } from '../stores/index.js';

/** Every job still queued, running or paused, each with live progress and Cancel. */
export function RunningJobs({ kinds }: { kinds?: readonly string[] }) {
  const ids = useJobs(
    useShallow((s) =>
      Object.values(s.jobs)
        .filter((job) => isActive(job))
        .filter((job) => kinds === undefined || kinds.includes(job.summary?.kind ?? ''))
        .map((job) => job.jobId),
    ),
  );
  if (ids.length === 0) return null;
  return (
    <section aria-label="Running jobs">
      {ids.map((id) => (
        <JobCard key={id} jobId={id} />
      ))}
    </section>
  );
}
