import { describe, expect, it } from 'vitest';
import type { HostEvent, JobSummary } from '../../renderer/src/api/types.js';
import {
  applyJobDetail,
  applyJobEvent,
  isActive,
  MAX_LOG_LINES,
  type JobsById,
} from '../../renderer/src/stores/jobs.js';

const started: JobSummary = {
  jobId: 'job-1',
  kind: 'backup',
  status: 'running',
  subject: null,
  startedAt: '2026-11-25T12:00:00.000Z',
  finishedAt: null,
  error: null,
};
const progress = (bytesDone: number): HostEvent => ({
  type: 'job.progress',
  jobId: 'job-1',
  kind: 'backup',
  at: '2026-11-25T12:00:01.000Z',
  progress: {
    phase: 'exporting',
    overall: { bytesDone, bytesTotal: 1000, bytesPerSecond: 100, etaSeconds: 5 },
    components: [
      {
        component: 'keyvault',
        status: 'Running',
        reason: null,
        bytesDone,
        bytesTotal: 1000,
        bytesPerSecond: 100,
        etaSeconds: 5,
      },
    ],
  },
});

describe('applyJobEvent', () => {
  it('follows a job from start through progress to its end', () => {
    let jobs: JobsById = {};
    jobs = applyJobEvent(jobs, { type: 'job.started', job: started });
    expect(jobs['job-1']?.summary?.status).toBe('running');
    expect(isActive(jobs['job-1']!)).toBe(true);
    jobs = applyJobEvent(jobs, progress(400));
    expect(jobs['job-1']?.progress?.components[0]?.bytesDone).toBe(400);
    const finished = { ...started, status: 'succeeded' as const, finishedAt: started.startedAt };
    jobs = applyJobEvent(jobs, { type: 'job.finished', job: finished });
    expect(isActive(jobs['job-1']!)).toBe(false);
    // The last progress stays visible after the end...
    expect(jobs['job-1']?.progress?.overall.bytesDone).toBe(400);
    // ...and a late progress event (reordered across a reconnect) does not revive the job.
    const after = applyJobEvent(jobs, progress(999));
    expect(after).toBe(jobs);
  });

  it('accepts progress for a job it has not seen start (a window opened mid-job)', () => {
    const jobs = applyJobEvent({}, progress(10));
    expect(jobs['job-1']?.summary).toBeNull();
    expect(isActive(jobs['job-1']!)).toBe(true);
  });

  it('keeps only the last log lines', () => {
    let jobs: JobsById = {};
    for (let i = 0; i < MAX_LOG_LINES + 25; i++) {
      jobs = applyJobEvent(jobs, {
        type: 'job.log',
        jobId: 'job-1',
        entry: { at: started.startedAt, level: 'info', message: `line ${i}` },
      });
    }
    const log = jobs['job-1']!.log;
    expect(log).toHaveLength(MAX_LOG_LINES);
    expect(log.at(-1)?.message).toBe(`line ${MAX_LOG_LINES + 24}`);
    expect(log[0]?.message).toBe('line 25');
  });

  it('leaves the jobs untouched (same object) for other events', () => {
    const jobs: JobsById = {};
    expect(applyJobEvent(jobs, { type: 'changed', topics: ['health'] })).toBe(jobs);
  });

  it('takes the full record from jobs.get over what events said', () => {
    const jobs = applyJobDetail(applyJobEvent({}, progress(10)), {
      job: { ...started, status: 'partial', finishedAt: started.startedAt },
      progress: null,
      log: [],
      result: { kind: 'backup', backupId: 'b-1', status: 'PartialSucceeded' },
    });
    expect(jobs['job-1']?.summary?.status).toBe('partial');
    expect(jobs['job-1']?.result).toEqual({
      kind: 'backup',
      backupId: 'b-1',
      status: 'PartialSucceeded',
    });
  });
});

describe('a finished job keeps its last progress', () => {
  it('when the full record carries none', () => {
    const jobs = applyJobDetail(applyJobEvent({}, progress(1000)), {
      job: { ...started, status: 'succeeded', finishedAt: started.startedAt },
      progress: null,
      log: [],
      result: null,
    });
    expect(jobs['job-1']?.progress?.components[0]?.bytesDone).toBe(1000);
  });
});
