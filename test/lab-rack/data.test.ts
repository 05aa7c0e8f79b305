/**
 * The lab rack's data without a server: framing and parsers, determinism from the seed, the
 * sizes of a small rack, real CA certificates, and imports checked record by record.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_IDS } from '../../shared/rack-api.js';
import { ARTIFACTS, type GenContext } from '../../lab-rack/data.js';
import { Malformed, frameable, parseSqlLine, sqlLine } from '../../lab-rack/framing.js';
import { Seeded } from '../../lab-rack/random.js';
import { RackStore } from '../../lab-rack/store.js';

const root = mkdtempSync(join(tmpdir(), 'lab-rack-data-'));
let first: RackStore;
let twin: RackStore;

beforeAll(() => {
  first = RackStore.open(join(root, 'first'), { seed: 3, scale: 'small', version: '1.4.0' });
  twin = RackStore.open(join(root, 'twin'), { seed: 3, scale: 'small', version: '1.4.0' });
});
afterAll(() => {
  first?.close();
  twin?.close();
  rmSync(root, { recursive: true, force: true });
});

const ctx: GenContext = {
  rng: new Seeded(11),
  scale: 'small',
  rack: { stampId: 'x', region: 'local', externalDomain: 'rack.contoso.lab', version: '1.4.0' },
  ca: () => ({ root: 'unused', intermediate: 'unused' }),
};

describe('framing', () => {
  it('round-trips SQL values with quotes, numbers and NULL', () => {
    const values = ["O'Brien's ''plan''", 42, null, '', 'a, b', -3.5];
    expect(parseSqlLine(sqlLine('t', values), 't')).toEqual(values);
  });

  it('refuses SQL lines that are not the expected statement', () => {
    expect(() => parseSqlLine('INSERT INTO "other" VALUES (1);', 't')).toThrow(Malformed);
    expect(() => parseSqlLine('INSERT INTO "t" VALUES (\'open);', 't')).toThrow(/unterminated/);
    expect(() => parseSqlLine('INSERT INTO "t" VALUES (1,2);', 't')).toThrow(/separated/);
    expect(() => parseSqlLine('INSERT INTO "t" VALUES (DROP);', 't')).toThrow(/unexpected/);
  });

  it('every generated record fits its framing and yields its key and references', () => {
    for (const component of COMPONENT_IDS) {
      for (const spec of ARTIFACTS[component]) {
        if (spec.framing === 'document') continue;
        const keys = new Set<string>();
        for (let i = 0; i < 25; i++) {
          for (const version of [0, 4]) {
            const value = spec.make(ctx, i, version);
            expect(frameable(spec.framing, value), `${spec.name} ${i}`).toBe(true);
            const key = spec.keyOf(value);
            if (version === 0) keys.add(key);
            else expect(keys.has(key), `${spec.name}: an update keeps the key`).toBe(true);
            for (const ref of spec.refsOf(value)) expect(ref.key).not.toBe('');
          }
        }
        expect(keys.size, spec.name).toBe(25);
      }
    }
  });
});

describe('a small rack', () => {
  it('holds about 20 MB across the ten components', () => {
    const components = first.components();
    const total = components.reduce((sum, component) => sum + component.sizeBytes, 0);
    expect(components.map((component) => component.id)).toEqual([...COMPONENT_IDS]);
    expect(total).toBeGreaterThan(15e6);
    expect(total).toBeLessThan(25e6);
    expect(components.every((component) => component.records > 0)).toBe(true);
  });

  it('is the same from the same seed (but for the CA keys, made once per rack)', () => {
    const a = first.digests();
    const b = twin.digests();
    for (const component of COMPONENT_IDS) {
      if (component === 'ca') expect(a.ca).not.toBe(b.ca);
      else expect(a[component], component).toBe(b[component]);
    }
  });

  it('changes the same way under the same mutations', () => {
    const before = first.digests();
    first.mutate(3);
    twin.mutate(3);
    const a = first.digests();
    const b = twin.digests();
    for (const component of COMPONENT_IDS) {
      if (component !== 'ca') expect(a[component]).toBe(b[component]);
    }
    expect(a.keyvault).not.toBe(before.keyvault);
    expect(a.rbac).not.toBe(before.rbac);
    expect(a.arm).not.toBe(before.arm);
  });

  it('holds a real root and intermediate CA with their keys', () => {
    const exported = first.createExport('ca', new Date());
    const dir = first.exportDir(exported.id);
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    const rootPem = read('root-ca.pem');
    const intermediatePem = read('intermediate-ca.pem');
    const rootCert = new X509Certificate(rootPem);
    const intermediate = new X509Certificate(intermediatePem);
    expect(rootCert.ca).toBe(true);
    expect(intermediate.ca).toBe(true);
    expect(rootCert.verify(rootCert.publicKey)).toBe(true);
    expect(intermediate.checkIssued(rootCert)).toBe(true);
    expect(intermediate.verify(rootCert.publicKey)).toBe(true);
    const key = createPrivateKey(intermediatePem);
    expect(createPublicKey(key).export({ type: 'spki', format: 'der' })).toEqual(
      intermediate.publicKey.export({ type: 'spki', format: 'der' }),
    );
  });

  it('a broken component loses records and reports itself degraded; the others are untouched', () => {
    const before = first.digests();
    const { removed } = first.breakComponent('srp');
    expect(removed).toBeGreaterThan(0);
    const after = first.digests();
    expect(after.srp).not.toBe(before.srp);
    expect(after.nrp).toBe(before.nrp);
    expect(first.component('srp').health).toBe('degraded');
  });
});

describe('import parsing', () => {
  function commitFiles(files: Record<string, string>) {
    const dir = mkdtempSync(join(root, 'import-'));
    const paths = new Map<string, string>();
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
      paths.set(name, join(dir, name));
    }
    return () => first.commitImport('crp', paths);
  }

  it('names the line of a malformed record and changes nothing', () => {
    const before = first.digest('crp');
    const exported = first.createExport('crp', new Date());
    const exportedFile = (name: string) => join(first.exportDir(exported.id), name);
    const read = (name: string) => readFileSync(exportedFile(name), 'utf8');
    const files = Object.fromEntries(
      ARTIFACTS.crp.map((spec) => [spec.name, read(spec.name)]),
    ) as Record<string, string>;
    const lines = (files['quotas.sql'] as string).split('\n');
    lines[4] = 'DROP TABLE quotas;';
    const attempt = commitFiles({ ...files, 'quotas.sql': lines.join('\n') });
    expect(attempt).toThrow(Malformed);
    try {
      attempt();
    } catch (error) {
      expect((error as Malformed).line).toBe(5);
      expect((error as Malformed).artifact).toBe('quotas.sql');
    }
    expect(first.digest('crp')).toEqual(before);

    const headerless = commitFiles({ ...files, 'quotas.sql': lines.slice(2).join('\n') });
    expect(headerless).toThrow(/header/);
    const duplicate = (files['quotas.sql'] as string).split('\n');
    duplicate.splice(3, 0, duplicate[2] as string);
    expect(commitFiles({ ...files, 'quotas.sql': duplicate.join('\n') })).toThrow(/duplicate/);
    expect(first.digest('crp')).toEqual(before);
    const intact = new Map(ARTIFACTS.crp.map((spec) => [spec.name, exportedFile(spec.name)]));
    expect(first.commitImport('crp', intact).stateDigest).toBe(exported.digest);
  });
});
