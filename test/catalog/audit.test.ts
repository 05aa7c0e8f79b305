/**
 * The hash-chained audit log: appends, verification, and tampering that the triggers refuse
 * or the chain detects (edits made with the sqlite3 command and with a raw connection that
 * drops the triggers first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../../electron/catalog/index.js';
import { caught, freshCatalog } from './helpers.js';

let catalog: Catalog;
let home: string;
let done: () => void;
beforeEach(() => {
  ({ catalog, home, done } = freshCatalog());
  catalog.audit.append({ actor: 'operator', action: 'config.set', details: { retentionDays: 7 } });
  catalog.audit.append({
    actor: 'operator',
    action: 'key.rotate',
    details: { epoch: 2, z: [1, { b: 1, a: 2 }] },
  });
  catalog.audit.append({
    actor: 'scheduler',
    action: 'backup.delete',
    details: { backupId: 'b-1' },
  });
});
afterEach(() => done());

function sqlite3(sql: string): void {
  const result = spawnSync('sqlite3', [catalog.file, sql], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
}

describe('audit log', () => {
  it('chains entries and verifies them', () => {
    const entries = catalog.audit.list();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]?.prevHash).toBe('0'.repeat(64));
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    expect(entries[1]?.details).toEqual({ epoch: 2, z: [1, { a: 2, b: 1 }] });
    expect(catalog.verifyAudit()).toEqual({ ok: true, entries: 3, headHash: entries[2]?.hash });
    expect(catalog.audit.list({ afterSeq: 2 }).map((e) => e.seq)).toEqual([3]);
  });

  it('refuses invalid entries and non-JSON details', () => {
    expect(caught(() => catalog.audit.append({ actor: '', action: 'x' })).code).toBe(
      'CATALOG_INVALID_INPUT',
    );
    expect(caught(() => catalog.audit.append({ actor: 'a', action: 'Not Dotted' })).code).toBe(
      'CATALOG_INVALID_INPUT',
    );
    expect(
      caught(() =>
        catalog.audit.append({ actor: 'a', action: 'key.new', details: { key: Buffer.from('k') } }),
      ).code,
    ).toBe('CATALOG_INVALID_INPUT');
  });

  it('refuses UPDATE and DELETE through its triggers', () => {
    const raw = new Database(catalog.file);
    expect(() => raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()).toThrow(
      /append-only/,
    );
    expect(() => raw.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/);
    raw.close();
    expect(catalog.verifyAudit().ok).toBe(true);
  });

  it('reports the first broken link when an entry is edited with the sqlite3 command', () => {
    sqlite3(
      `DROP TRIGGER audit_log_no_update; UPDATE audit_log SET details = '{"retentionDays":14}' WHERE seq = 1;`,
    );
    expect(catalog.verifyAudit()).toEqual({
      ok: false,
      entries: 0,
      firstBrokenSeq: 1,
      reason: 'entry 1 was changed after it was written',
    });
  });

  it('detects an entry removed from the middle, and a re-hashed entry that breaks the next link', () => {
    const raw = new Database(catalog.file);
    raw.exec('DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_log_no_update');
    raw.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    expect(catalog.verifyAudit()).toMatchObject({
      ok: false,
      firstBrokenSeq: 2,
      reason: 'entry 2 is missing (next is 3)',
    });

    // Renumbering and recomputing one entry's own hash is not enough: the next link breaks.
    raw.prepare('UPDATE audit_log SET seq = 2 WHERE seq = 3').run();
    expect(catalog.verifyAudit()).toMatchObject({ ok: false, firstBrokenSeq: 2 });
    raw.close();
  });

  it('keeps one unbroken chain when two processes append at the same time', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'append-audit.ts');
    const writer = (actor: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', fixture, home, actor, '150'], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        child.on('exit', resolve);
      });
    expect(await Promise.all([writer('app'), writer('cli')])).toEqual([0, 0]);
    expect(catalog.verifyAudit()).toMatchObject({ ok: true, entries: 303 });
    const actors = new Set(catalog.audit.list({ afterSeq: 3 }).map((e) => e.actor));
    expect(actors).toEqual(new Set(['app', 'cli']));
  });

  it('appends after a verified chain and keeps verifying', () => {
    catalog.audit.append({ actor: 'cli', action: 'retention.set', details: { days: 3 } });
    expect(catalog.verifyAudit()).toMatchObject({ ok: true, entries: 4 });
  });
});
