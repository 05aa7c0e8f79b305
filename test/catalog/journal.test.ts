/** Restore journals: resume with the first unfinished component, never commit one twice. */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog, type RestoreRun } from '../../electron/catalog/index.js';
import { caught, tempHome } from './helpers.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

let home: string;
let cleanup: () => void;
let catalog: Catalog;
let run: RestoreRun;
beforeEach(() => {
  ({ home, cleanup } = tempHome());
  catalog = openCatalog({ home });
  run = catalog.journals.start({
    backupId: randomUUID(),
    targetRack: 'https://rack.local:8443',
    components: [
      {
        name: 'identity',
        artifacts: [
          { name: 'users.json', bytes: 100 },
          { name: 'groups.json', bytes: 50 },
        ],
      },
      { name: 'keyvault', artifacts: [{ name: 'vaults.json', bytes: 1000 }] },
      { name: 'rbac', artifacts: [] },
    ],
  });
});
afterEach(() => {
  catalog.close();
  cleanup();
});

function commitIdentity(): void {
  catalog.journals.markUploading(run.id, 'identity', 'import-1');
  catalog.journals.confirmBytes(run.id, 'identity', 'users.json', 100);
  catalog.journals.confirmBytes(run.id, 'identity', 'groups.json', 50);
  catalog.journals.commit(run.id, 'identity', digest('a'));
}

describe('restore journal', () => {
  it('lists the components in order, all pending', () => {
    expect(run.components.map((c) => [c.name, c.position, c.state])).toEqual([
      ['identity', 0, 'pending'],
      ['keyvault', 1, 'pending'],
      ['rbac', 2, 'pending'],
    ]);
    expect(catalog.journals.nextComponent(run.id)?.name).toBe('identity');
  });

  it('resumes after a crash with the first unfinished component and its confirmed bytes', () => {
    commitIdentity();
    catalog.journals.markUploading(run.id, 'keyvault', 'import-2');
    catalog.journals.confirmBytes(run.id, 'keyvault', 'vaults.json', 400);
    catalog.close();

    catalog = openCatalog({ home });
    expect(catalog.journals.list({ unfinishedOnly: true }).map((r) => r.id)).toEqual([run.id]);
    const next = catalog.journals.nextComponent(run.id);
    expect(next).toMatchObject({ name: 'keyvault', state: 'uploading', importId: 'import-2' });
    expect(next?.artifacts).toEqual([
      { name: 'vaults.json', totalBytes: 1000, bytesConfirmed: 400 },
    ]);
    expect(catalog.journals.require(run.id).components[0]).toMatchObject({
      state: 'committed',
      committedDigest: digest('a'),
    });
  });

  it('never commits a component twice, nor touches it after', () => {
    commitIdentity();
    for (const attempt of [
      () => catalog.journals.commit(run.id, 'identity', digest('b')),
      () => catalog.journals.markUploading(run.id, 'identity', 'import-9'),
      () => catalog.journals.confirmBytes(run.id, 'identity', 'users.json', 100),
      () => catalog.journals.resetComponent(run.id, 'identity'),
    ]) {
      expect(caught(attempt).code).toBe('CATALOG_JOURNAL_CONFLICT');
    }
    const raw = new Database(catalog.file);
    expect(() =>
      raw.prepare("UPDATE restore_components SET state = 'pending' WHERE name = 'identity'").run(),
    ).toThrow(/committed component is final/);
    raw.close();
    expect(catalog.journals.require(run.id).components[0]?.committedDigest).toBe(digest('a'));
  });

  it('refuses to commit before every artifact is confirmed, or without an import', () => {
    expect(caught(() => catalog.journals.commit(run.id, 'identity', digest('a'))).message).toMatch(
      /no import/,
    );
    catalog.journals.markUploading(run.id, 'identity', 'import-1');
    catalog.journals.confirmBytes(run.id, 'identity', 'users.json', 100);
    const short = caught(() => catalog.journals.commit(run.id, 'identity', digest('a')));
    expect(short.code).toBe('CATALOG_JOURNAL_CONFLICT');
    expect(short.message).toMatch(/groups.json has 0 of 50 bytes/);
  });

  it('keeps confirmed bytes from going backwards or past the total, unless the component is reset', () => {
    catalog.journals.markUploading(run.id, 'keyvault', 'import-2');
    catalog.journals.confirmBytes(run.id, 'keyvault', 'vaults.json', 600);
    expect(
      caught(() => catalog.journals.confirmBytes(run.id, 'keyvault', 'vaults.json', 500)).code,
    ).toBe('CATALOG_INVALID_INPUT');
    expect(
      caught(() => catalog.journals.confirmBytes(run.id, 'keyvault', 'vaults.json', 1001)).code,
    ).toBe('CATALOG_INVALID_INPUT');
    expect(
      caught(() => catalog.journals.confirmBytes(run.id, 'keyvault', 'nope.json', 1)).code,
    ).toBe('CATALOG_NOT_FOUND');
    const reset = catalog.journals.resetComponent(run.id, 'keyvault');
    expect(reset).toMatchObject({ state: 'pending', importId: null });
    expect(reset.artifacts[0]?.bytesConfirmed).toBe(0);
  });

  it('finishes as succeeded only when every component is committed, and only once', () => {
    expect(caught(() => catalog.journals.finish(run.id, 'succeeded')).code).toBe(
      'CATALOG_JOURNAL_CONFLICT',
    );
    commitIdentity();
    for (const name of ['keyvault', 'rbac']) {
      catalog.journals.markUploading(run.id, name, `import-${name}`);
      if (name === 'keyvault') catalog.journals.confirmBytes(run.id, name, 'vaults.json', 1000);
      catalog.journals.commit(run.id, name, digest('c'));
    }
    expect(catalog.journals.nextComponent(run.id)).toBeNull();
    expect(catalog.journals.finish(run.id, 'succeeded').outcome).toBe('succeeded');
    expect(caught(() => catalog.journals.finish(run.id, 'failed')).code).toBe(
      'CATALOG_JOURNAL_CONFLICT',
    );
    expect(catalog.journals.list({ unfinishedOnly: true })).toEqual([]);
  });

  it('refuses a journal with repeated component names or a bad backup id', () => {
    const components = [
      { name: 'a', artifacts: [] },
      { name: 'a', artifacts: [] },
    ];
    expect(
      caught(() => catalog.journals.start({ backupId: randomUUID(), targetRack: 'r', components }))
        .code,
    ).toBe('CATALOG_INVALID_INPUT');
    expect(
      caught(() =>
        catalog.journals.start({ backupId: 'nope', targetRack: 'r', components: [components[0]!] }),
      ).code,
    ).toBe('CATALOG_INVALID_INPUT');
  });
});
