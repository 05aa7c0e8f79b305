/**
 * The Backups screen's data: the list (all of it, for the virtualized table), the selected
 * backup's details, and the prune preview the operator confirms before anything is deleted.
 */
import { createStore } from 'zustand/vanilla';
import type { ErrorBody } from '../../../shared/errors.js';
import type { LifeboatClient } from '../api/client.js';
import type { BackupDetail, BackupSummary, PrunePreview } from '../api/types.js';
import { attempt, fetchInto, idle, type Resource } from './resource.js';

/** The contract's page limit; larger catalogs are fetched page by page. */
export const PAGE_LIMIT = 10_000;

export interface BackupsState {
  list: Resource<{ total: number; items: BackupSummary[] }>;
  selectedId: string | null;
  detail: Resource<BackupDetail>;
  prune: Resource<PrunePreview>;
  /** The error of the last action (start, verify, prune), shown above the table. */
  actionError: ErrorBody | null;
  load(): Promise<void>;
  select(backupId: string | null): Promise<void>;
  startBackup(): Promise<string | null>;
  verify(backupId: string, readData: boolean): Promise<string | null>;
  previewPrune(): Promise<void>;
  confirmPrune(): Promise<string | null>;
  cancelPrune(): void;
}

async function fetchAll(client: LifeboatClient) {
  const first = await client.call('backups.list', { page: { offset: 0, limit: PAGE_LIMIT } });
  const items = [...first.items];
  while (items.length < first.total) {
    const next = await client.call('backups.list', {
      page: { offset: items.length, limit: PAGE_LIMIT },
    });
    if (next.items.length === 0) break;
    items.push(...next.items);
  }
  return { total: first.total, items };
}

export function createBackupsStore(client: LifeboatClient) {
  return createStore<BackupsState>()((set, get) => {
    /** Runs an action that returns a job; the job's progress then arrives as events. */
    async function jobAction(action: () => Promise<{ jobId: string }>): Promise<string | null> {
      const outcome = await attempt(action);
      set({ actionError: outcome.ok ? null : outcome.error });
      return outcome.ok ? outcome.value.jobId : null;
    }
    return {
      list: idle(),
      selectedId: null,
      detail: idle(),
      prune: idle(),
      actionError: null,
      async load() {
        await fetchInto(
          () => get().list,
          (list) => set({ list }),
          () => fetchAll(client),
        );
        const selected = get().selectedId;
        if (selected !== null) await get().select(selected);
      },
      async select(backupId) {
        set({ selectedId: backupId });
        if (backupId === null) {
          set({ detail: idle() });
          return;
        }
        await fetchInto(
          () => get().detail,
          (detail) => {
            // Only the answer for the row still selected may land (fast arrow-key browsing).
            if (get().selectedId === backupId) set({ detail });
          },
          () => client.call('backups.get', { backupId }),
        );
      },
      startBackup: () => jobAction(() => client.call('backups.start', {})),
      verify: (backupId, readData) =>
        jobAction(() => client.call('backups.verify', { backupId, readData })),
      async previewPrune() {
        await fetchInto(
          () => get().prune,
          (prune) => set({ prune }),
          () => client.call('backups.prunePreview', { retentionDays: null }),
        );
      },
      async confirmPrune() {
        const preview = get().prune.data;
        if (preview === null) return null;
        const confirmBackupIds = preview.wouldDelete.map((b) => b.backupId);
        const jobId = await jobAction(() => client.call('backups.prune', { confirmBackupIds }));
        if (jobId !== null) set({ prune: idle() });
        return jobId;
      },
      cancelPrune() {
        set({ prune: idle() });
      },
    };
  });
}
