import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach } from 'vitest';

import {
  openStore,
  type ConsoleFilter,
  type ConsoleRow,
  type LogStore,
  type ReviewRow,
  type VerdictRule,
} from '../../src/store/index.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { migratedDatabases, usePostgres } from './log-stores.js';

/** The two stores the log can live in: SQLite (the default) and PostgreSQL (DATABASE_URL). */
export type StoreKind = 'SQLite' | 'PostgreSQL';
export const STORE_KINDS: readonly StoreKind[] = ['SQLite', 'PostgreSQL'];

export interface OpenLogOptions {
  verdictRule?: VerdictRule;
  /** SQLite: open the file read-only (a server may be writing it); PostgreSQL has no such mode. */
  readonly?: boolean;
  /** PREDICTION_MAX_PER_CLIENT, as the server opens the store with it. @default 0 (no bound) */
  maxUnansweredPerClient?: number;
}

/** Logs of one kind for the tests of a describe block; every store opened here is closed after its test. */
export interface LogStores {
  readonly kind: StoreKind;
  /** Where a new, empty log is: a SQLite file in a temporary folder, or a new PostgreSQL database's address. */
  newLog(): Promise<string>;
  /** A store on the log at `where` (from newLog()), as the server opens it. */
  open(where: string, options?: OpenLogOptions): Promise<LogStore>;
  /** A store on a new, empty log: SQLite in memory, or a new PostgreSQL database. */
  openNew(options?: OpenLogOptions): Promise<LogStore>;
  /** Closes `store` after the test, as the stores opened here are. */
  adopt<S extends LogStore>(store: S): S;
}

/**
 * Call in a describe block (or at a file's top level): on PostgreSQL, starts one embedded server
 * for the block (usePostgres: before its tests, stopped after them); each log is a new database
 * on it (migratedDatabases), so tests share nothing. (logStores() in log-stores.ts is the same
 * for suites that also run SQL of their own on the log.)
 *
 * @example
 *   describe.each(STORE_KINDS)('on %s', (kind) => {
 *     const logs = useLogStores(kind);
 *     it('counts rows', async () => expect(await (await logs.openNew()).countReviews()).toBe(0));
 *   });
 */
export function useLogStores(kind: StoreKind): LogStores {
  const opened: LogStore[] = [];
  const folders: string[] = [];
  let newDatabase: (() => Promise<string>) | undefined;
  if (kind === 'PostgreSQL') {
    const databases = migratedDatabases(usePostgres(() => databases.settled()));
    newDatabase = databases;
  }
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  const adopt = <S extends LogStore>(store: S): S => {
    opened.push(store);
    return store;
  };
  const open = async (
    where: string,
    { readonly, verdictRule, maxUnansweredPerClient }: OpenLogOptions = {},
  ): Promise<LogStore> =>
    adopt(
      kind === 'PostgreSQL'
        ? await openPostgresStore(where, { verdictRule, maxUnansweredPerClient })
        : openStore(where, { readonly, verdictRule, maxUnansweredPerClient }),
    );
  return {
    kind,
    async newLog() {
      if (newDatabase !== undefined) return newDatabase();
      const folder = mkdtempSync(join(tmpdir(), 'movieclassifier-log-'));
      folders.push(folder);
      return join(folder, 'reviews.sqlite');
    },
    open,
    adopt,
    openNew: async (options) => open(newDatabase === undefined ? ':memory:' : await newDatabase(), options),
  };
}

/** Every row of the log after `afterId` (and up to `upTo`), read through either store's reviewsAfter. */
export async function logRows(store: Pick<LogStore, 'reviewsAfter'>, afterId = 0, upTo?: number): Promise<ReviewRow[]> {
  const rows: ReviewRow[] = [];
  for await (const row of store.reviewsAfter(afterId, upTo)) rows.push(row);
  return rows;
}

/** Log rows matching `filter`, newest first, as the operator's list reads them (the console's indexed query). */
export async function listLog(
  store: Pick<LogStore, 'console'>,
  filter: ConsoleFilter = {},
  page: { limit?: number; before?: number } = {},
): Promise<ConsoleRow[]> {
  return store.console.feedbackPage(filter, {
    limit: page.limit ?? 50,
    excerptChars: 10_000,
    ...(page.before === undefined ? {} : { before: page.before }),
  });
}

/**
 * The stores an HTTP test that is not about storage runs on: SQLite only. The store contract and
 * durability suites run on both engines, and so do the few console and admin-API tests whose
 * outcome rests on the database (state workers share through it, published models, a model
 * rebuilt from the log); running the route tests on PostgreSQL as well tested the same store
 * calls again and took most of their time. `logStores(HTTP_STORE_KINDS)` starts no PostgreSQL.
 */
export const HTTP_STORE_KINDS: readonly StoreKind[] = ['SQLite'];
