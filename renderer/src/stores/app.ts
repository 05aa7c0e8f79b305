/**
 * The app-wide picture: which screen is shown, what the main process says about itself, the
 * rack's health, the settings and the vault. Refreshed when a `changed` event names a topic.
 * Never holds a secret: the contract's responses carry none (bar the one-time generated key,
 * which stays in the encryption step's component state).
 */
import { createStore } from 'zustand/vanilla';
import type { LifeboatClient } from '../api/client.js';
import type { AppInfo, Health, Settings, Topic, VaultStatus } from '../api/types.js';
import { fetchInto, idle, type Resource } from './resource.js';

export const SCREENS = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'backups', label: 'Backups' },
  { id: 'enable', label: 'Enable backup' },
  { id: 'settings', label: 'Settings' },
  { id: 'recovery', label: 'Cloud recovery' },
  { id: 'activity', label: 'Activity' },
] as const;
export type ScreenId = (typeof SCREENS)[number]['id'];

export interface AppState {
  screen: ScreenId;
  info: Resource<AppInfo>;
  health: Resource<Health>;
  settings: Resource<Settings>;
  vault: Resource<VaultStatus>;
  go(screen: ScreenId): void;
  load(): Promise<void>;
  refresh(topics: readonly Topic[]): Promise<void>;
}

export function createAppStore(client: LifeboatClient) {
  return createStore<AppState>()((set, get) => {
    const loaders = {
      info: () =>
        fetchInto(
          () => get().info,
          (info) => set({ info }),
          () => client.call('app.info', {}),
        ),
      health: () =>
        fetchInto(
          () => get().health,
          (health) => set({ health }),
          () => client.call('health.get', {}),
        ),
      settings: () =>
        fetchInto(
          () => get().settings,
          (settings) => set({ settings }),
          () => client.call('settings.get', {}),
        ),
      vault: () =>
        fetchInto(
          () => get().vault,
          (vault) => set({ vault }),
          () => client.call('vault.status', {}),
        ),
    };
    return {
      screen: 'dashboard',
      info: idle(),
      health: idle(),
      settings: idle(),
      vault: idle(),
      go(screen) {
        set({ screen });
      },
      async load() {
        await Promise.all([loaders.info(), loaders.health(), loaders.settings(), loaders.vault()]);
      },
      async refresh(topics) {
        const work: Array<Promise<unknown>> = [];
        // A finished job changes the last backup, the next run and the free space.
        if (topics.includes('health') || topics.includes('jobs') || topics.includes('backups')) {
          work.push(loaders.health());
        }
        if (topics.includes('settings')) work.push(loaders.settings(), loaders.info());
        if (topics.includes('vault')) work.push(loaders.vault());
        await Promise.all(work);
      },
    };
  });
}
