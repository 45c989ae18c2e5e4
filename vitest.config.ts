import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One worker process runs many files, so vitest and the sources load once per worker, not
    // once per file. Test files share no state that leaks: each starts its own servers and
    // config dirs and stops them, and the CLI under test runs as child processes or through
    // fake Deps.
    isolate: false,
    // Most tests wait on child processes, so two files at a time use a 2-CPU machine well.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
