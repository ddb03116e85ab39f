import { beforeEach } from 'vitest';

// The tests and the bench start PostgreSQL the same way.
export { startTestPostgres, type StartTestPostgresOptions, type TestPostgres } from '../../tools/embedded-postgres.js';

/**
 * `TEST_POSTGRES=off`: the PostgreSQL blocks are reported as skipped and no PostgreSQL is started
 * (for a machine where embedded-postgres cannot run; CI runs them all).
 */
export const POSTGRES_OFF = process.env.TEST_POSTGRES === 'off';

/** In a block (or file) that needs PostgreSQL: with TEST_POSTGRES=off, each of its tests is skipped. */
export function skipWithoutPostgres(): void {
  if (POSTGRES_OFF) beforeEach((context) => context.skip());
}

/**
 * In a file whose blocks run on both engines (`describe.each(logStores())('… on $name')`): with
 * TEST_POSTGRES=off, each test under a block named for PostgreSQL is skipped and the SQLite ones
 * run. A PostgreSQL block not so named fails, asking for a PostgreSQL that was not started.
 */
export function skipPostgresBlocksWithoutPostgres(): void {
  if (POSTGRES_OFF)
    beforeEach((context) => {
      if (namesPostgres(context.task)) context.skip();
    });
}

interface NamedTask {
  name: string;
  suite?: NamedTask;
}

function namesPostgres(task: NamedTask | undefined): boolean {
  for (let at = task; at !== undefined; at = at.suite) if (at.name.includes('PostgreSQL')) return true;
  return false;
}
