/**
 * Starting the engine's worker threads (`worker.ts`, `walk-thread.ts`) from the module next to
 * this one: its `.js` once compiled; under the tests (sources run through tsx) its `.ts`, via a
 * bootstrap that registers tsx first, because Node 20 loads a worker's main module before
 * `--import` hooks given in execArgv take effect.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

export function startModuleWorker(
  module: 'worker' | 'walk-thread',
  workerData: unknown,
  resourceLimits?: ResourceLimits,
): Worker {
  const self = import.meta.url;
  const options = { workerData, ...(resourceLimits ? { resourceLimits } : {}) };
  if (!self.endsWith('.ts')) return new Worker(new URL(`./${module}.js`, self), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL(`./${module}.ts`, self).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
