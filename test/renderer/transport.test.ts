/**
 * The renderer's client and stores against the real console host on loopback: the real
 * console server (token, Host and Origin guards), the real router (contract validation of every
 * request and answer), and a small table of handlers standing in for the services, which record
 * what crossed the boundary. Checks that typed errors reach the stores intact, that paging
 * fetches every backup, and that no secret typed by the operator stays in a store.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleServer } from '../../electron/host/console.js';
import { createRouter } from '../../electron/host/router.js';
import { completeHandlers, type Handlers, type Services } from '../../electron/host/services.js';
import type { MethodName } from '../../shared/contract/index.js';
import { CallError, createClient, type LifeboatClient } from '../../renderer/src/api/client.js';
import {
  consoleCall,
  tokenFromUrl,
  urlWithoutToken,
} from '../../renderer/src/api/consoleTransport.js';
import { createBackupsStore } from '../../renderer/src/stores/backups.js';
import { createEnableStore } from '../../renderer/src/stores/enable.js';
import { createRecoveryStore } from '../../renderer/src/stores/recovery.js';

const BACKUP_COUNT = 12_345;
const STORAGE_PASSWORD = `storage-${randomBytes(6).toString('hex')}`;
const IMPORTED_KEY = `KEY-${randomBytes(6).toString('hex').toUpperCase()}`;
const RACK_PASSWORD = `rack-${randomBytes(6).toString('hex')}`;
const FINGERPRINT = 'ab'.repeat(32);

const received: { method: MethodName; request: unknown }[] = [];
const lastRequest = (method: MethodName) =>
  received.filter((r) => r.method === method).at(-1)?.request as Record<string, unknown>;

function backup(index: number) {
  return {
    backupId: `backup-${String(index).padStart(6, '0')}`,
    createdAt: new Date(Date.UTC(2026, 0, 1) + index * 3_600_000).toISOString(),
    durationSeconds: 60,
    status: 'Succeeded' as const,
    components: [{ component: 'keyvault' as const, status: 'Succeeded' as const }],
    sizeBytes: 1024,
    addedBytes: 10,
    keyEpoch: 1,
    certificateThumbprint: null,
    location: '/srv/lifeboat',
    provenAt: null,
  };
}

function handlers(): Partial<Handlers> {
  const record = <M extends MethodName>(method: M, answer: Handlers[M]): Handlers[M] =>
    (async (request: never, ctx: never) => {
      received.push({ method, request });
      return (answer as (r: never, c: never) => Promise<unknown>)(request, ctx);
    }) as Handlers[M];
  return {
    'backups.list': record('backups.list', async ({ page }) => {
      const end = Math.min(BACKUP_COUNT, page.offset + page.limit);
      const items = [];
      for (let i = page.offset; i < end; i++) items.push(backup(i));
      return { total: BACKUP_COUNT, items };
    }),
    'backups.get': record('backups.get', async ({ backupId }) => ({
      summary: { ...backup(Number(backupId.slice(7))), backupId },
      components: [],
      rack: { stampId: null, version: '1.2.0', url: null },
      lastVerified: null,
      problems: [],
    })),
    'location.test': record('location.test', async () => ({
      reachable: true,
      writable: true,
      freeBytes: 5_000_000,
      totalBytes: 10_000_000,
      existingRepository: null,
      insideAnotherRepository: false,
      problems: [],
    })),
    'backup.enable': record('backup.enable', async (request) => ({
      configured: true,
      location: request.location,
      credentials: {
        present: request.credentials !== null,
        username: request.credentials?.username ?? null,
      },
      encryption: { mode: 'key', keyEpoch: 1, keyFingerprint: 'f00d', certificateThumbprint: null },
      schedule: request.schedule,
      rack: null,
      oldKeys: [],
    })),
    'recovery.discover': record('recovery.discover', async () => ({
      sessionId: 'session-1',
      location: '/srv/lifeboat',
      backups: [
        {
          backupId: 'backup-000001',
          createdAt: '2026-11-25T10:00:00.000Z',
          stampId: 'stamp-1',
          rackVersion: '1.2.0',
          status: 'Succeeded',
          components: [],
          sizeBytes: 100,
          keyEpoch: 1,
          certificateThumbprint: null,
        },
      ],
    })),
    'recovery.open': record('recovery.open', async ({ sessionId, backupId }) => ({
      sessionId,
      backupId,
      components: [{ component: 'keyvault', sizeBytes: 100, digest: 'd1' }],
    })),
    'rack.probe': record('rack.probe', async ({ url }) => ({
      url,
      fingerprint: FINGERPRINT,
      certificateSubject: 'CN=lab-rack',
      certificateValidTo: null,
      version: '1.2.0',
      recoveryMode: true,
      lab: true,
    })),
    'recovery.preflight': record('recovery.preflight', async ({ sessionId }) => ({
      sessionId,
      ok: true,
      checks: [{ check: 'reachable', ok: true, message: 'The rack answers.', hint: null }],
      rackVersion: '1.2.0',
      backupVersion: '1.2.0',
    })),
    'recovery.close': record('recovery.close', async () => ({})),
    'recovery.list': record('recovery.list', async () => ({
      recoveries: ['backup-000001', 'backup-000002'].map((backupId, i) => ({
        recoveryId: `recovery-${i}`,
        backupId,
        rackUrl: 'https://127.0.0.1:8443',
        drill: false,
        state: 'interrupted' as const,
        startedAt: '2026-11-25T10:00:00.000Z',
        finishedAt: null,
        components: [{ component: 'deployment' as const, state: 'committed' as const }],
      })),
    })),
    'recovery.resume': record('recovery.resume', async ({ recoveryId }) => ({
      jobId: 'job-resume-1',
      kind: 'recovery',
      recoveryId,
    })),
    // A defective service: answers with a field the contract does not name.
    'vault.status': async () =>
      ({
        backend: 'keychain',
        strength: 'os-protected',
        reason: 'test',
        locked: false,
        items: [],
        secret: 'leak',
      }) as never,
  };
}

let server: ConsoleServer;
let rendererDir: string;
let client: LifeboatClient;

function clientWithToken(token: string): LifeboatClient {
  return createClient({
    transport: 'console',
    call: (method, params) => consoleCall(server.origin, token, method, params),
    onEvent: () => () => undefined,
  });
}

beforeAll(async () => {
  rendererDir = await mkdtemp(join(tmpdir(), 'lifeboat-renderer-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Lifeboat</title>');
  const services: Services = {
    handlers: completeHandlers(handlers()),
    subscribe: () => () => undefined,
    close: async () => undefined,
  };
  server = await startConsole({ router: createRouter(services), rendererDir });
  client = clientWithToken(server.token);
});

afterAll(async () => {
  await server.close();
  await rm(rendererDir, { recursive: true, force: true });
});

/** Every string anywhere in a store's state, to look for secrets. */
function stateText(state: object): string {
  return JSON.stringify(state, (_key, value: unknown) =>
    typeof value === 'function' ? undefined : value,
  );
}

