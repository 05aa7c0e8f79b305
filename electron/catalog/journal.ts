/**
 * Restore journals: what a recovery run has already put into the target rack, so an
 * interrupted recovery resumes with the first unfinished component and never commits one
 * twice. A component goes pending → uploading (with the rack's import id and the bytes it has
 * confirmed per artifact) → committed (with the digest the rack confirmed); committed is
 * final, enforced by a trigger as well as here.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { CatalogErrors } from './errors.js';
import { bytes, componentName, iso } from './schemas.js';
import { notFound, parseInput, parseRow } from './validate.js';

const digest = z.string().regex(/^[A-Za-z0-9:+/=_-]{16,200}$/, 'a digest such as sha256:<hex>');
const importId = z.string().min(1).max(200);

const startInput = z.strictObject({
  runId: z.guid().optional(),
  backupId: z.guid(),
  targetRack: z.string().min(1).max(500),
  components: z
    .array(
      z.strictObject({
        name: componentName,
        artifacts: z.array(z.strictObject({ name: componentName, bytes })).max(10_000),
      }),
    )
    .min(1)
    .max(1000)
    .refine(
      (list) => new Set(list.map((c) => c.name)).size === list.length,
      'component names repeat',
    ),
});
export type StartJournalInput = z.input<typeof startInput>;

const runRow = z.strictObject({
  id: z.string(),
  backup_id: z.string(),
  target_rack: z.string(),
  started: iso,
  finished: iso.nullable(),
  outcome: z.enum(['succeeded', 'failed', 'abandoned']).nullable(),
});
const componentRow = z.strictObject({
  run_id: z.string(),
  position: z.number().int().min(0),
  name: z.string(),
  state: z.enum(['pending', 'uploading', 'committed']),
  import_id: z.string().nullable(),
  committed_digest: z.string().nullable(),
  committed_at: iso.nullable(),
});
const artifactRow = z.strictObject({
  run_id: z.string(),
  component: z.string(),
  name: z.string(),
  total_bytes: z.number().int().min(0),
  bytes_confirmed: z.number().int().min(0),
});

export type RestoreOutcome = 'succeeded' | 'failed' | 'abandoned';

export interface JournalArtifact {
  name: string;
  totalBytes: number;
  bytesConfirmed: number;
}

export interface JournalComponent {
  name: string;
  position: number;
  state: 'pending' | 'uploading' | 'committed';
  importId: string | null;
  committedDigest: string | null;
  committedAt: string | null;
  artifacts: JournalArtifact[];
}

export interface RestoreRun {
  id: string;
  backupId: string;
  targetRack: string;
  started: string;
  finished: string | null;
  outcome: RestoreOutcome | null;
  components: JournalComponent[];
}

export class RestoreJournals {
  constructor(private readonly db: Database.Database) {}

  /** Opens a journal listing the components in the order they will be restored. */
  start(input: StartJournalInput): RestoreRun {
    const value = parseInput(startInput, input, 'restore journal');
    const runId = value.runId ?? randomUUID();
    this.db
      .transaction(() => {
        this.db
          .prepare(
            'INSERT INTO restore_runs (id, backup_id, target_rack, started) VALUES (?, ?, ?, ?)',
          )
          .run(runId, value.backupId, value.targetRack, new Date().toISOString());
        const component = this.db.prepare(
          "INSERT INTO restore_components (run_id, position, name, state) VALUES (?, ?, ?, 'pending')",
        );
        const artifact = this.db.prepare(
          'INSERT INTO restore_artifacts (run_id, component, name, total_bytes) VALUES (?, ?, ?, ?)',
        );
        value.components.forEach((c, position) => {
          component.run(runId, position, c.name);
          for (const a of c.artifacts) artifact.run(runId, c.name, a.name, a.bytes);
        });
      })
      .immediate();
    return this.require(runId);
  }

  get(runId: string): RestoreRun | null {
    const raw = this.db.prepare('SELECT * FROM restore_runs WHERE id = ?').get(runId);
    if (raw === undefined) return null;
    const run = parseRow(runRow, raw, 'restore_runs', runId);
    return {
      id: run.id,
      backupId: run.backup_id,
      targetRack: run.target_rack,
      started: run.started,
      finished: run.finished,
      outcome: run.outcome,
      components: this.components(runId),
    };
  }

  require(runId: string): RestoreRun {
    const run = this.get(runId);
    if (run === null) throw notFound('restore run', runId);
    return run;
  }

  /** Newest first; `unfinishedOnly` gives the runs a recovery can resume. */
  list(options: { unfinishedOnly?: boolean } = {}): RestoreRun[] {
    const ids = this.db
      .prepare(
        `SELECT id FROM restore_runs ${options.unfinishedOnly === true ? 'WHERE finished IS NULL' : ''}
         ORDER BY started DESC, rowid DESC`,
      )
      .all() as Array<{ id: string }>;
    return ids.map((r) => this.require(r.id));
  }

  /** The first component (in restore order) not yet committed, or null when all are. */
  nextComponent(runId: string): JournalComponent | null {
    return this.require(runId).components.find((c) => c.state !== 'committed') ?? null;
  }

  /** Records that the rack accepted an import for `component` under `importId`. */
  markUploading(runId: string, component: string, rackImportId: string): JournalComponent {
    const id = parseInput(importId, rackImportId, 'import id');
    this.assertOpen(runId, component);
    this.db
      .prepare(
        "UPDATE restore_components SET state = 'uploading', import_id = ? WHERE run_id = ? AND name = ?",
      )
      .run(id, runId, component);
    return this.component(runId, component);
  }

  /** Records how many bytes of an artifact the rack has confirmed; it never goes backwards. */
  confirmBytes(
    runId: string,
    component: string,
    artifact: string,
    bytesConfirmed: number,
  ): JournalArtifact {
    const confirmed = parseInput(bytes, bytesConfirmed, 'bytes confirmed');
    const current = this.assertOpen(runId, component).artifacts.find((a) => a.name === artifact);
    if (current === undefined) throw notFound('artifact', `${component}/${artifact}`);
    if (confirmed < current.bytesConfirmed || confirmed > current.totalBytes) {
      throw CatalogErrors.create(
        'CATALOG_INVALID_INPUT',
        `Artifact ${component}/${artifact}: ${confirmed} bytes confirmed is outside ${current.bytesConfirmed}..${current.totalBytes}.`,
      );
    }
    this.db
      .prepare(
        'UPDATE restore_artifacts SET bytes_confirmed = ? WHERE run_id = ? AND component = ? AND name = ?',
      )
      .run(confirmed, runId, component, artifact);
    return { ...current, bytesConfirmed: confirmed };
  }

  /** Starts a component over (the rack lost the import): pending, no import id, 0 bytes. */
  resetComponent(runId: string, component: string): JournalComponent {
    this.assertOpen(runId, component);
    this.db
      .transaction(() => {
        this.db
          .prepare(
            "UPDATE restore_components SET state = 'pending', import_id = NULL WHERE run_id = ? AND name = ?",
          )
          .run(runId, component);
        this.db
          .prepare(
            'UPDATE restore_artifacts SET bytes_confirmed = 0 WHERE run_id = ? AND component = ?',
          )
          .run(runId, component);
      })
      .immediate();
    return this.component(runId, component);
  }

  /**
   * Marks `component` committed with the digest the rack confirmed. Refused when it is already
   * committed, has no import, or an artifact is not fully confirmed.
   */
  commit(runId: string, component: string, committedDigest: string): JournalComponent {
    const value = parseInput(digest, committedDigest, 'committed digest');
    return this.db
      .transaction(() => {
        const current = this.assertOpen(runId, component);
        if (current.state !== 'uploading') {
          throw CatalogErrors.create(
            'CATALOG_JOURNAL_CONFLICT',
            `Component ${component} has no import in progress to commit.`,
          );
        }
        const short = current.artifacts.find((a) => a.bytesConfirmed !== a.totalBytes);
        if (short !== undefined) {
          throw CatalogErrors.create(
            'CATALOG_JOURNAL_CONFLICT',
            `Component ${component} cannot be committed: artifact ${short.name} has ${short.bytesConfirmed} of ${short.totalBytes} bytes confirmed.`,
          );
        }
        this.db
          .prepare(
            `UPDATE restore_components SET state = 'committed', committed_digest = ?, committed_at = ?
             WHERE run_id = ? AND name = ? AND state != 'committed'`,
          )
          .run(value, new Date().toISOString(), runId, component);
        return this.component(runId, component);
      })
      .immediate();
  }

  /** Closes the run; a finished run is not resumed. */
  finish(runId: string, outcome: RestoreOutcome): RestoreRun {
    const value = parseInput(
      z.enum(['succeeded', 'failed', 'abandoned']),
      outcome,
      'restore outcome',
    );
    const run = this.require(runId);
    if (run.finished !== null) {
      throw CatalogErrors.create(
        'CATALOG_JOURNAL_CONFLICT',
        `Restore run ${runId} already finished (${run.outcome}).`,
      );
    }
    if (value === 'succeeded' && run.components.some((c) => c.state !== 'committed')) {
      throw CatalogErrors.create(
        'CATALOG_JOURNAL_CONFLICT',
        `Restore run ${runId} cannot succeed while components are not committed.`,
      );
    }
    this.db
      .prepare('UPDATE restore_runs SET finished = ?, outcome = ? WHERE id = ?')
      .run(new Date().toISOString(), value, runId);
    return this.require(runId);
  }

  /** The component, refusing one that is committed or whose run is finished. */
  private assertOpen(runId: string, component: string): JournalComponent {
    const raw = this.db.prepare('SELECT finished FROM restore_runs WHERE id = ?').get(runId) as
      { finished: string | null } | undefined;
    if (raw === undefined) throw notFound('restore run', runId);
    const found = this.component(runId, component);
    if (raw.finished !== null) {
      throw CatalogErrors.create(
        'CATALOG_JOURNAL_CONFLICT',
        `Restore run ${runId} already finished.`,
      );
    }
    if (found.state === 'committed') {
      throw CatalogErrors.create(
        'CATALOG_JOURNAL_CONFLICT',
        `Component ${component} of restore run ${runId} is already committed; it is never imported twice.`,
        { details: { run: runId, component } },
      );
    }
    return found;
  }

  private component(runId: string, name: string): JournalComponent {
    const found = this.components(runId, name)[0];
    if (found === undefined) throw notFound('component', `${runId}/${name}`);
    return found;
  }

  /** The run's components in restore order (only `onlyName` when given), with their artifacts. */
  private components(runId: string, onlyName: string | null = null): JournalComponent[] {
    const byComponent = new Map<string, JournalArtifact[]>();
    const artifacts = this.db
      .prepare(
        'SELECT * FROM restore_artifacts WHERE run_id = ? AND (? IS NULL OR component = ?) ORDER BY component, name',
      )
      .all(runId, onlyName, onlyName);
    for (const raw of artifacts) {
      const a = parseRow(artifactRow, raw, 'restore_artifacts', runId);
      const list = byComponent.get(a.component) ?? [];
      list.push({ name: a.name, totalBytes: a.total_bytes, bytesConfirmed: a.bytes_confirmed });
      byComponent.set(a.component, list);
    }
    return this.db
      .prepare(
        'SELECT * FROM restore_components WHERE run_id = ? AND (? IS NULL OR name = ?) ORDER BY position',
      )
      .all(runId, onlyName, onlyName)
      .map((raw) => {
        const row = parseRow(componentRow, raw, 'restore_components', runId);
        return {
          name: row.name,
          position: row.position,
          state: row.state,
          importId: row.import_id,
          committedDigest: row.committed_digest,
          committedAt: row.committed_at,
          artifacts: byComponent.get(row.name) ?? [],
        };
      });
  }
}
