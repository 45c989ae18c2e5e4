import { defineConfig } from 'vitest/config';

// The in-process tests only: what `npm run mutate` (Stryker) runs for each mutant.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
