import { describe, expect, it } from 'vitest';
import {
  RESTORE_ORDER,
  inRestoreOrder,
  parseComponentId,
} from '../../electron/recovery/components.js';
import { RecoveryErrors } from '../../electron/recovery/errors.js';
import {
  confirmedBytes,
  initialJournal,
  nextStep,
  planRestore,
  transitions,
  type BackupComponentSummary,
  type JournalComponent,
  type RestorePlan,
  type RestoreStep,
} from '../../electron/recovery/plan.js';
import { applyStatus } from '../../electron/recovery/restore.js';

function backupOf(sizes: Record<string, number[]>): BackupComponentSummary[] {
  return Object.entries(sizes).map(([component, artifactSizes]) => ({
    component,
    status: 'Succeeded',
    stateDigest: `digest-${component}`,
    artifacts: artifactSizes.map((size, index) => ({ name: `a${index}`, size, sha256: 'x' })),
  }));
}

const everything = Object.fromEntries(RESTORE_ORDER.map((id) => [id, [100, 50]]));

/** Runs the state machine like the executor does, with an optional drop after N steps. */
function drive(plan: RestorePlan, journal: JournalComponent[], dropAfter = Infinity) {
  const commits: string[] = [];
  let steps = 0;
  let imports = 0;
  for (;;) {
    const step: RestoreStep = nextStep(plan, journal);
    if (step.kind === 'done' || steps++ >= dropAfter)
      return { journal, commits, done: step.kind === 'done' };
    const index = journal.findIndex((entry) => entry.component === step.component);
    const entry = journal[index] as JournalComponent;
    if (step.kind === 'begin') journal[index] = transitions.begun(entry, `import-${++imports}`);
    if (step.kind === 'upload') {
      // Uploads arrive in halves so a drop can land in the middle of an artifact.
      const half = Math.ceil((step.artifact.size - step.offset) / 2);
      journal[index] = transitions.confirmed(entry, step.artifact.name, step.offset + half);
    }
    if (step.kind === 'commit') {
      commits.push(step.component);
      journal[index] = transitions.committed(entry, `digest-${step.component}`);
    }
  }
}

describe('restore plan', () => {
  it('orders components by dependency whatever order the backup lists them in', () => {
    const reversed = backupOf(everything).reverse();
    const plan = planRestore('b1', reversed);
    expect(plan.components.map((entry) => entry.component)).toEqual([...RESTORE_ORDER]);
    expect(plan.totalBytes).toBe(1500);
    expect(inRestoreOrder(['rbac', 'deployment', 'keyvault', 'rbac'])).toEqual([
      'deployment',
      'keyvault',
      'rbac',
    ]);
  });

  it('restores a single component on its own', () => {
    const plan = planRestore('b1', backupOf(everything), ['keyvault']);
    expect(plan.components.map((entry) => entry.component)).toEqual(['keyvault']);
    expect(plan.components[0]?.digestAtBackup).toBe('digest-keyvault');
  });

  it('refuses a component the backup holds no good copy of, or no digest for', () => {
    const components = backupOf(everything).map((entry) =>
      entry.component === 'crp'
        ? { ...entry, status: 'Failed', reason: 'export timed out' }
        : entry,
    );
    expect(() => planRestore('b1', components)).toThrow(
      /holds only a Failed copy of component crp \(export timed out\)/,
    );
    const noDigest = backupOf(everything).map((entry) =>
      entry.component === 'ca' ? { ...entry, stateDigest: undefined } : entry,
    );
    expect(() => planRestore('b1', noDigest)).toThrow(/no state digest for component ca/);
    expect(() => planRestore('b1', backupOf({ deployment: [1] }))).toThrow(
      /does not hold component identity/,
    );
    expect(() => parseComponentId('tenant-vms')).toThrow(/not a rack component/);
  });
});

