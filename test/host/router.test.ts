import { describe, expect, it } from 'vitest';
import {
  METHOD_NAMES,
  SECRET_RESPONSES,
  methods,
  type CallOutcome,
  type HostEvent,
} from '../../shared/contract/index.js';
import { createRouter, loggingFailures } from '../../electron/host/router.js';
import { memoryServices } from './memory-services.js';

const ctx = { transport: 'electron' as const, signal: new AbortController().signal };

function failureCode(outcome: CallOutcome): string | null {
  return outcome.ok ? null : outcome.error.code;
}

describe('router validation', () => {
  it('dispatches a valid call and returns the validated result', async () => {
    const router = createRouter(memoryServices());
    const outcome = await router.call({ method: 'app.info', params: {} }, ctx);
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && (outcome.result as { lab: boolean }).lab).toBe(true);
  });

  it.each([
    ['a string', 'app.info'],
    ['null', null],
    ['an array', [{ method: 'app.info', params: {} }]],
    ['no method', { params: {} }],
    ['a numeric method', { method: 7, params: {} }],
    ['an extra envelope field', { method: 'app.info', params: {}, admin: true }],
  ])('rejects %s as IPC_INVALID_REQUEST', async (_label, raw) => {
    const outcome = await createRouter(memoryServices()).call(raw, ctx);
    expect(failureCode(outcome)).toBe('IPC_INVALID_REQUEST');
  });

  it('rejects an unknown method, including prototype names', async () => {
    const router = createRouter(memoryServices());
    for (const method of ['shell.exec', '__proto__', 'constructor', 'toString']) {
      expect(failureCode(await router.call({ method, params: {} }, ctx))).toBe(
        'IPC_UNKNOWN_METHOD',
      );
    }
  });

  it('rejects malformed parameters and names the field, never the value', async () => {
    const router = createRouter(memoryServices());
    const cases: [string, unknown, string][] = [
      ['app.info', { extra: 1 }, '(the message)'],
      ['app.info', undefined, '(the message)'],
      ['backups.get', { backupId: '../../etc/passwd' }, 'backupId'],
      ['backups.verify', { backupId: 'b1', readData: 'yes' }, 'readData'],
      ['backups.list', { page: { limit: 1e9 } }, 'page.limit'],
      [
        'location.test',
        { location: { kind: 'folder', path: 'relative/path' }, credentials: null },
        'location',
      ],
      [
        'location.test',
        {
          location: { kind: 'unc', path: '/not/unc' },
          credentials: { username: 'op', password: 'S3cret-value!' },
        },
        'location',
      ],
      ['key.confirmGenerated', { pendingKeyId: 'p1', confirmation: 'ABCD' }, 'storedOffline'],
      [
        'settings.changeSchedule',
        { schedule: { frequencyHours: 2, retentionDays: 7, enabled: true }, confirmDeletes: [] },
        'schedule.frequencyHours',
      ],
      [
        'recovery.preflight',
        {
          sessionId: 's1',
          target: { url: 'http://rack', fingerprint: 'aa', username: 'u', password: 'p' },
        },
        'target',
      ],
    ];
    for (const [method, params, field] of cases) {
      const outcome = await router.call({ method, params }, ctx);
      expect(outcome.ok, method).toBe(false);
      if (outcome.ok) continue;
      expect(outcome.error.code).toBe('IPC_INVALID_REQUEST');
      expect(outcome.error.message).toContain(field);
      expect(JSON.stringify(outcome.error)).not.toContain('S3cret-value!');
    }
  });

  it('hands secrets to the service as bytes, not text', async () => {
    const services = memoryServices();
    const outcome = await createRouter(services).call(
      { method: 'vault.unlock', params: { passphrase: 'correct horse' } },
      ctx,
    );
    expect(outcome.ok).toBe(true);
    const request = services.received.at(-1)?.request as { passphrase: unknown };
    expect(request.passphrase).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(request.passphrase as Uint8Array).toString('utf8')).toBe('correct horse');
  });

  it('fills defaults the contract declares', async () => {
    const services = memoryServices();
    await createRouter(services).call({ method: 'backups.list', params: {} }, ctx);
    expect(services.received.at(-1)?.request).toEqual({ page: { offset: 0, limit: 500 } });
  });

  it('withholds an answer that carries a field outside the contract', async () => {
    const services = memoryServices();
    services.leakOnce = true;
    const failures: string[] = [];
    const router = createRouter(services, { onFailure: (f) => failures.push(f.code) });
    const outcome = await router.call({ method: 'health.get', params: {} }, ctx);
    expect(failureCode(outcome)).toBe('IPC_INVALID_RESPONSE');
    expect(JSON.stringify(outcome)).not.toContain('hunter2');
    expect(failures).toEqual(['IPC_INVALID_RESPONSE']);
  });

  it('turns a missing service into IPC_NOT_AVAILABLE', async () => {
    const outcome = await createRouter(memoryServices()).call(
      { method: 'audit.verify', params: {} },
      ctx,
    );
    expect(failureCode(outcome)).toBe('IPC_NOT_AVAILABLE');
  });

  it('forwards contract events and drops malformed ones', async () => {
    const services = memoryServices();
    const seen: HostEvent[] = [];
    const failures: string[] = [];
    const router = createRouter(services, { onFailure: (f) => failures.push(f.code) });
    const stop = router.subscribe((event) => seen.push(event));
    services.emit({ type: 'changed', topics: ['backups'] });
    services.emit({ type: 'changed', topics: ['backups'], secret: 'x' });
    services.emit({ type: 'unknown' });
    stop();
    services.emit({ type: 'changed', topics: ['health'] });
    expect(seen).toEqual([{ type: 'changed', topics: ['backups'] }]);
    expect(failures).toEqual(['IPC_INVALID_RESPONSE', 'IPC_INVALID_RESPONSE']);
  });

  it('keeps the generated key the only secret that travels to the window', () => {
    expect(SECRET_RESPONSES).toEqual(['key.generate']);
    expect(METHOD_NAMES.length).toBe(Object.keys(methods).length);
    // No response schema other than key.generate has a key, password or passphrase field.
    for (const name of METHOD_NAMES) {
      if (SECRET_RESPONSES.includes(name)) continue;
      const schema = methods[name].response.toJSONSchema({ io: 'output', unrepresentable: 'any' });
      const fields = propertyNames(schema);
      expect(
        fields.filter((f) => /^(key|password|passphrase|pfx|secret|token)$/i.test(f)),
        name,
      ).toEqual([]);
    }
    expect(propertyNames(methods['key.generate'].response.toJSONSchema())).toContain('key');
  });
});

