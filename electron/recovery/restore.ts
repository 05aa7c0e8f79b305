/**
 * The restore executor: drives the plan's state machine against a rack, one step at a time,
 * recording every outcome in the journal before taking the next step.
 *
 * It talks to the backup and the rack only through two small ports (`ArtifactSource`,
 * `ImportTarget`) that adapters in this folder implement over the repository and the rack
 * client, and keeps its journal through `JournalStore` (the catalog). Nothing here prints.
 */
import { Transform, type Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { CommonErrors, LifeboatError, isAbortError } from '../../shared/errors.js';
import type { ComponentId } from './components.js';
import {
  nextStep,
  transitions,
  confirmedBytes,
  type JournalComponent,
  type PlannedArtifact,
  type RestorePlan,
} from './plan.js';
import { ProgressMeter, type RestoreProgress } from './progress.js';

/** Verified plaintext of the backup's artifacts. */
export interface ArtifactSource {
  open(
    component: ComponentId,
    name: string,
    offset: number,
    signal: AbortSignal,
  ): Promise<Readable>;
}

/** What the rack says about one import. `null` from importStatus: the rack does not know it. */
export interface ImportStatus {
  readonly committed: boolean;
  readonly digest: string | null;
  /** Bytes received per artifact name. */
  readonly received: Readonly<Record<string, number>>;
}

/** The rack's side of a restore. */
export interface ImportTarget {
  createImport(component: ComponentId, signal: AbortSignal): Promise<string>;
  importStatus(importId: string, signal: AbortSignal): Promise<ImportStatus | null>;
  upload(
    importId: string,
    artifact: PlannedArtifact,
    offset: number,
    body: Readable,
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * Commits the import, asking the rack to apply nothing unless the result has
   * `expectedDigest` (the digest recorded at backup); returns the digest the rack computed.
   */
  commit(
    component: ComponentId,
    importId: string,
    expectedDigest: string,
    signal: AbortSignal,
  ): Promise<string>;
}

/** Where the journal lives between runs (the catalog). */
export interface JournalStore {
  save(entry: JournalComponent): void;
}

export interface ComponentTiming {
  startedAt: string | null;
  /** When the rack was asked to commit (the rest is the rack applying the data). */
  commitStartedAt: string | null;
  finishedAt: string | null;
}

export interface ExecuteOptions {
  readonly source: ArtifactSource;
  readonly target: ImportTarget;
  readonly store: JournalStore;
  readonly signal: AbortSignal;
  readonly onProgress?: ((progress: RestoreProgress) => void) | undefined;
  /** Automatic retries of a step after a transient rack failure (a dropped connection). */
  readonly retries?: number | undefined;
  /** Which failures are worth retrying; the rack adapter knows its error codes. */
  readonly isTransient?: ((error: unknown) => boolean) | undefined;
  readonly now?: (() => number) | undefined;
  readonly progressIntervalMs?: number | undefined;
}

export interface ExecuteResult {
  readonly journal: JournalComponent[];
  readonly timings: Map<ComponentId, ComponentTiming>;
}

/** Runs the plan to the end from wherever the journal stands. */
export async function executeRestore(
  plan: RestorePlan,
  journalIn: readonly JournalComponent[],
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const run = new RestoreRun(plan, journalIn, options);
  await run.reconcile();
  await run.loop();
  return { journal: run.journal, timings: run.timings };
}

class RestoreRun {
  readonly journal: JournalComponent[];
  readonly timings = new Map<ComponentId, ComponentTiming>();
  private readonly meter: ProgressMeter;
  private lastEmit = 0;

  constructor(
    private readonly plan: RestorePlan,
    journalIn: readonly JournalComponent[],
    private readonly options: ExecuteOptions,
  ) {
    this.journal = plan.components.map(
      (planned) =>
        journalIn.find((entry) => entry.component === planned.component) ?? {
          component: planned.component,
          state: 'pending',
          importId: null,
          confirmed: {},
          committedDigest: null,
        },
    );
    this.meter = new ProgressMeter(plan, options.now ?? Date.now);
  }

  /**
   * Before anything else, asks the rack about every unfinished import: its byte counts are the
   * truth, an import it forgot starts over, and an import it already committed (the answer to
   * our commit was lost in a drop) is recorded as committed without committing it again.
   */
  async reconcile(): Promise<void> {
    for (const entry of this.journal) {
      if (entry.state !== 'uploading' || entry.importId === null) continue;
      const status = await this.options.target.importStatus(entry.importId, this.options.signal);
      this.record(applyStatus(entry, status));
    }
    const seeded = confirmedBytes(this.plan, this.journal);
    for (const entry of this.journal) {
      this.meter.seed(
        entry.component,
        seeded.get(entry.component) ?? 0,
        entry.state === 'committed',
      );
    }
    this.emit(true);
  }

  /**
   * One step at a time, each chosen afresh from the journal. After a transient failure the
   * rack is asked where it stands and the next step is chosen again, so a commit whose answer
   * was lost is recognised as done instead of being repeated. Anything else, or too many
   * failures in a row, is thrown with the journal saved: `resume` continues from there.
   */
  async loop(): Promise<void> {
    const retries = this.options.retries ?? 0;
    const isTransient = this.options.isTransient ?? (() => false);
    let failures = 0;
    for (;;) {
      const step = nextStep(this.plan, this.journal);
      if (step.kind === 'done') {
        this.emit(true);
        return;
      }
      this.markStarted(step.component);
      try {
        this.options.signal.throwIfAborted();
        if (step.kind === 'begin') await this.begin(step.component);
        else if (step.kind === 'upload') {
          await this.upload(step.component, step.importId, step.artifact, step.offset);
        } else await this.commit(step.component, step.importId);
        failures = 0;
      } catch (error) {
        if (isAbortError(error) || this.options.signal.aborted) {
          throw CommonErrors.create('CANCELLED', 'The restore was stopped; resume continues it.', {
            cause: error,
          });
        }
        if (failures >= retries || !isTransient(error)) {
          this.meter.finish(step.component, 'failed');
          this.emit(true);
          throw error instanceof LifeboatError ? error : asInternal(error);
        }
        failures++;
        await delay(Math.min(250 * 2 ** failures, 4000), undefined, {
          signal: this.options.signal,
        });
        await this.refresh(step.component);
      }
    }
  }

  private async begin(component: ComponentId): Promise<void> {
    const importId = await this.options.target.createImport(component, this.options.signal);
    this.record(transitions.begun(this.entry(component), importId));
  }

  private async upload(
    component: ComponentId,
    importId: string,
    artifact: PlannedArtifact,
    offset: number,
  ): Promise<void> {
    const { source, target, signal } = this.options;
    const body = await source.open(component, artifact.name, offset, signal);
    const counted = body.pipe(this.counter(component));
    // A failing backup (a damaged chunk) also breaks the upload; report the backup's error,
    // not the rack connection it tore down.
    let sourceError: unknown;
    body.once('error', (error) => {
      sourceError = error;
      counted.destroy(error);
    });
    try {
      await target.upload(importId, artifact, offset, counted, signal);
    } catch (error) {
      throw sourceError ?? error;
    } finally {
      body.destroy();
    }
    const status = await target.importStatus(importId, signal);
    this.record(applyStatus(this.entry(component), status));
  }

  private async commit(component: ComponentId, importId: string): Promise<void> {
    const planned = this.plan.components.find((entry) => entry.component === component);
    const expected = planned?.digestAtBackup ?? '';
    const timing = this.timings.get(component);
    if (timing !== undefined) timing.commitStartedAt = new Date().toISOString();
    const digest = await this.options.target.commit(
      component,
      importId,
      expected,
      this.options.signal,
    );
    this.record(transitions.committed(this.entry(component), digest));
  }

  /** After a drop: re-reads the rack's counts for the component being restored. */
  private async refresh(component: ComponentId): Promise<void> {
    const entry = this.entry(component);
    if (entry.state !== 'uploading' || entry.importId === null) return;
    const status = await this.options.target.importStatus(entry.importId, this.options.signal);
    this.record(applyStatus(entry, status));
    this.meter.rewind(component, confirmedBytes(this.plan, this.journal).get(component) ?? 0);
  }

  private counter(component: ComponentId): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.meter.advance(component, chunk.length);
        this.emit(false);
        callback(null, chunk);
      },
    });
  }

  private markStarted(component: ComponentId): void {
    if (!this.timings.has(component)) {
      this.timings.set(component, {
        startedAt: new Date().toISOString(),
        commitStartedAt: null,
        finishedAt: null,
      });
      this.meter.start(component);
      this.emit(true);
    }
  }

  private entry(component: ComponentId): JournalComponent {
    const entry = this.journal.find((candidate) => candidate.component === component);
    if (entry === undefined) throw new RangeError(`component ${component} is not in the plan`);
    return entry;
  }

  /** Saves a transition; a newly committed component also closes its progress and timing. */
  private record(entry: JournalComponent): void {
    const index = this.journal.findIndex((candidate) => candidate.component === entry.component);
    const before = this.journal[index];
    this.journal[index] = entry;
    this.options.store.save(entry);
    if (entry.state === 'committed' && before?.state !== 'committed') {
      this.meter.finish(entry.component, 'committed');
      const timing = this.timings.get(entry.component);
      if (timing !== undefined) timing.finishedAt = new Date().toISOString();
      this.emit(true);
    }
  }

  private emit(force: boolean): void {
    const onProgress = this.options.onProgress;
    if (onProgress === undefined) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < (this.options.progressIntervalMs ?? 250)) return;
    this.lastEmit = now;
    onProgress(this.meter.snapshot());
  }
}

/** Applies what the rack says about an import to the journal entry. */
export function applyStatus(
  entry: JournalComponent,
  status: ImportStatus | null,
): JournalComponent {
  if (status === null) return transitions.restarted(entry);
  // Bytes first: the catalog journal commits only a component whose bytes are all confirmed.
  let next = entry;
  for (const [name, bytes] of Object.entries(status.received)) {
    if (next.confirmed[name] !== bytes) next = transitions.confirmed(next, name, bytes);
  }
  return status.committed && status.digest !== null
    ? transitions.committed(next, status.digest)
    : next;
}

function asInternal(error: unknown): LifeboatError {
  const message = error instanceof Error ? error.message : String(error);
  return CommonErrors.create('INTERNAL', `Unexpected failure during the restore: ${message}`, {
    cause: error,
  });
}
