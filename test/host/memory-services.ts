/**
 * A small, real in-memory implementation of the host's Services, for the router and console
 * tests only: it keeps backups and jobs in arrays, emits real events, and records what the
 * handlers received so tests can check what crossed the router (secrets as bytes).
 */
import { randomBytes } from 'node:crypto';
import type { HostEvent, MethodName } from '../../shared/contract/index.js';
import {
  completeHandlers,
  type EventListener,
  type Handlers,
  type Services,
} from '../../electron/host/services.js';

export interface MemoryServices extends Services {
  readonly received: { method: MethodName; request: unknown }[];
  emit(event: unknown): void;
  /** Makes the next health.get answer with an extra field the contract does not name. */
  leakOnce: boolean;
}

const now = () => new Date().toISOString();

export function memoryServices(): MemoryServices {
  const listeners = new Set<EventListener>();
  const received: MemoryServices['received'] = [];
  const pending = new Map<string, string>();
  const state = { leakOnce: false };
  const record = (method: MethodName, request: unknown) => received.push({ method, request });

  const handlers: Partial<Handlers> = {
    'app.info': async () => ({
      version: '0.1.0',
      transport: 'console',
      platform: process.platform,
      home: '/tmp/lifeboat-test',
      lab: true,
      defaults: { location: null, rackUrl: null },
    }),
    'health.get': async () => {
      const health = {
        configured: false,
        lab: true,
        lastSucceeded: null,
        lastBackup: null,
        nextRunAt: null,
        schedulerEnabled: false,
        location: null,
        rack: null,
        runningJobId: null,
        alerts: [],
      };
      if (state.leakOnce) {
        state.leakOnce = false;
        return { ...health, password: 'hunter2' } as typeof health;
      }
      return health;
    },
    'vault.unlock': async (request) => {
      record('vault.unlock', request);
      return {
        backend: 'passphrase-file',
        strength: 'passphrase',
        reason: 'test',
        locked: false,
        items: [],
      };
    },
    'key.generate': async () => {
      const groups = randomBytes(16).toString('hex').toUpperCase().match(/.{4}/g) ?? [];
      const pendingKeyId = `pending-${randomBytes(4).toString('hex')}`;
      pending.set(pendingKeyId, groups[2] ?? '');
      return {
        pendingKeyId,
        key: groups.join('-'),
        groups: groups.length,
        confirmGroup: 3,
        keyFingerprint: 'ab12cd34',
        createdAt: now(),
        expiresAt: new Date(Date.now() + 900_000).toISOString(),
      };
    },
    'backups.start': async () => {
      const jobId = `job-${randomBytes(4).toString('hex')}`;
      const job = {
        jobId,
        kind: 'backup' as const,
        status: 'running' as const,
        subject: null,
        startedAt: now(),
        finishedAt: null,
        error: null,
      };
      queueMicrotask(() => emit({ type: 'job.started', job }));
      return { jobId, kind: 'backup' };
    },
    'backups.list': async (request) => {
      record('backups.list', request);
      return { total: 0, items: [] };
    },
  };

  function emit(event: unknown): void {
    for (const listener of listeners) listener(event as HostEvent);
  }

  return {
    handlers: completeHandlers(handlers),
    received,
    emit,
    get leakOnce() {
      return state.leakOnce;
    },
    set leakOnce(value: boolean) {
      state.leakOnce = value;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