/** Every property name anywhere in a JSON schema. */
function propertyNames(schema: unknown): string[] {
  if (Array.isArray(schema)) return schema.flatMap(propertyNames);
  if (schema === null || typeof schema !== 'object') return [];
  const record = schema as Record<string, unknown>;
  const own =
    record['properties'] !== null && typeof record['properties'] === 'object'
      ? Object.keys(record['properties'] as object)
      : [];
  return [...own, ...Object.values(record).flatMap(propertyNames)];
}

describe('router failure log', () => {
  it('logs refusals as warnings and defects as errors, with code and method only', async () => {
    const lines: [string, string, Record<string, unknown>][] = [];
    const log = {
      warn: (event: string, fields: Record<string, unknown>) => lines.push(['warn', event, fields]),
      error: (event: string, fields: Record<string, unknown>) =>
        lines.push(['error', event, fields]),
    };
    const services = memoryServices();
    const router = createRouter(services, loggingFailures(log));
    await router.call({ method: 'vault.unlock', params: { passphrase: '' } }, ctx);
    services.leakOnce = true;
    await router.call({ method: 'health.get', params: {} }, ctx);
    expect(lines).toEqual([
      [
        'warn',
        'ipc.refused',
        { method: 'vault.unlock', code: 'IPC_INVALID_REQUEST', category: 'usage' },
      ],
      [
        'error',
        'ipc.failed',
        { method: 'health.get', code: 'IPC_INVALID_RESPONSE', category: 'internal' },
      ],
    ]);
  });
});