describe('console transport', () => {
  it('takes the token from the printed address and can strip it', () => {
    expect(tokenFromUrl(server.url)).toBe(server.token);
    const stripped = urlWithoutToken(server.url);
    expect(stripped).not.toContain(server.token);
    expect(stripped.startsWith(server.origin)).toBe(true);
    expect(tokenFromUrl(`${server.origin}/?token=${server.token}`)).toBe(server.token);
    expect(tokenFromUrl(`${server.origin}/#token=short`)).toBeNull();
  });

  it('brings typed errors with code, message and hint to the caller', async () => {
    const notProvided = await client.call('audit.verify', {}).catch((e: unknown) => e);
    expect(notProvided).toBeInstanceOf(CallError);
    expect((notProvided as CallError).body.code).toBe('IPC_NOT_AVAILABLE');
    expect((notProvided as CallError).body.hint.length).toBeGreaterThan(10);

    const wrongToken = await clientWithToken('x'.repeat(43))
      .call('app.info', {})
      .catch((e: unknown) => e);
    expect((wrongToken as CallError).body.code).toBe('IPC_CONSOLE_TOKEN');

    const invalid = await client
      .call('backups.verify', { backupId: '../../etc', readData: true })
      .catch((e: unknown) => e);
    expect((invalid as CallError).body.code).toBe('IPC_INVALID_REQUEST');

    const leaky = await client.call('vault.status', {}).catch((e: unknown) => e);
    expect((leaky as CallError).body.code).toBe('IPC_INVALID_RESPONSE');
    expect(JSON.stringify((leaky as CallError).body)).not.toContain('leak');
  });
});

describe('backups store', () => {
  it('lists every backup across pages, in order, and loads the selected one', async () => {
    const store = createBackupsStore(client);
    await store.getState().load();
    const list = store.getState().list;
    expect(list.error).toBeNull();
    expect(list.data?.total).toBe(BACKUP_COUNT);
    expect(list.data?.items).toHaveLength(BACKUP_COUNT);
    expect(list.data?.items[10_000]?.backupId).toBe('backup-010000');
    await store.getState().select('backup-000042');
    expect(store.getState().detail.data?.summary.backupId).toBe('backup-000042');
  });

  it('keeps a typed error when an action is refused', async () => {
    const store = createBackupsStore(client);
    expect(await store.getState().startBackup()).toBeNull();
    expect(store.getState().actionError?.code).toBe('IPC_NOT_AVAILABLE');
  });
});

