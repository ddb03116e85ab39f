import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { DatabaseUnavailableError } from '../../../src/errors.js';
import { startTextIndexer, type TextIndexer } from '../../../src/store/jobs/text-indexer.js';
import { openStore } from '../../../src/store/index.js';
import type { LogStore } from '../../../src/store/types.js';
import { waitFor } from '../../helpers/server-process.js';

const dirs: string[] = [];
const stores: LogStore[] = [];
const indexers: TextIndexer[] = [];
const holders: Database.Database[] = [];
afterEach(async () => {
  for (const indexer of indexers.splice(0)) await indexer.stop();
  for (const holder of holders.splice(0)) holder.close();
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store with one answered review waiting for the index; it does not wait for a lock another connection holds. */
async function storeWithOneReview(): Promise<{ store: LogStore; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'movieclassifier-indexer-'));
  dirs.push(dir);
  const path = join(dir, 'reviews.sqlite');
  const store = openStore(path, { busyTimeoutMs: 0 });
  stores.push(store);
  await store.insertPrediction({
    id: 'p-1',
    review: 'A review the console should find by its words once the indexer has run over it.',
    sentiment: 1,
    probability: 0.9,
    modelVersion: 'v',
    createdAt: new Date().toISOString(),
  });
  const outcome = await store.recordFeedback('p-1', 1, 'feedback');
  expect(outcome.status).toBe('recorded');
  return { store, path };
}

/** A log that keeps what each level was given. */
function recordingLog() {
  const lines = { debug: [] as { err: unknown }[], error: [] as { err: unknown }[] };
  return {
    lines,
    debug: (details: object) => void lines.debug.push(details as { err: unknown }),
    error: (details: object) => void lines.error.push(details as { err: unknown }),
  };
}

const indexedThrough = (path: string): number => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare<[], number>('SELECT through FROM review_fts_position WHERE id = 1').pluck().get() ?? 0;
  } finally {
    db.close();
  }
};

describe('the text indexer', () => {
  it('logs no error while another process holds the write lock, and indexes the rows once it is free', async () => {
    // Arrange: another connection (a second server, say) holds SQLite's write lock.
    const { store, path } = await storeWithOneReview();
    const holder = new Database(path);
    holders.push(holder);
    holder.exec('BEGIN IMMEDIATE');
    const log = recordingLog();

    // Act
    indexers.push(startTextIndexer(store.console, { everyMs: 5, log }));
    await waitFor('the indexer to meet the lock', () => log.lines.debug.length >= 2, 5_000);
    const whileLocked = indexedThrough(path);
    holder.exec('COMMIT');
    await waitFor('the indexer to index the review', () => indexedThrough(path) > 0, 5_000);

    // Assert
    expect(whileLocked).toBe(0);
    expect(log.lines.error).toEqual([]);
    expect(log.lines.debug[0].err).toBeInstanceOf(DatabaseUnavailableError);
  });

  it('logs an error for a failure that is not the database being away', async () => {
    const { store } = await storeWithOneReview();
    const log = recordingLog();
    // A closed connection is a fault of the program, not a database that will be back.
    await stores.pop()!.close();

    indexers.push(startTextIndexer(store.console, { everyMs: 5, log }));
    await waitFor('the indexer to fail', () => log.lines.error.length >= 1, 5_000);

    expect(log.lines.error[0].err).not.toBeInstanceOf(DatabaseUnavailableError);
    expect(log.lines.debug).toEqual([]);
  });
});
