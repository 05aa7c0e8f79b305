/**
 * The restore plan and its state machine, as pure functions over a journal.
 *
 * The journal (kept in the catalog) is what makes a recovery resumable: for each component it
 * records whether it is pending, uploading (with the rack's import id and the bytes of each
 * artifact the rack confirmed) or committed (with the digest the rack returned). `nextStep`
 * reads it and says what to do next; the executor does that one thing, records the outcome and
 * asks again. So after any drop the next run continues with the first unfinished component, from
 * the last confirmed byte of its artifact, and a committed component is never committed again.
 */
import { RecoveryErrors } from './errors.js';
import { RESTORE_ORDER, inRestoreOrder, type ComponentId } from './components.js';

export interface PlannedArtifact {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

export interface PlannedComponent {
  readonly component: ComponentId;
  readonly artifacts: readonly PlannedArtifact[];
  /** The rack's state digest recorded when the backup was taken. */
  readonly digestAtBackup: string;
}

export interface RestorePlan {
  readonly backupId: string;
  readonly components: readonly PlannedComponent[];
  readonly totalBytes: number;
}

/** The part of a backup manifest the plan needs, whatever the repository's exact types. */
export interface BackupComponentSummary {
  readonly component: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly stateDigest: string | undefined;
  readonly artifacts: readonly PlannedArtifact[];
}

/**
 * Builds the plan: the chosen components (all of them by default) in restore order. A chosen
 * component the backup does not hold in a Succeeded state, or without a recorded digest, is
 * refused now, before the rack is touched.
 */
export function planRestore(
  backupId: string,
  components: readonly BackupComponentSummary[],
  only?: readonly ComponentId[],
): RestorePlan {
  const byId = new Map(components.map((entry) => [entry.component, entry]));
  const chosen = inRestoreOrder(only ?? RESTORE_ORDER);
  const planned = chosen.map((component) =>
    planComponent(backupId, component, byId.get(component)),
  );
  const totalBytes = planned.reduce((sum, entry) => sum + componentBytes(entry), 0);
  return { backupId, components: planned, totalBytes };
}

function planComponent(
  backupId: string,
  component: ComponentId,
  entry: BackupComponentSummary | undefined,
): PlannedComponent {
  if (entry === undefined || entry.status !== 'Succeeded') {
    const why = entry === undefined ? 'does not hold' : `holds only a ${entry.status} copy of`;
    throw RecoveryErrors.create(
      'RECOVERY_COMPONENT_NOT_RESTORABLE',
      `Backup ${backupId} ${why} component ${component}${entry?.reason ? ` (${entry.reason})` : ''}.`,
      { details: { backupId, component } },
    );
  }
  if (entry.stateDigest === undefined || entry.stateDigest === '') {
    throw RecoveryErrors.create(
      'RECOVERY_NO_DIGEST_RECORDED',
      `Backup ${backupId} records no state digest for component ${component}.`,
      { details: { backupId, component } },
    );
  }
  return { component, artifacts: entry.artifacts, digestAtBackup: entry.stateDigest };
}

export function componentBytes(component: PlannedComponent): number {
  return component.artifacts.reduce((sum, artifact) => sum + artifact.size, 0);
}

export type ComponentState = 'pending' | 'uploading' | 'committed';

export interface JournalComponent {
  readonly component: ComponentId;
  readonly state: ComponentState;
  /** The rack's import id while uploading. */
  readonly importId: string | null;
  /** Bytes of each artifact the rack confirmed it holds. */
  readonly confirmed: Readonly<Record<string, number>>;
  /** The digest the rack returned on commit. */
  readonly committedDigest: string | null;
}

export type RestoreStep =
  | { readonly kind: 'begin'; readonly component: ComponentId }
  | {
      readonly kind: 'upload';
      readonly component: ComponentId;
      readonly importId: string;
      readonly artifact: PlannedArtifact;
      readonly offset: number;
    }
  | { readonly kind: 'commit'; readonly component: ComponentId; readonly importId: string }
  | { readonly kind: 'done' };

/** A fresh journal: every planned component pending. */
export function initialJournal(plan: RestorePlan): JournalComponent[] {
  return plan.components.map((entry) => pendingEntry(entry.component));
}

export function pendingEntry(component: ComponentId): JournalComponent {
  return { component, state: 'pending', importId: null, confirmed: {}, committedDigest: null };
}

/** What to do next: the first component in plan order that is not committed. */
export function nextStep(plan: RestorePlan, journal: readonly JournalComponent[]): RestoreStep {
  const entries = new Map(journal.map((entry) => [entry.component, entry]));
  for (const planned of plan.components) {
    const entry = entries.get(planned.component) ?? pendingEntry(planned.component);
    if (entry.state === 'committed') continue;
    if (entry.state === 'pending' || entry.importId === null) {
      return { kind: 'begin', component: planned.component };
    }
    const unfinished = planned.artifacts.find(
      (artifact) => (entry.confirmed[artifact.name] ?? 0) < artifact.size,
    );
    if (unfinished !== undefined) {
      return {
        kind: 'upload',
        component: planned.component,
        importId: entry.importId,
        artifact: unfinished,
        offset: entry.confirmed[unfinished.name] ?? 0,
      };
    }
    return { kind: 'commit', component: planned.component, importId: entry.importId };
  }
  return { kind: 'done' };
}

/** Journal transitions; each returns a new entry and refuses an impossible one. */
export const transitions = {
  begun(entry: JournalComponent, importId: string): JournalComponent {
    assertNotCommitted(entry);
    return { ...entry, state: 'uploading', importId, confirmed: {} };
  },
  /** The rack's own count of received bytes is the truth; a smaller count after a drop wins. */
  confirmed(entry: JournalComponent, artifact: string, bytes: number): JournalComponent {
    assertNotCommitted(entry);
    return { ...entry, confirmed: { ...entry.confirmed, [artifact]: bytes } };
  },
  committed(entry: JournalComponent, digest: string): JournalComponent {
    assertNotCommitted(entry);
    return { ...entry, state: 'committed', committedDigest: digest };
  },
  /** The rack forgot the import (it was redeployed or the import expired): start over. */
  restarted(entry: JournalComponent): JournalComponent {
    assertNotCommitted(entry);
    return pendingEntry(entry.component);
  },
};

function assertNotCommitted(entry: JournalComponent): void {
  if (entry.state === 'committed') {
    throw RecoveryErrors.create(
      'RECOVERY_JOURNAL_MISMATCH',
      `Component ${entry.component} is already committed; it is never restored twice in one recovery.`,
    );
  }
}

/** Bytes already on the rack for the plan, per component (used to seed progress on resume). */
export function confirmedBytes(
  plan: RestorePlan,
  journal: readonly JournalComponent[],
): Map<ComponentId, number> {
  const entries = new Map(journal.map((entry) => [entry.component, entry]));
  const result = new Map<ComponentId, number>();
  for (const planned of plan.components) {
    const entry = entries.get(planned.component);
    const bytes =
      entry === undefined
        ? 0
        : entry.state === 'committed'
          ? componentBytes(planned)
          : planned.artifacts.reduce(
              (sum, artifact) => sum + Math.min(entry.confirmed[artifact.name] ?? 0, artifact.size),
              0,
            );
    result.set(planned.component, bytes);
  }
  return result;
}
