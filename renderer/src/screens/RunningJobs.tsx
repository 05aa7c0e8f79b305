import { useShallow } from 'zustand/react/shallow';
import { JobCard } from '../components/JobCard.js';
import { isActive, type LiveJob } from '../stores/jobs.js';
import { useJobs } from '../stores/index.js';

/**
 * Every job still queued, running or paused, each with live progress and Cancel, and the jobs
 * that finished while this window was open, with their outcome, until the operator closes them.
 */
export function RunningJobs({
  kinds,
  exclude,
}: {
  kinds?: readonly string[];
  /** Jobs another part of the screen already shows (a verification under its backup). */
  exclude?: (job: LiveJob) => boolean;
}) {
  const ids = useJobs(
    useShallow((s) =>
      Object.values(s.jobs)
        .filter((job) => isActive(job) || s.dismissed[job.jobId] === undefined)
        .filter((job) => kinds === undefined || kinds.includes(job.summary?.kind ?? ''))
        .filter((job) => exclude === undefined || !exclude(job))
        .map((job) => job.jobId),
    ),
  );
  if (ids.length === 0) return null;
  return (
    <section aria-label="Jobs">
      {ids.map((id) => (
        <JobCard key={id} jobId={id} />
      ))}
    </section>
  );
}
