/**
 * Starting the engine's worker threads (`worker.ts`, `walk-thread.ts`, `stat-thread.ts`) from the module next to
 * this one: its `.js` once compiled; under the tests (sources run through tsx) its `.ts`, via a
 * bootstrap that registers tsx first, because Node 20 loads a worker's main module before
 * `--import` hooks given in execArgv take effect.
 */
import { Worker, type ResourceLimits, type Transferable } from 'node:worker_threads';

export interface ModuleWorkerOptions {
  readonly resourceLimits?: ResourceLimits;
  /** What `workerData` holds that is moved rather than copied (a MessagePort must be). */
  readonly transferList?: readonly Transferable[];
}

export function startModuleWorker(
  module: 'worker' | 'walk-thread' | 'stat-thread',
  workerData: unknown,
  { resourceLimits, transferList }: ModuleWorkerOptions = {},
): Worker {
  const self = import.meta.url;
  const options = {
    workerData,
    ...(resourceLimits ? { resourceLimits } : {}),
    ...(transferList ? { transferList: [...transferList] } : {}),
  };
  if (!self.endsWith('.ts')) return new Worker(new URL(`./${module}.js`, self), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL(`./${module}.ts`, self).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
