// Mutation testing of the store and the token logic (`npm run mutate`): Stryker changes
// the code one small way at a time and runs the in-process tests that cover it; a mutant
// that no test notices (a survivor) is a guarantee no test would see break.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: ['src/cli/tokens.ts', 'src/store/index.ts', 'src/store/lock.ts', 'src/store/atomic.ts'],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress'],
  concurrency: 2,
  timeoutMS: 20000,
  tempDirName: '.stryker-tmp',
};
