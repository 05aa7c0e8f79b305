/**
 * The restore journal kept in the catalog, seen through the executor's `JournalStore` port,
 * and the run's context (what `resume` needs besides secrets) kept beside the reports.
 *
 * The catalog journal is the record that makes a recovery resumable; it refuses by itself to
 * commit a component twice or to move confirmed bytes backwards, so this adapter translates
 * each transition into exactly the catalog calls that express it.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type {
  Catalog,
  JournalComponent as CatalogComponent,
  RestoreRun,
} from '../catalog/index.js';
import { isComponentId, type ComponentId } from './components.js';
import { RecoveryErrors } from './errors.js';
import { FILE_ID, readTextIfExists, writeFileAtomic } from './files.js';
import type { JournalComponent, RestorePlan } from './plan.js';
import type { JournalStore } from './restore.js';

export class CatalogJournal implements JournalStore {
  private constructor(
    private readonly catalog: Catalog,
    readonly runId: string,
  ) {}

  /** Opens a new journal for the plan, every component pending. */
  static start(
    catalog: Catalog,
    plan: RestorePlan,
    targetRack: string,
    runId: string,
  ): CatalogJournal {
    catalog.journals.start({
      runId,
      backupId: plan.backupId,
      targetRack,
      components: plan.components.map((entry) => ({
        name: entry.component,
        artifacts: entry.artifacts.map((artifact) => ({
          name: artifact.name,
          bytes: artifact.size,
        })),
      })),
    });
    return new CatalogJournal(catalog, runId);
  }

  static existing(catalog: Catalog, runId: string): CatalogJournal {
    catalog.journals.require(runId);
    return new CatalogJournal(catalog, runId);
  }

  run(): RestoreRun {
    return this.catalog.journals.require(this.runId);
  }

  load(): JournalComponent[] {
    return this.run().components.map(fromCatalog);
  }

  save(entry: JournalComponent): void {
    const journals = this.catalog.journals;
    const current = this.current(entry.component);
    if (entry.state === 'pending') {
      if (current.state !== 'pending' || current.artifacts.some((a) => a.bytesConfirmed > 0)) {
        journals.resetComponent(this.runId, entry.component);
      }
      return;
    }
    this.syncUpload(entry, current);
    if (entry.state === 'committed' && entry.committedDigest !== null) {
      journals.commit(this.runId, entry.component, entry.committedDigest);
    }
  }

  finish(outcome: 'succeeded' | 'failed' | 'abandoned'): void {
    this.catalog.journals.finish(this.runId, outcome);
  }

  /** Brings the catalog's import id and confirmed bytes to the entry's. */
  private syncUpload(entry: JournalComponent, current: CatalogComponent): void {
    const journals = this.catalog.journals;
    if (entry.importId === null) return;
    const wentBack = current.artifacts.some(
      (artifact) => (entry.confirmed[artifact.name] ?? 0) < artifact.bytesConfirmed,
    );
    // The catalog never moves bytes backwards; the rack discarding bytes (a digest mismatch)
    // or a new import id means this component starts again in the journal too.
    if (current.state === 'uploading' && (current.importId !== entry.importId || wentBack)) {
      journals.resetComponent(this.runId, entry.component);
      current = this.current(entry.component);
    }
    if (current.state === 'pending')
      journals.markUploading(this.runId, entry.component, entry.importId);
    for (const artifact of current.artifacts) {
      const wanted = entry.confirmed[artifact.name] ?? 0;
      const already = current.state === 'pending' ? 0 : artifact.bytesConfirmed;
      if (wanted > already)
        journals.confirmBytes(this.runId, entry.component, artifact.name, wanted);
    }
  }

  private current(component: ComponentId): CatalogComponent {
    const found = this.run().components.find((candidate) => candidate.name === component);
    if (found === undefined) {
      throw RecoveryErrors.create(
        'RECOVERY_JOURNAL_MISMATCH',
        `Component ${component} is not part of recovery ${this.runId}.`,
      );
    }
    return found;
  }
}

function fromCatalog(component: CatalogComponent): JournalComponent {
  if (!isComponentId(component.name)) {
    throw RecoveryErrors.create(
      'RECOVERY_JOURNAL_MISMATCH',
      `The restore journal names an unknown component "${component.name}".`,
    );
  }
  return {
    component: component.name,
    state: component.state,
    importId: component.importId,
    confirmed: Object.fromEntries(component.artifacts.map((a) => [a.name, a.bytesConfirmed])),
    committedDigest: component.committedDigest,
  };
}

/** Everything `resume` needs to carry on, except secrets (asked for again). */
export const RunContextSchema = z.object({
  runId: z.string().regex(FILE_ID),
  kind: z.enum(['recovery', 'heal', 'drill']),
  backupId: z.string().min(1),
  location: z.string().min(1),
  rack: z.object({
    url: z.string().min(1),
    fingerprint: z.string().min(1),
    username: z.string().min(1),
  }),
  components: z.array(z.string()),
  operator: z.object({ user: z.string(), host: z.string() }),
  startedAt: z.string(),
  resumes: z.number().int().nonnegative(),
});
export type RunContext = z.infer<typeof RunContextSchema>;

function runsFolder(home: string): string {
  return join(home, 'recovery', 'runs');
}

export async function saveRunContext(home: string, context: RunContext): Promise<void> {
  await writeFileAtomic(
    runsFolder(home),
    `${context.runId}.json`,
    `${JSON.stringify(context, null, 2)}\n`,
  );
}

export async function loadRunContext(home: string, runId: string): Promise<RunContext> {
  const text = FILE_ID.test(runId)
    ? await readTextIfExists(join(runsFolder(home), `${runId}.json`))
    : undefined;
  const parsed = text === undefined ? undefined : RunContextSchema.safeParse(safeJson(text));
  if (parsed === undefined || !parsed.success) {
    throw RecoveryErrors.create(
      'RECOVERY_NOTHING_TO_RESUME',
      `The context of recovery ${runId} is missing or unreadable in this profile.`,
    );
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
