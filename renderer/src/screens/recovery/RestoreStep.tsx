import { useEffect } from 'react';
import { JobCard } from '../../components/JobCard.js';
import { MaybeError } from '../../components/ErrorNotice.js';
import { isActive } from '../../stores/jobs.js';
import { useJobs, useRecovery } from '../../stores/index.js';

/**
 * Runs the restore (or the drill) with per-component progress; pause stops after the current
 * artifact and resume continues from the first unfinished one, never redoing committed work.
 */
export function RestoreStep() {
  const s = useRecovery((state) => state);
  const job = useJobs((state) => (s.run === null ? undefined : state.jobs[s.run.jobId]));
  const running = job !== undefined && isActive(job);
  const status = job?.summary?.status;
  const finished = job !== undefined && !running;
  const paused = s.entry?.state === 'paused' || status === 'paused';
  const resumable = paused || s.entry?.state === 'interrupted' || status === 'failed';
  const loadReport = s.loadReport;
  const loadUnfinished = s.loadUnfinished;

  // A recovery cut short (laptop, network or rack dropped) is resumed, never started again.
  useEffect(() => {
    void loadUnfinished();
  }, [loadUnfinished]);

  // The report is ready when the job ends; fetch it so the last step opens at once.
  useEffect(() => {
    if (finished && (status === 'succeeded' || status === 'partial')) void loadReport();
  }, [finished, status, loadReport]);

  const verb = s.mode === 'drill' ? 'drill' : 'recovery';
  return (
    <>
      {s.run === null ? (
        <>
          <p>
            Everything is checked. Start the {verb}: components are restored in dependency order and
            each one&apos;s digest is compared with the backup&apos;s.
          </p>
          {s.unfinished.map((r) => (
            <div className="notice warning" key={r.recoveryId}>
              <p>
                An earlier {r.drill ? 'drill' : 'recovery'} of this backup into {r.rackUrl} stopped
                ({r.state}) after{' '}
                {r.components.filter((c) => c.state === 'committed' || c.state === 'proven').length}{' '}
                of {r.components.length} components. Resuming continues with the first unfinished
                component and never repeats committed work.
              </p>
              <button type="button" className="primary" onClick={() => void s.resume(r.recoveryId)}>
                Resume {r.drill ? 'drill' : 'recovery'} {r.recoveryId}
              </button>
            </div>
          ))}
          <button
            type="button"
            className={s.unfinished.length === 0 ? 'primary' : undefined}
            onClick={() => void s.start()}
          >
            {s.mode === 'drill' ? 'Start drill' : 'Start recovery'}
          </button>
        </>
      ) : (
        <>
          <JobCard level={3} jobId={s.run.jobId} title="Restore progress" />
          <div className="row">
            <button type="button" onClick={() => void s.pause()} disabled={!running || paused}>
              Pause
            </button>
            <button
              type="button"
              className="primary"
              onClick={() => void s.resume()}
              disabled={!resumable}
            >
              Resume
            </button>
          </div>
        </>
      )}
      <MaybeError error={s.actionError} title={`The ${verb} could not go on`} />
    </>
  );
}
