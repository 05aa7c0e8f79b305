import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  listReports,
  loadReport,
  reportsFolder,
  saveReport,
} from '../../electron/recovery/report-store.js';
import { RESTORE_ORDER } from '../../electron/recovery/components.js';
import { renderKitHtml, type RecoveryKit } from '../../electron/recovery/kit.js';
import {
  REPORT_FORMAT,
  notRestoredList,
  parseReport,
  renderReportHtml,
  reportToJson,
  type RecoveryReport,
} from '../../electron/recovery/report.js';

const hostile = '<script>alert(1)</script>"\'&';

function report(overrides: Partial<RecoveryReport> = {}): RecoveryReport {
  return {
    format: REPORT_FORMAT,
    recoveryId: 'r-1',
    kind: 'recovery',
    result: 'proven',
    backup: {
      id: '7b0e4c4e-0000-4000-8000-000000000001',
      createdAt: '2026-11-25T10:00:00.000Z',
      location: '/mnt/share/lifeboat',
      sourceId: 'stamp-01',
      sourceVersion: '1.4.0',
      keyReference: 'key epoch 2',
    },
    rack: {
      url: 'https://127.0.0.1:8443',
      fingerprint: 'AB:CD',
      stampId: hostile,
      version: '1.5.0',
      lab: true,
    },
    operator: { user: 'field-engineer', host: 'laptop-7' },
    startedAt: '2026-11-25T12:00:00.000Z',
    finishedAt: '2026-11-25T12:03:10.000Z',
    resumes: 1,
    components: RESTORE_ORDER.map((component) => ({
      component,
      bytes: 2048,
      digestAtBackup: `sha256:${component}`,
      digestAfterRestore: `sha256:${component}`,
      match: true,
      startedAt: '2026-11-25T12:00:00.000Z',
      commitStartedAt: '2026-11-25T12:00:01.500Z',
      finishedAt: '2026-11-25T12:00:02.000Z',
    })),
    notRestored: notRestoredList(),
    ...overrides,
  };
}

/** Anything that would make a browser fetch something, or run something. */
function assertSelfContained(page: string): void {
  expect(page.startsWith('<!doctype html>')).toBe(true);
  expect(page).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
  expect(page).toContain('@media print');
}

describe('recovery report', () => {
  it('renders a self-contained, printable page with every component and what is not restored', () => {
    const page = renderReportHtml(report());
    assertSelfContained(page);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    for (const component of RESTORE_ORDER) expect(page).toContain(`sha256:${component}`);
    expect(page).toContain('Proven');
    for (const item of [
      'tenant virtual machines',
      'storage accounts',
      'blobs',
      'network resources',
      'value-add resource providers',
    ]) {
      expect(page).toContain(item);
    }
    expect(page).toContain('field-engineer');
    expect(page).toContain('3 min 10 s');
    expect(page).toContain('2 s (commit 500 ms)');
  });

  it('says which components differ when not proven', () => {
    const components = report().components.map((entry) =>
      entry.component === 'keyvault'
        ? { ...entry, digestAfterRestore: 'sha256:other', match: false }
        : entry,
    );
    const page = renderReportHtml(report({ result: 'mismatch', components }));
    expect(page).toContain('Not proven: the digests of keyvault differ');
    expect(page).toContain('DIFFERENT');
  });

  it('round-trips through JSON and refuses a report that does not match the format', () => {
    const original = report();
    expect(parseReport(JSON.parse(reportToJson(original)))).toEqual(original);
    expect(() => parseReport({ ...original, result: 'maybe' })).toThrow(
      /does not match its format/,
    );
    expect(() => parseReport({ ...original, format: 'other/1' })).toThrow(/does not match/);
  });
});

describe('recovery kit', () => {
  const kit: RecoveryKit = {
    generatedAt: '2026-11-25T09:00:00.000Z',
    rack: {
      stampId: 'stamp-01',
      url: 'https://10.0.0.5:443',
      fingerprint: 'AA:BB',
      version: '1.4.0',
      region: 'north',
      externalDomain: hostile,
    },
    location: { path: '\\\\nas\\backups\\rack1', username: 'svc-backup' },
    encryption: { mode: 'key', epochs: [1, 2] },
    backups: [
      {
        id: 'b-2',
        createdAt: '2026-11-25T08:00:00.000Z',
        status: 'Succeeded',
        sourceVersion: '1.4.0',
        keyReference: 'key epoch 2',
        sizeBytes: 3 * 1024 * 1024,
        provenAt: '2026-11-25T08:30:00.000Z',
      },
      {
        id: 'b-1',
        createdAt: '2026-11-24T20:00:00.000Z',
        status: 'PartialSucceeded',
        sourceVersion: '1.4.0',
        keyReference: 'key epoch 1',
        sizeBytes: 10,
        provenAt: null,
      },
    ],
  };

  it('lists location, backups, key epochs, versions and the steps, and prints on its own', () => {
    const page = renderKitHtml(kit);
    assertSelfContained(page);
    expect(page).toContain('\\\\nas\\backups\\rack1');
    expect(page).toContain('Key epoch 1 kept at');
    expect(page).toContain('Key epoch 2 kept at');
    expect(page).toContain('b-2');
    expect(page).toContain('3.0 MiB');
    expect(page).toContain('lifeboat recovery discover --location');
    expect(page).toContain('lifeboat recovery resume');
    expect(page).toContain('&lt;script&gt;');
    expect(page).toContain('It holds no secret');
  });

  it('names certificate thumbprints in certificate mode', () => {
    const page = renderKitHtml({
      ...kit,
      encryption: { mode: 'certificate', thumbprints: ['0123ABCD'] },
      backups: [],
    });
    expect(page).toContain('0123ABCD');
    expect(page).toContain('.pfx');
    expect(page).toContain('No backup exists yet.');
  });
});

describe('report store', () => {
  const homes: string[] = [];
  afterAll(async () => {
    await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
  });

  it('keeps reports in the profile folder, finds the latest, and refuses a damaged one', async () => {
    const home = await mkdtemp(join(tmpdir(), 'lifeboat-reports-'));
    homes.push(home);
    await expect(loadReport(home)).rejects.toThrow(/No recovery report/);
    await saveReport(home, report({ recoveryId: 'r-old', finishedAt: '2026-11-25T11:00:00.000Z' }));
    await saveReport(home, report({ recoveryId: 'r-new', finishedAt: '2026-11-25T13:00:00.000Z' }));
    expect((await loadReport(home)).recoveryId).toBe('r-new');
    expect((await loadReport(home, 'r-old')).recoveryId).toBe('r-old');
    expect((await listReports(home)).map((entry) => entry.recoveryId)).toEqual(['r-old', 'r-new']);
    expect((await readdir(reportsFolder(home))).filter((name) => name.endsWith('.tmp'))).toEqual(
      [],
    );
    await expect(loadReport(home, '../etc/passwd')).rejects.toThrow(/not a recovery id/);
    await writeFile(
      join(reportsFolder(home), 'r-old.json'),
      '{"format":"lifeboat-recovery-report/1"}',
    );
    await expect(loadReport(home, 'r-old')).rejects.toMatchObject({ code: 'RECOVERY_BAD_REPORT' });
  });
});
