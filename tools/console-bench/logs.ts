import { statSync } from 'node:fs';
import path from 'node:path';

import { databaseCheckpoints, openCheckpoints, type Checkpoints } from '../../src/learner/index.js';
import { openStore, type LogStore } from '../../src/store/index.js';
import { bulkLoadLog, type BulkRow } from './bulk-load-sqlite.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { analyzePostgresLog, bulkLoadPostgresLog, postgresDatabaseBytes } from './bulk-load-postgres.js';
import { startTestPostgres } from '../embedded-postgres.js';

/** The log the bench fills and the console reads, on one of the two stores. */
export interface BenchLog {
  store: LogStore;
  checkpoints: Checkpoints;
  /** Appends rows as the bulk loaders write them (one transaction). */
  load(
    rows: Iterable<BulkRow>,
    unanswered?: (index: number) => boolean,
  ): Promise<{ rows: number; predictions: number }>;
  /** Puts every row's text in the console's words index (and, on PostgreSQL, gathers statistics); returns how many rows it added. */
  indexAll(): Promise<number>;
  sizeMb(): Promise<number>;
  close(): Promise<void>;
}

/** SQLite in `dir` (reviews.sqlite, checkpoints/), as a server with DATA_DIR=dir keeps them. */
export function sqliteBenchLog(dir: string): BenchLog {
  const dbPath = path.join(dir, 'reviews.sqlite');
  const store = openStore(dbPath);
  return {
    store,
    checkpoints: openCheckpoints(path.join(dir, 'checkpoints')),
    load: async (rows, unanswered) => bulkLoadLog(dbPath, rows, unanswered),
    indexAll: async () => (await store.console.indexText(Number.MAX_SAFE_INTEGER)).indexed,
    sizeMb: async () =>
      ['', '-wal'].reduce((sum, s) => sum + (statSync(`${dbPath}${s}`, { throwIfNoEntry: false })?.size ?? 0), 0) / 1e6,
    close: async () => store.close(),
  };
}

/** A PostgreSQL started for the run (embedded-postgres in a temporary folder), one database, checkpoints in it. */
export async function postgresBenchLog(): Promise<BenchLog> {
  const postgres = await startTestPostgres();
  try {
    const url = await postgres.createDatabase();
    const store = await openPostgresStore(url);
    return {
      store,
      checkpoints: databaseCheckpoints(store),
      load: (rows, unanswered) => bulkLoadPostgresLog(url, rows, unanswered),
      async indexAll() {
        let total = 0;
        for (;;) {
          const { indexed } = await store.console.indexText(10_000);
          if (indexed === 0) break;
          total += indexed;
        }
        await analyzePostgresLog(url);
        return total;
      },
      sizeMb: async () => (await postgresDatabaseBytes(url)) / 1e6,
      async close() {
        await store.close();
        await postgres.destroy();
      },
    };
  } catch (error) {
    await postgres.destroy();
    throw error;
  }
}
