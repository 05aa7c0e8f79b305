/**
 * `mutate` changes a rack the way a living one changes: appends after the last record, updates
 * on a hot window of rows that stays in place, a few deletes at the start of unreferenced kinds,
 * and cold documents left alone; so the changed bytes of a large artifact cluster, which is what
 * an incremental backup's content-defined chunks see. Deterministic from the seed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_IDS, type ComponentId } from '../../shared/rack-api.js';
import { ARTIFACTS, artifactSpec } from '../../lab-rack/data.js';
import { changesOnMutate, planChange } from '../../lab-rack/mutation.js';
import { RackStore, forEachRecord, type MutationCounts } from '../../lab-rack/store.js';

describe('planChange', () => {
  const updated = { growth: 0.1, deletes: 0, mutable: true };
  const appendOnly = { growth: 1, deletes: 0.1, mutable: false };

  it('splits the touched records into appends, hot updates and a few deletes', () => {
    expect(planChange(updated, 1000, 1000, 5, 0.5)).toEqual({
      deletes: 0,
      hotFrom: 500,
      updates: 45,
      appendFrom: 1000,
      appends: 5,
    });
    expect(planChange(appendOnly, 1000, 1200, 5, 0.5)).toEqual({
      deletes: 6,
      hotFrom: 500,
      updates: 0,
      appendFrom: 1200,
      appends: 54,
    });
  });

  it('keeps the hot window in one run of generated rows, whatever the percent', () => {
    const frozen = { growth: 0, deletes: 0, mutable: true };
    expect(planChange(frozen, 100, 100, 50, 0.99)).toMatchObject({ hotFrom: 50, updates: 50 });
    expect(planChange(frozen, 100, 130, 100, 0.99)).toMatchObject({ hotFrom: 0, updates: 100 });
    expect(planChange(frozen, 100, 100, 1, 0.37)).toMatchObject({ hotFrom: 37, updates: 1 });
  });

  it('never changes a document', () => {
    expect(changesOnMutate({ growth: 0, deletes: 0, mutable: false })).toBe(false);
    expect(changesOnMutate(appendOnly)).toBe(true);
  });
});

const root = mkdtempSync(join(tmpdir(), 'lab-rack-mutate-'));
let rack: RackStore;
let twin: RackStore;
let counts: MutationCounts;
let digestsBefore: Record<ComponentId, string>;
const before = new Map<string, string[]>();
const after = new Map<string, string[]>();
const documentsBefore = new Map<string, string>();

/** The records of one exported artifact, in export order. */
function exportRecords(store: RackStore, component: ComponentId, name: string): string[] {
  const spec = artifactSpec(component, name);
  if (spec === undefined) throw new Error(`no artifact ${component}/${name}`);
  const exported = store.createExport(component, new Date());
  const records: string[] = [];
  forEachRecord(join(store.exportDir(exported.id), name), spec, (value) => records.push(value));
  store.deleteExport(exported.id);
  return records;
}

function exportSha(store: RackStore, component: ComponentId, name: string): string {
  const exported = store.createExport(component, new Date());
  const bytes = readFileSync(join(store.exportDir(exported.id), name));
  store.deleteExport(exported.id);
  return createHash('sha256').update(bytes).digest('hex');
}

const WATCHED: [ComponentId, string][] = [
  ['deployment', 'ece-state.sql'],
  ['ca', 'issued.sql'],
  ['rbac', 'role-assignments.sql'],
];
/** The CA certificates, the deployment inputs, the federation metadata. */
const DOCUMENTS = COMPONENT_IDS.flatMap((component) =>
  ARTIFACTS[component]
    .filter((spec) => spec.framing === 'document')
    .map((spec): [ComponentId, string] => [component, spec.name]),
);

