import { configDefaults, defineConfig } from 'vitest/config';

/** Each project's files; unit is every test file not in another project. */
const PROJECTS = {
  http: ['test/web/**/*.test.ts', 'test/server.test.ts'],
  store: ['test/store/**/*.test.ts'],
  // Real processes: servers, and the command-line tools run as a user runs them.
  durability: [
    'test/durability/**/*.test.ts',
    'test/tools/**/*.test.ts',
    'test/scripts/dev.test.ts',
    'test/scripts/help.test.ts',
    'test/training/train-evaluate.test.ts',
  ],
  browser: ['test/browser/**/*.test.ts'],
} as const;

export default defineConfig({
  test: {
    environment: 'node',
    // Browser and process tests start real servers, which on a busy two-core machine take far
    // longer than vitest's 5 s default; unit tests finish in milliseconds either way.
    testTimeout: 20_000,
    // toEqual on typed arrays in milliseconds rather than a quarter of a second per model.
    setupFiles: ['test/helpers/typed-array-equality.ts'],
    hookTimeout: 30_000,
    // Two files at a time, whatever the cores: vitest's default (cores - 1) is one on a two-core
    // machine, and most of the suite's time is spent waiting on servers, PostgreSQL and
    // Chromium that run in other processes.
    maxWorkers: 2,
    minWorkers: 1,
    // `npx vitest run --project unit` (npm run test:unit) while working; `npm test` runs them all.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...Object.values(PROJECTS).flat()],
        },
      },
      ...Object.entries(PROJECTS).map(([name, include]) => ({
        extends: true as const,
        test: { name, include: [...include] },
      })),
    ],
  },
});
