import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../electron/catalog/index.js';
import { CatalogJournal, loadRunContext, saveRunContext } from '../../electron/recovery/journal.js';
import { planRestore, transitions, type JournalComponent } from '../../electron/recovery/plan.js';

const digest = (c: string) => `${c.padEnd(16, '0')}`;
const plan = planRestore(
  randomUUID(),
  ['deployment', 'identity'].map((component) => ({
    component,
    status: 'Succeeded',
    stateDigest: digest(component),
    artifacts: [
      { name: 'a.sql', size: 100, sha256: 'x' },
      { name: 'b.sql', size: 10, sha256: 'y' },
    ],
  })),
  ['deployment', 'identity'],
);

describe('restore journal in the catalog', () => {
  let home: string;
  let catalog: Catalog;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'lifeboat-journal-'));
    catalog = openCatalog({ home });
  });
  afterAll(async () => {
    catalog.close();
    await rm(home, { recursive: true, force: true });
  });

  it('records each transition, survives reopening, and refuses a second commit', () => {
    const runId = randomUUID();
    const journal = CatalogJournal.start(catalog, plan, 'https://127.0.0.1:1', runId);
    let [deployment] = journal.load() as [JournalComponent];
    deployment = transitions.begun(deployment, 'imp-1');
    journal.save(deployment);
    deployment = transitions.confirmed(deployment, 'a.sql', 60);
    journal.save(deployment);
    catalog.close();
    catalog = openCatalog({ home });
    const reopened = CatalogJournal.existing(catalog, runId);
    expect(reopened.load()[0]).toEqual({
      component: 'deployment',
      state: 'uploading',
      importId: 'imp-1',
      confirmed: { 'a.sql': 60, 'b.sql': 0 },
      committedDigest: null,
    });
    deployment = transitions.confirmed(
      transitions.confirmed(deployment, 'a.sql', 100),
      'b.sql',
      10,
    );
    reopened.save(transitions.committed(deployment, digest('deployment')));
    expect(reopened.load()[0]?.state).toBe('committed');
    expect(() => reopened.save(transitions.committed(deployment, digest('deployment')))).toThrow(
      /already committed/,
    );
  });

  it('starts a component over when the rack forgot its import or discarded bytes', () => {
    const journal = CatalogJournal.start(catalog, plan, 'https://127.0.0.1:1', randomUUID());
    let [first] = journal.load() as [JournalComponent];
    first = transitions.confirmed(transitions.begun(first, 'imp-1'), 'a.sql', 80);
    journal.save(first);
    journal.save(transitions.confirmed(first, 'a.sql', 0));
    expect(journal.load()[0]).toMatchObject({ state: 'uploading', confirmed: { 'a.sql': 0 } });
    journal.save(transitions.begun(transitions.restarted(first), 'imp-2'));
    expect(journal.load()[0]).toMatchObject({ importId: 'imp-2', confirmed: { 'a.sql': 0 } });
    journal.save(transitions.restarted(first));
    expect(journal.load()[0]).toMatchObject({ state: 'pending', importId: null });
  });

  it('keeps the run context beside the reports and refuses a missing one', async () => {
    const context = {
      runId: randomUUID(),
      kind: 'recovery' as const,
      backupId: plan.backupId,
      location: '/srv/share',
      rack: { url: 'https://127.0.0.1:1', fingerprint: 'AA', username: 'operator' },
      components: ['deployment'],
      operator: { user: 'me', host: 'laptop' },
      startedAt: new Date().toISOString(),
      resumes: 0,
    };
    await saveRunContext(home, context);
    expect(await loadRunContext(home, context.runId)).toEqual(context);
    await expect(loadRunContext(home, randomUUID())).rejects.toMatchObject({
      code: 'RECOVERY_NOTHING_TO_RESUME',
    });
  });
});
