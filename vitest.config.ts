import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/helpers/sequencer.js';

// The tests talk to 127.0.0.1 only; the one that needs extra CAs gives its own. A machine-wide
// NODE_EXTRA_CA_CERTS (a CA bundle for a proxy) is parsed by every Node process at start, and
// the suite starts hundreds: dropped here, before the workers and their children inherit it.
delete process.env.NODE_EXTRA_CA_CERTS;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/worker-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    sequence: { sequencer: SlowestFirst },
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
