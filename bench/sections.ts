/**
 * The benchmark's sections. Adding one is one line here: a name, what it measures, and a loader
 * for its module's `run(options)` (it prints its own table and returns its measures).
 */
export interface SectionOptions {
  /** Dataset size in bytes, for sections that generate data (`--size 256MiB`). */
  readonly size?: number;
  /** Lab rack scale, for sections that start one (`--scale small|medium|large`). */
  readonly scale?: 'small' | 'medium' | 'large';
}

export interface Section {
  readonly name: string;
  readonly summary: string;
  load(): Promise<(options: SectionOptions) => Promise<unknown>>;
}

export const SECTIONS: readonly Section[] = [
  {
    name: 'repository',
    summary: 'repository engine vs restic and borg',
    load: async () => (await import('./repository.js')).run,
  },
  {
    name: 'lab-rack',
    summary: 'lab rack generation and export streaming',
    load: async () => (await import('./lab-rack.js')).run,
  },
  {
    name: 'controller',
    summary: 'full and incremental backups of the lab rack',
    load: async () => (await import('./controller.js')).run,
  },
  {
    name: 'recovery',
    summary: 'full recovery of the lab rack',
    load: async () => (await import('./recovery.js')).run,
  },
];
