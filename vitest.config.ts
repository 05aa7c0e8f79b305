import { defineConfig } from 'vitest/config';

// Tests run against real files, real servers on loopback and a real keychain, so they are
// slower than pure unit tests: forks (native modules are not thread-safe to share), generous
// timeouts, and no file-level parallelism beyond the two cores these machines have.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