beforeAll(() => {
  rack = RackStore.open(join(root, 'rack'), { seed: 5, scale: 'small', version: '1.4.0' });
  twin = RackStore.open(join(root, 'twin'), { seed: 5, scale: 'small', version: '1.4.0' });
  digestsBefore = rack.digests();
  for (const [component, name] of WATCHED) before.set(name, exportRecords(rack, component, name));
  for (const [component, name] of DOCUMENTS)
    documentsBefore.set(name, exportSha(rack, component, name));
  counts = rack.mutate(5);
  twin.mutate(5);
  for (const [component, name] of WATCHED) after.set(name, exportRecords(rack, component, name));
});
afterAll(() => {
  rack?.close();
  twin?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Records of `next` absent from `previous`, as indexes into `next`. */
function changedRecords(previous: readonly string[], next: readonly string[]): number[] {
  const old = new Set(previous);
  return next.flatMap((record, index) => (old.has(record) ? [] : [index]));
}

/** Keys of the ece-state records that are in both and differ. */
function updatedKeys(previous: readonly string[], next: readonly string[]): string[] {
  const spec = artifactSpec('deployment', 'ece-state.sql');
  if (spec === undefined) throw new Error('no ece-state.sql');
  const old = new Map(previous.map((record) => [spec.keyOf(record), record]));
  return next.flatMap((record) => {
    const was = old.get(spec.keyOf(record));
    return was === undefined || was === record ? [] : [spec.keyOf(record)];
  });
}

/** Runs of consecutive indexes: [3, 4, 5, 9] has two. */
function runs(indexes: readonly number[]): number {
  return indexes.filter((index, k) => k === 0 || indexes[k - 1] !== index - 1).length;
}

/**
 * The share of fixed blocks of the new artifact that hold changed bytes. Measured on records, so
 * a record that grew by a byte does not shift every block after it: what a content-defined
 * chunker sees.
 */
function changedBlockShare(next: readonly string[], changed: readonly number[], block: number) {
  const dirty = new Set<number>();
  let offset = 0;
  const starts = next.map((record) => {
    const start = offset;
    offset += Buffer.byteLength(record) + 1;
    return start;
  });
  for (const index of changed) {
    const start = starts[index] as number;
    const end = start + Buffer.byteLength(next[index] as string);
    for (let b = Math.floor(start / block); b <= Math.floor(end / block); b++) dirty.add(b);
  }
  return dirty.size / Math.ceil(offset / block);
}

describe('mutate --percent 5 on a small rack', () => {
  it('changes, adds and removes records', () => {
    expect(counts.changed).toBeGreaterThan(0);
    expect(counts.added).toBeGreaterThan(0);
    expect(counts.deleted).toBeGreaterThan(0);
    const digests = rack.digests();
    for (const component of ['deployment', 'identity', 'ca', 'keyvault', 'rbac'] as const)
      expect(digests[component], component).not.toBe(digestsBefore[component]);
  });

  it('concentrates the changed bytes of ece-state.sql in the hot rows and the appended tail', () => {
    const previous = before.get('ece-state.sql') as string[];
    const next = after.get('ece-state.sql') as string[];
    const changed = changedRecords(previous, next);
    expect(changed.length).toBeGreaterThan(1);
    expect(changed.at(-1)).toBe(next.length - 1); // a new record, last in the artifact
    expect(runs(changed)).toBeLessThanOrEqual(2);
    // 64 KiB blocks of this 4 MiB artifact stand for the 1 MiB chunks of a medium rack's 381 MiB.
    expect(changedBlockShare(next, changed, 64 * 1024)).toBeLessThan(0.12);
  });

  it('appends certificates and role assignments after the last one, revoking the oldest', () => {
    const issuedBefore = before.get('issued.sql') as string[];
    const issuedAfter = after.get('issued.sql') as string[];
    expect(issuedAfter.length).toBeGreaterThan(issuedBefore.length);
    expect(issuedAfter.slice(0, issuedBefore.length)).toEqual(issuedBefore);
    const assignmentsBefore = before.get('role-assignments.sql') as string[];
    const assignmentsAfter = after.get('role-assignments.sql') as string[];
    const revoked = assignmentsBefore.findIndex((record) => record === assignmentsAfter[0]);
    expect(revoked).toBeGreaterThan(0);
    const kept = assignmentsBefore.slice(revoked);
    expect(assignmentsAfter.length).toBeGreaterThan(kept.length);
    expect(assignmentsAfter.slice(0, kept.length)).toEqual(kept);
  });

  it('leaves the CA certificates, the deployment inputs and the federation metadata alone', () => {
    expect(DOCUMENTS.length).toBe(4);
    for (const [component, name] of DOCUMENTS)
      expect(exportSha(rack, component, name), name).toBe(documentsBefore.get(name));
  });

  it('is the same from the same seed, and updates the same hot rows again next time', () => {
    const first = after.get('ece-state.sql') as string[];
    rack.mutate(5);
    twin.mutate(5);
    const second = exportRecords(rack, 'deployment', 'ece-state.sql');
    expect(exportSha(twin, 'deployment', 'ece-state.sql')).toBe(
      exportSha(rack, 'deployment', 'ece-state.sql'),
    );
    const a = rack.digests();
    const b = twin.digests();
    for (const component of COMPONENT_IDS)
      if (component !== 'ca') expect(a[component], component).toBe(b[component]);
    const hot = updatedKeys(before.get('ece-state.sql') as string[], first);
    expect(hot.length).toBeGreaterThan(0);
    expect(updatedKeys(first, second)).toEqual(hot);
  });
});
