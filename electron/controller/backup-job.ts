/**
 * One backup run: export every component from the rack and stream it into the repository.
 *
 * The rules an operator relies on: a component that fails (the rack answers an error, drops for
 * good, or sends bytes that do not match what it announced) is recorded Failed with the reason
 * and the others go on, so the backup ends PartialSucceeded, never Succeeded; a storage failure
 * (full, denied, unreachable) ends the whole backup, since nothing more can be written; a cancel
 * aborts the writer, so no manifest is written and the backup is never listed. The job works
 * against the narrow interfaces below, which the rack client and the repository writer satisfy.
 */
import { Transform, type Readable } from 'node:stream';
import { isAbortError, type LifeboatError, asLifeboatError } from '../../shared/errors.js';
import type { ComponentName } from './contract-types.js';
import type { ProgressTracker } from './progress.js';

export interface ExportedArtifact {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

export interface RackExport {
  readonly exportId: string;
  readonly stateDigest: string;
  readonly artifacts: readonly ExportedArtifact[];
}

/** What a backup needs from the rack client. */
export interface RackExporter {
  startExport(component: ComponentName, signal?: AbortSignal): Promise<RackExport>;
  downloadArtifact(
    exportId: string,
    name: string,
    options: { signal?: AbortSignal },
  ): Promise<Readable> | Readable;
  /** Releases the export on the rack; failures here never fail a backup. */
  deleteExport?(exportId: string): Promise<void>;
}

/** What a backup needs from the repository's writer. */
export interface ArtifactSink {
  addArtifact(
    component: string,
    name: string,
    data: Readable,
    options: { expectedSize?: number; expectedSha256?: string; signal?: AbortSignal },
  ): Promise<unknown>;
  setComponentResult(
    component: string,
    result: {
      status: 'Succeeded' | 'Failed' | 'Skipped';
      reason?: string;
      meta?: Record<string, string>;
    },
  ): void;
}

export interface ComponentOutcome {
  readonly component: ComponentName;
  readonly status: 'Succeeded' | 'Failed';
  readonly reason: string | null;
  readonly errorCode: string | null;
  readonly stateDigest: string | null;
  readonly bytes: number;
}

export interface ExportAllOptions {
  readonly rack: RackExporter;
  readonly sink: ArtifactSink;
  readonly components: readonly ComponentName[];
  readonly progress: ProgressTracker;
  readonly signal: AbortSignal;
  /** Called whenever progress moved (the controller throttles what it emits). */
  readonly onProgress: () => void;
  readonly onComponentDone: (outcome: ComponentOutcome) => void;
  /** Decides whether an error ends the whole backup (storage) or only its component. */
  readonly isFatal: (error: LifeboatError) => boolean;
  readonly meta?: Record<string, string>;
}

/** How many components' exports are requested ahead of the one being streamed. */
const EXPORT_LOOKAHEAD = 2;

type Pending = Promise<{ ok: true; value: RackExport } | { ok: false; error: unknown }>;

/**
 * Exports the components in order, streaming one at a time into the writer while the rack
 * prepares the next snapshots (taking a snapshot costs a rack far more than sending it).
 * Throws on cancel or a fatal (storage) error, after releasing the exports it requested.
 */
export async function exportAll(options: ExportAllOptions): Promise<ComponentOutcome[]> {
  const outcomes: ComponentOutcome[] = [];
  const requested = new Map<ComponentName, Pending>();
  const request = (index: number) => {
    const component = options.components[index];
    if (component === undefined || requested.has(component)) return;
    requested.set(
      component,
      options.rack.startExport(component, options.signal).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
  };
  try {
    for (let index = 0; index < options.components.length; index++) {
      for (let ahead = 0; ahead <= EXPORT_LOOKAHEAD; ahead++) request(index + ahead);
      options.signal.throwIfAborted();
      const component = options.components[index] as ComponentName;
      const outcome = await exportComponent(
        component,
        requested.get(component) as Pending,
        options,
      );
      requested.delete(component);
      outcomes.push(outcome);
      options.onComponentDone(outcome);
    }
    return outcomes;
  } finally {
    // Exports requested ahead but never streamed (cancel, storage failure) are released.
    for (const pending of requested.values()) {
      void pending.then((p) => (p.ok ? releaseExport(options.rack, p.value.exportId) : undefined));
    }
  }
}

function releaseExport(rack: RackExporter, exportId: string): void {
  void rack.deleteExport?.(exportId).catch(() => undefined);
}

async function exportComponent(
  component: ComponentName,
  pending: Pending,
  options: ExportAllOptions,
): Promise<ComponentOutcome> {
  const { rack, sink, progress, signal } = options;
  let bytes = 0;
  let exportId: string | null = null;
  progress.start(component, null);
  options.onProgress();
  try {
    const answer = await pending;
    if (!answer.ok) throw answer.error;
    const exported = answer.value;
    exportId = exported.exportId;
    progress.start(
      component,
      exported.artifacts.reduce((sum, a) => sum + a.size, 0),
    );
    for (const artifact of exported.artifacts) {
      const source = await rack.downloadArtifact(exported.exportId, artifact.name, { signal });
      const counted = source.pipe(
        counter((n) => {
          bytes += n;
          progress.add(component, n);
          options.onProgress();
        }),
      );
      source.once('error', (error) => counted.destroy(error));
      await sink.addArtifact(component, artifact.name, counted, {
        expectedSize: artifact.size,
        expectedSha256: artifact.sha256,
        signal,
      });
    }
    sink.setComponentResult(component, {
      status: 'Succeeded',
      meta: { ...options.meta, stateDigest: exported.stateDigest, exportId: exported.exportId },
    });
    progress.finish(component, 'Succeeded');
    return {
      component,
      status: 'Succeeded',
      reason: null,
      errorCode: null,
      stateDigest: exported.stateDigest,
      bytes,
    };
  } catch (error) {
    if (signal.aborted || isAbortError(error)) throw error;
    const failure = asLifeboatError(error);
    if (options.isFatal(failure)) throw failure;
    const reason = `${failure.code}: ${failure.message}`;
    sink.setComponentResult(component, { status: 'Failed', reason });
    progress.finish(component, 'Failed', reason);
    return {
      component,
      status: 'Failed',
      reason,
      errorCode: failure.code,
      stateDigest: null,
      bytes,
    };
  } finally {
    if (exportId !== null) releaseExport(rack, exportId);
    options.onProgress();
  }
}

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}
