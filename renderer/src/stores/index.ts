/**
 * Every store, made once per window around one client, and the React hooks that read them.
 * Host events are routed here: job events to the jobs store, `changed` topics to whichever
 * stores show that data.
 */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { LifeboatClient } from '../api/client.js';
import type { HostEvent, Topic } from '../api/types.js';
import { createActivityStore, type ActivityState } from './activity.js';
import { createAppStore, type AppState } from './app.js';
import { createBackupsStore, type BackupsState } from './backups.js';
import { createEnableStore, type EnableState } from './enable.js';
import { createJobsStore, type JobsState } from './jobs.js';
import { createRecoveryStore, type RecoveryState } from './recovery.js';

export function createStores(client: LifeboatClient) {
  return {
    client,
    app: createAppStore(client),
    jobs: createJobsStore(client),
    backups: createBackupsStore(client),
    activity: createActivityStore(client),
    enable: createEnableStore(client),
    recovery: createRecoveryStore(client),
  };
}
export type Stores = ReturnType<typeof createStores>;

/** Sends one host event to the stores it concerns. */
export function routeEvent(stores: Stores, event: HostEvent): void {
  stores.jobs.getState().apply(event);
  const topics: readonly Topic[] =
    event.type === 'changed'
      ? event.topics
      : event.type === 'job.started' || event.type === 'job.finished'
        ? (['jobs', 'health', 'backups'] as const)
        : [];
  if (topics.length === 0) return;
  void stores.app.getState().refresh(topics);
  // Lists are refetched only once a screen has shown them; the rest load on first view.
  const backups = stores.backups.getState();
  if (topics.includes('backups') && backups.list.data !== null) void backups.load();
  const activity = stores.activity.getState();
  if ((topics.includes('jobs') || topics.includes('audit')) && activity.jobs.data !== null) {
    void activity.load();
  }
}

/** First load of a window: the app's picture, then any job already running (after a reload). */
export async function boot(stores: Stores): Promise<void> {
  await stores.app.getState().load();
  const running = stores.app.getState().health.data?.runningJobId ?? null;
  if (running !== null) await stores.jobs.getState().load(running);
}

export const StoresContext = createContext<Stores | null>(null);

export function useStores(): Stores {
  const stores = useContext(StoresContext);
  if (stores === null) throw new Error('useStores outside <StoresContext.Provider>');
  return stores;
}

export const useApp = <T>(select: (s: AppState) => T) => useStore(useStores().app, select);
export const useJobs = <T>(select: (s: JobsState) => T) => useStore(useStores().jobs, select);
export const useBackups = <T>(select: (s: BackupsState) => T) =>
  useStore(useStores().backups, select);
export const useActivity = <T>(select: (s: ActivityState) => T) =>
  useStore(useStores().activity, select);
export const useEnable = <T>(select: (s: EnableState) => T) => useStore(useStores().enable, select);
export const useRecovery = <T>(select: (s: RecoveryState) => T) =>
  useStore(useStores().recovery, select);
