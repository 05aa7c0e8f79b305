/**
 * Cloud recovery against a real lab rack: every component exported, the rack destroyed and
 * redeployed in recovery mode, every component imported in order with equal digests; and every
 * way an import can be refused, each leaving the component unchanged.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPONENT_IDS,
  RackErrors,
  type ComponentId,
  type RackClient,
} from '../../electron/rack/index.js';
import { startLabRack, type LabRack } from '../helpers/lab-rack.js';
import { connect, restore, saveExport, sha256, uploadAll, type SavedExport } from './util.js';

let rack: LabRack;
let client: RackClient;
const saved = new Map<ComponentId, SavedExport>();
const before = new Map<ComponentId, string>();

beforeAll(async () => {
  rack = await startLabRack();
  client = await connect(rack);
  for (const component of COMPONENT_IDS) {
    saved.set(component, await saveExport(client, component));
    before.set(component, (await client.digest(component)).stateDigest);
  }
});
afterAll(async () => {
  client?.close();
  await rack?.stop();
});

const get = (component: ComponentId) => saved.get(component) as SavedExport;

describe('before the disaster', () => {
  it('exports report the digest the rack reports', () => {
    for (const component of COMPONENT_IDS) {
      expect(get(component).response.stateDigest).toBe(before.get(component));
    }
  });

  it('refuses imports into a component that is not in recovery mode', async () => {
    await expect(client.createImport('arm')).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_NOT_IN_RECOVERY'),
    );
  });
});

describe('disaster and cloud recovery', () => {
  it('a destroyed rack answers RACK_UNAVAILABLE', async () => {
    await rack.run(['disaster']);
    await expect(client.info()).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_UNAVAILABLE'),
    );
  });

  it('a redeployed rack is empty and in recovery mode, and refuses exports', async () => {
    await rack.run(['redeploy', '--recovery', '--version', '1.5.0']);
    const info = await client.info();
    expect(info.mode).toBe('recovery');
    expect(info.version).toBe('1.5.0');
    expect(info.components.every((c) => c.mode === 'recovery' && c.records === 0)).toBe(true);
    await expect(client.startExport('arm')).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_COMPONENT_IN_RECOVERY'),
    );
  });

  it('refuses a backup from an unsupported version', async () => {
    await expect(client.createImport('deployment', { sourceVersion: '1.3.0' })).rejects.toSatisfy(
      (error) => RackErrors.is(error, 'RACK_VERSION_UNSUPPORTED'),
    );
    await expect(client.createImport('deployment', { sourceVersion: '2.5.0' })).rejects.toSatisfy(
      (error) => RackErrors.is(error, 'RACK_VERSION_UNSUPPORTED'),
    );
    expect(await client.createImport('deployment', { sourceVersion: '1.4.0' })).toMatch(/^imp-/);
  });

  it('enforces the restore order: rbac before identity and arm is refused, naming both', async () => {
    const importId = await uploadAll(client, get('rbac'));
    const empty = (await client.digest('rbac')).stateDigest;
    const attempt = client.commitImport(importId);
    await expect(attempt).rejects.toSatisfy(
      (error) =>
        RackErrors.is(error, 'RACK_DEPENDENCY_MISSING') &&
        error.details?.['missing'] === 'identity,arm' &&
        /identity/.test(error.message) &&
        /arm/.test(error.message),
    );
    expect((await client.digest('rbac')).stateDigest).toBe(empty);
    expect((await client.importStatus(importId)).state).toBe('open');
  });

  it('refuses a tampered artifact at upload and discards its bytes', async () => {
    const identity = get('identity');
    const importId = await client.createImport('identity');
    const original = identity.files.get('users.ldif') as Buffer;
    const tampered = Buffer.from(original);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] as number) ^ 0x01;
    const attempt = client.uploadArtifact('' + importId, 'users.ldif', Readable.from([tampered]), {
      size: original.length,
      sha256: sha256(original),
    });
    await expect(attempt).rejects.toSatisfy(
      (error) =>
        RackErrors.is(error, 'RACK_ARTIFACT_REJECTED') &&
        error.details?.['rackCode'] === 'ARTIFACT_DIGEST_MISMATCH',
    );
    const status = await client.importStatus(importId);
    expect(status.artifacts.find((a) => a.name === 'users.ldif')).toBeUndefined();
  });

  it('refuses a malformed artifact at commit with the reason and line, changing nothing', async () => {
    const identity = get('identity');
    const original = (identity.files.get('groups.ldif') as Buffer).toString('utf8');
    const lines = original.split('\n');
    const target = lines.findIndex((line) => line.startsWith('objectGUID: '));
    lines[target] = 'objectGUID:';
    const broken = Buffer.from(lines.join('\n'));
    const importId = await uploadAll(client, identity, new Map([['groups.ldif', broken]]));
    const empty = (await client.digest('identity')).stateDigest;
    await expect(client.commitImport(importId)).rejects.toSatisfy(
      (error) =>
        RackErrors.is(error, 'RACK_ARTIFACT_REJECTED') &&
        error.details?.['rackCode'] === 'ARTIFACT_MALFORMED' &&
        error.details?.['artifact'] === 'groups.ldif' &&
        typeof error.details?.['line'] === 'number',
    );
    expect((await client.digest('identity')).stateDigest).toBe(empty);
    const status = await client.importStatus(importId);
    expect(status.state).toBe('failed');
    expect(status.failure?.code).toBe('ARTIFACT_MALFORMED');
    await expect(client.commitImport(importId)).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_IMPORT_CLOSED'),
    );
  });

  it('refuses to commit an incomplete import, naming what is missing', async () => {
    const importId = await client.createImport('federation');
    await expect(client.commitImport(importId)).rejects.toSatisfy(
      (error) =>
        RackErrors.is(error, 'RACK_IMPORT_INCOMPLETE') &&
        String(error.details?.['missing']).includes('federation-metadata.xml'),
    );
  });

  it('applies nothing when the expected digest differs', async () => {
    const importId = await uploadAll(client, get('federation'));
    const attempt = client.commitImport(importId, { expectedStateDigest: '0'.repeat(64) });
    await expect(attempt).rejects.toSatisfy((error) =>
      RackErrors.is(error, 'RACK_DIGEST_MISMATCH'),
    );
    expect((await client.info()).components.find((c) => c.id === 'federation')?.records).toBe(0);
  });

  it('resumes an upload after the connection drops mid-artifact', async () => {
    const deployment = get('deployment');
    const state = deployment.files.get('ece-state.sql') as Buffer;
    const importId = await client.createImport('deployment');
    await rack.setFaults({
      dropUpload: { artifact: 'ece-state.sql', atByte: 1_000_000, times: 1 },
    });
    const plain = client.uploadArtifact(importId, 'ece-state.sql', Readable.from([state]), {
      size: state.length,
      sha256: sha256(state),
    });
    await expect(plain).rejects.toSatisfy(
      (error) =>
        RackErrors.is(error, 'RACK_UPLOAD_INTERRUPTED') &&
        error.details?.['received'] === 1_000_000,
    );
    const status = await client.importStatus(importId);
    expect(status.artifacts.find((a) => a.name === 'ece-state.sql')?.received).toBe(1_000_000);

    await expect(
      client.uploadArtifact(importId, 'ece-state.sql', Readable.from([state.subarray(10)]), {
        offset: 10,
        size: state.length,
        sha256: sha256(state),
      }),
    ).rejects.toSatisfy(
      (error) =>
        RackErrors.is(error, 'RACK_UPLOAD_CONFLICT') && error.details?.['received'] === 1_000_000,
    );

    await rack.setFaults({
      dropUpload: { artifact: 'ece-state.sql', atByte: 1_500_000, times: 1 },
    });
    const offsets: number[] = [];
    const progress = await client.uploadArtifact(
      importId,
      'ece-state.sql',
      (offset) => {
        offsets.push(offset);
        return Readable.from([state.subarray(offset)]);
      },
      { offset: 1_000_000, size: state.length, sha256: sha256(state) },
    );
    expect(offsets).toEqual([1_000_000, 1_500_000]);
    expect(progress).toMatchObject({ complete: true, received: state.length });
  });

  it('restores every component in order with digests equal to the backup', async () => {
    for (const component of COMPONENT_IDS) {
      expect(await restore(client, get(component))).toBe(before.get(component));
      await client.setComponentMode(component, 'normal');
    }
    const info = await client.finishRecovery();
    expect(info.mode).toBe('normal');
    const digests = JSON.parse((await rack.run(['digest', '--json'])).stdout) as Record<
      string,
      string
    >;
    for (const component of COMPONENT_IDS) expect(digests[component]).toBe(before.get(component));
  });

  it('the rbac import refused earlier commits once its dependencies are restored', async () => {
    await client.setComponentMode('rbac', 'recovery');
    const importId = await uploadAll(client, get('rbac'));
    const committed = await client.commitImport(importId);
    expect(committed.stateDigest).toBe(before.get('rbac'));
    await client.setComponentMode('rbac', 'normal');
  });
});

describe('healing one component', () => {
  it('restores a broken keyvault while the other components keep serving', async () => {
    await rack.run(['break', '--component', 'keyvault']);
    let info = await client.info();
    expect(info.components.find((c) => c.id === 'keyvault')?.health).toBe('degraded');
    expect((await client.digest('keyvault')).stateDigest).not.toBe(before.get('keyvault'));

    const status = await client.setComponentMode('keyvault', 'recovery');
    expect(status.mode).toBe('recovery');
    expect((await client.info()).mode).toBe('normal');
    const other = await client.startExport('arm');
    expect(other.stateDigest).toBe(before.get('arm'));

    expect(await restore(client, get('keyvault'))).toBe(before.get('keyvault'));
    await client.setComponentMode('keyvault', 'normal');
    info = await client.info();
    expect(info.components.find((c) => c.id === 'keyvault')).toMatchObject({
      health: 'healthy',
      mode: 'normal',
    });
  });
});
