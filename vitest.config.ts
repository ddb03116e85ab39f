import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Model and SQLite tests share no state, but browser/process tests start servers:
    // keep them from fighting over the two cores.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
