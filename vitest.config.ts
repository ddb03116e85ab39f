import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Browser and process tests start real servers, which on a busy two-core machine take far
    // longer than vitest's 5 s default; unit tests finish in milliseconds either way.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
