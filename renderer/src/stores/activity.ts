/** The Activity screen: job history and the audit log with its verification. */
import { createStore } from 'zustand/vanilla';
import type { LifeboatClient } from '../api/client.js';
import type { AuditEntry, AuditVerification, JobSummary } from '../api/types.js';
import { fetchInto, idle, type Resource } from './resource.js';

export interface ActivityState {
  jobs: Resource<{ total: number; items: JobSummary[] }>;
  audit: Resource<{ total: number; items: AuditEntry[] }>;
  verification: Resource<AuditVerification>;
  load(): Promise<void>;
  verifyAudit(): Promise<void>;
}

export function createActivityStore(client: LifeboatClient) {
  return createStore<ActivityState>()((set, get) => ({
    jobs: idle(),
    audit: idle(),
    verification: idle(),
    async load() {
      await Promise.all([
        fetchInto(
          () => get().jobs,
          (jobs) => set({ jobs }),
          () => client.call('jobs.list', { page: { offset: 0, limit: 500 } }),
        ),
        fetchInto(
          () => get().audit,
          (audit) => set({ audit }),
          () => client.call('audit.list', { page: { offset: 0, limit: 500 } }),
        ),
      ]);
    },
    async verifyAudit() {
      await fetchInto(
        () => get().verification,
        (verification) => set({ verification }),
        () => client.call('audit.verify', {}),
      );
    },
  }));
}