describe('restore state machine', () => {
  it('begins, uploads each artifact, commits, in order, and ends', () => {
    const plan = planRestore('b1', backupOf(everything));
    const { commits, done } = drive(plan, initialJournal(plan));
    expect(done).toBe(true);
    expect(commits).toEqual([...RESTORE_ORDER]);
  });

  it('resumes after a drop at every possible step without committing anything twice', () => {
    const plan = planRestore('b1', backupOf(everything));
    const uninterrupted = drive(plan, initialJournal(plan)).journal;
    for (let dropAfter = 0; dropAfter < 120; dropAfter += 1) {
      const first = drive(plan, initialJournal(plan), dropAfter);
      const second = drive(plan, first.journal);
      expect(second.done).toBe(true);
      const all = [...first.commits, ...second.commits];
      expect(all).toEqual([...RESTORE_ORDER]);
      expect(second.journal.map((entry) => entry.state)).toEqual(
        uninterrupted.map((entry) => entry.state),
      );
    }
  });

  it('continues a partly uploaded artifact from its last confirmed byte', () => {
    const plan = planRestore('b1', backupOf(everything));
    const journal = initialJournal(plan).map((entry) => {
      if (entry.component === 'deployment')
        return transitions.committed(transitions.begun(entry, 'i0'), 'd');
      if (entry.component === 'identity')
        return transitions.confirmed(
          transitions.confirmed(transitions.begun(entry, 'i1'), 'a0', 100),
          'a1',
          17,
        );
      return entry;
    });
    expect(nextStep(plan, journal)).toMatchObject({
      kind: 'upload',
      component: 'identity',
      importId: 'i1',
      offset: 17,
      artifact: { name: 'a1' },
    });
    expect(confirmedBytes(plan, journal).get('deployment')).toBe(150);
    expect(confirmedBytes(plan, journal).get('identity')).toBe(117);
  });

  it('refuses to touch a committed component, and restarts a forgotten import from zero', () => {
    const plan = planRestore('b1', backupOf({ ...everything }), ['keyvault']);
    const [entry] = initialJournal(plan) as [JournalComponent];
    const committed = transitions.committed(transitions.begun(entry, 'i'), 'd');
    let caught: unknown;
    try {
      transitions.committed(committed, 'again');
    } catch (error) {
      caught = error;
    }
    expect(RecoveryErrors.is(caught, 'RECOVERY_JOURNAL_MISMATCH')).toBe(true);
    const partial = transitions.confirmed(transitions.begun(entry, 'i'), 'a0', 40);
    expect(nextStep(plan, [transitions.restarted(partial)])).toEqual({
      kind: 'begin',
      component: 'keyvault',
    });
  });
});

describe('what the rack says about an import', () => {
  const plan = planRestore('b1', backupOf(everything), ['keyvault']);
  const [fresh] = initialJournal(plan) as [JournalComponent];
  const uploading = transitions.confirmed(transitions.begun(fresh, 'imp-1'), 'a0', 30);

  it('takes the rack byte counts as the truth', () => {
    const next = applyStatus(uploading, {
      committed: false,
      digest: null,
      received: { a0: 100, a1: 7 },
    });
    expect(next.confirmed).toEqual({ a0: 100, a1: 7 });
    expect(nextStep(plan, [next])).toMatchObject({ kind: 'upload', offset: 7 });
  });

  it('records a commit whose answer was lost instead of committing again', () => {
    const next = applyStatus(uploading, {
      committed: true,
      digest: 'digest-keyvault',
      received: { a0: 100, a1: 50 },
    });
    expect(next).toMatchObject({
      state: 'committed',
      committedDigest: 'digest-keyvault',
      confirmed: { a0: 100, a1: 50 },
    });
    expect(nextStep(plan, [next])).toEqual({ kind: 'done' });
  });

  it('starts over when the rack no longer knows the import', () => {
    expect(applyStatus(uploading, null)).toMatchObject({
      state: 'pending',
      importId: null,
      confirmed: {},
    });
  });
});
