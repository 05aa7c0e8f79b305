/**
 * Job history (backup, verify, prune, recovery, drill) and each job's append-only events.
 * Events carry progress and log lines for the UI and the command; they must never hold a
 * secret (callers pass names, sizes and ids).
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { CatalogErrors } from './errors.js';
import {
  FINAL_JOB_STATES,
  JOB_KINDS,
  JOB_STATES,
  iso,
  jobEventInput,
  jobSchema,
  type FinalJobState,
  type Job,
  type JobEvent,
  type JobEventInput,
  type JobKind,
  type JobState,
} from './schemas.js';
import { encodeJson, notFound, parseInput, parseRow, parseStoredJson } from './validate.js';

interface JobRow {
  id: string;
  kind: string;
  state: string;
  created: string;
  started: string | null;
  finished: string | null;
  result: string | null;
  error_code: string | null;
}

const eventRow = z.strictObject({
  seq: z.number().int().min(1),
  job_id: z.string(),
  time: iso,
  kind: z.enum(['progress', 'log']),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  data: z.string().nullable(),
});

export interface JobFilter {
  kinds?: readonly JobKind[];
  states?: readonly JobState[];
  limit?: number;
}

export class JobStore {
  constructor(private readonly db: Database.Database) {}

  /** Records a new job in state `queued`. */
  create(input: { kind: JobKind; id?: string }): Job {
    const kind = parseInput(z.enum(JOB_KINDS), input.kind, 'job kind');
    const id = parseInput(z.guid(), input.id ?? randomUUID(), 'job id');
    this.db
      .prepare("INSERT INTO jobs (id, kind, state, created) VALUES (?, ?, 'queued', ?)")
      .run(id, kind, new Date().toISOString());
    return this.require(id);
  }

  markRunning(id: string): Job {
    const changes = this.db
      .prepare("UPDATE jobs SET state = 'running', started = ? WHERE id = ? AND state = 'queued'")
      .run(new Date().toISOString(), id).changes;
    if (changes === 0) this.refuseTransition(id, 'running');
    return this.require(id);
  }

  /** Ends a job once; a job already finished is never rewritten. */
  finish(
    id: string,
    outcome: { state: FinalJobState; result?: unknown; errorCode?: string | null },
  ): Job {
    const state = parseInput(z.enum(FINAL_JOB_STATES), outcome.state, 'job state');
    const errorCode = parseInput(
      jobSchema.shape.errorCode,
      outcome.errorCode ?? null,
      'error code',
    );
    const result = outcome.result === undefined ? null : encodeJson(outcome.result, 'job result');
    const changes = this.db
      .prepare(
        `UPDATE jobs SET state = ?, finished = ?, result = ?, error_code = ?
         WHERE id = ? AND state IN ('queued', 'running')`,
      )
      .run(state, new Date().toISOString(), result, errorCode, id).changes;
    if (changes === 0) this.refuseTransition(id, state);
    return this.require(id);
  }

  get(id: string): Job | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row === undefined ? null : fromRow(row);
  }

  require(id: string): Job {
    const job = this.get(id);
    if (job === null) throw notFound('job', id);
    return job;
  }

  /** Newest first. */
  list(filter: JobFilter = {}): Job[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const kinds = filter.kinds?.filter((k) => (JOB_KINDS as readonly string[]).includes(k));
    const states = filter.states?.filter((s) => (JOB_STATES as readonly string[]).includes(s));
    if (kinds !== undefined) {
      where.push(`kind IN (${kinds.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...kinds);
    }
    if (states !== undefined) {
      where.push(`state IN (${states.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...states);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created DESC, rowid DESC LIMIT ?`,
      )
      .all(...params, filter.limit ?? -1) as JobRow[];
    return rows.map(fromRow);
  }

  /** Appends an event to a job; events are never changed or removed afterwards. */
  appendEvent(jobId: string, input: JobEventInput): JobEvent {
    const event = parseInput(jobEventInput, input, 'job event');
    const data = event.data === undefined ? null : encodeJson(event.data, 'event data', 16 * 1024);
    if (this.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(jobId) === undefined)
      throw notFound('job', jobId);
    const time = new Date().toISOString();
    const seq = Number(
      this.db
        .prepare(
          'INSERT INTO job_events (job_id, time, kind, level, message, data) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(jobId, time, event.kind, event.level, event.message, data).lastInsertRowid,
    );
    return {
      seq,
      jobId,
      time,
      kind: event.kind,
      level: event.level,
      message: event.message,
      data: event.data ?? null,
    };
  }

  /** A job's events in order, after `afterSeq` (to follow a running job), at most `limit`. */
  events(jobId: string, options: { afterSeq?: number; limit?: number } = {}): JobEvent[] {
    const rows = this.db
      .prepare('SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(jobId, options.afterSeq ?? 0, options.limit ?? 10_000);
    return rows.map((raw) => {
      const key = String((raw as { seq?: unknown }).seq);
      const row = parseRow(eventRow, raw, 'job_events', key);
      return {
        seq: row.seq,
        jobId: row.job_id,
        time: row.time,
        kind: row.kind,
        level: row.level,
        message: row.message,
        data: parseStoredJson(row.data, 'job_events', key),
      };
    });
  }

  private refuseTransition(id: string, to: JobState): never {
    const job = this.require(id);
    throw CatalogErrors.create(
      'CATALOG_INVALID_INPUT',
      `Job ${id} is ${job.state}; it cannot become ${to}.`,
      {
        details: { job: id, state: job.state },
      },
    );
  }
}

function fromRow(row: JobRow): Job {
  const key = String(row.id);
  return parseRow(
    jobSchema,
    {
      id: row.id,
      kind: row.kind,
      state: row.state,
      created: row.created,
      started: row.started,
      finished: row.finished,
      result: parseStoredJson(row.result, 'jobs', key),
      errorCode: row.error_code,
    },
    'jobs',
    key,
  );
}
