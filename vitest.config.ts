import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/worker-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One worker process runs many files, so vitest and the sources load once per worker, not
    // once per file. Test files share no state that leaks: each starts its own servers and
    // config dirs and stops them, and the CLI under test runs as child processes or through
    // fake Deps.
    isolate: false,
    // Two files at a time (beside `npm test`'s type check and lint): most tests wait on child
    // processes. A third worker measured no faster on a 2-CPU machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