describe('enable store', () => {
  it('sends the secrets once, as the contract wants, and keeps none of them', async () => {
    const store = createEnableStore(client);
    store.getState().setLocation({ kind: 'share', path: '/mnt/backups/rack-01' });
    await store.getState().testLocation(null);
    expect(store.getState().test.data?.writable).toBe(true);
    store.getState().setUsername('backup-operator');
    store.getState().setMode('imported');

    const incomplete = await store
      .getState()
      .enable({ credentials: null, importedKey: null, rackPassword: null });
    expect(incomplete).toBe(false);
    expect(received.filter((r) => r.method === 'backup.enable')).toHaveLength(0);

    store.getState().setRackMode('other');
    store.getState().setRackUrl('https://127.0.0.1:8443');
    await store.getState().probeRack();
    store.getState().confirmRack(true);
    store.getState().setRackUsername('cloudadmin');
    const ok = await store.getState().enable({
      credentials: { username: 'backup-operator', password: STORAGE_PASSWORD },
      importedKey: IMPORTED_KEY,
      rackPassword: RACK_PASSWORD,
    });
    expect(ok).toBe(true);
    expect(store.getState().enabled?.configured).toBe(true);
    const request = lastRequest('backup.enable') as {
      credentials: { password: Uint8Array };
      encryption: { mode: string; key: Uint8Array };
      rack: { fingerprint: string; password: Uint8Array };
    };
    expect(Buffer.from(request.credentials.password).toString()).toBe(STORAGE_PASSWORD);
    expect(Buffer.from(request.encryption.key).toString()).toBe(IMPORTED_KEY);
    expect(request.rack.fingerprint).toBe(FINGERPRINT);
    expect(Buffer.from(request.rack.password).toString()).toBe(RACK_PASSWORD);
    const text = stateText(store.getState());
    for (const secret of [STORAGE_PASSWORD, IMPORTED_KEY, RACK_PASSWORD]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('recovery store', () => {
  it('walks discover, open, probe and pre-flight by session, holding no secret', async () => {
    const store = createRecoveryStore(client);
    const s = () => store.getState();
    s().setLocation({ kind: 'share', path: '/mnt/backups/rack-01' });
    s().setUsername('field-engineer');
    await s().discover({ username: 'field-engineer', password: STORAGE_PASSWORD });
    expect(s().discovery.data?.sessionId).toBe('session-1');
    s().chooseBackup('backup-000001');
    await s().open({ mode: 'key', key: IMPORTED_KEY });
    expect(s().opened.data?.components[0]?.digest).toBe('d1');

    s().setRackUrl('https://127.0.0.1:8443');
    await s().probeRack();
    expect(s().probe.data?.fingerprint).toBe(FINGERPRINT);
    // No pre-flight before the fingerprint is confirmed.
    await s().runPreflight(RACK_PASSWORD);
    expect(received.filter((r) => r.method === 'recovery.preflight')).toHaveLength(0);
    s().confirmFingerprint(true);
    s().setRackUsername('admin');
    await s().runPreflight(RACK_PASSWORD);
    expect(s().preflight.data?.ok).toBe(true);
    const target = (lastRequest('recovery.preflight') as { target: Record<string, unknown> })
      .target;
    expect(target['fingerprint']).toBe(FINGERPRINT);
    expect(Buffer.from(target['password'] as Uint8Array).toString()).toBe(RACK_PASSWORD);

    // A recovery of this backup cut short earlier is offered for resuming, by the same session.
    await s().loadUnfinished();
    expect(s().unfinished.map((r) => r.recoveryId)).toEqual(['recovery-0']);
    await s().resume('recovery-0');
    expect(lastRequest('recovery.resume')).toEqual({
      recoveryId: 'recovery-0',
      sessionId: 'session-1',
    });
    expect(s().run).toEqual({ jobId: 'job-resume-1', recoveryId: 'recovery-0' });

    const text = stateText(s());
    for (const secret of [STORAGE_PASSWORD, IMPORTED_KEY, RACK_PASSWORD]) {
      expect(text).not.toContain(secret);
    }
    await s().close();
    expect(lastRequest('recovery.close')).toEqual({ sessionId: 'session-1' });
    expect(s().discovery.data).toBeNull();
  });

  it('refuses a typed error into the step that caused it', async () => {
    const store = createRecoveryStore(client);
    await store.getState().discover(null);
    // The default location is empty: the router refuses it before any service runs.
    expect(store.getState().discovery.error?.code).toBe('IPC_INVALID_REQUEST');
  });
});
