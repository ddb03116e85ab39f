import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseVersionError, MovieClassifierError } from '../../src/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate, openStore, readSchemaVersion } from '../../src/store/index.js';
import { createClassicDatabase } from '../helpers/classic-db.js';
import { logRows } from '../helpers/stores.js';
import { registerReviewHash } from '../../src/store/sqlite/migrations/003-review-hash.js';
import {
  CLIENT_ACCEPTED_SINCE_SQL,
  PHRASE_FEEDBACK_SQL,
  TRIM_CLIENT_PREDICTIONS_SQL,
} from '../../src/store/sqlite/log-store.js';
import { checkedSchemaVersion } from '../../src/store/migration-numbers.js';
import { POSTGRES_SCHEMA_VERSION, POSTGRES_STEPS } from '../../src/store/postgres/index.js';

let dir: string;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'movieclassifier-migrations-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Read a file directly, bypassing the store, so assertions see what is really on disk. */
function inspect<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const tableNames = (db: Database.Database): string[] =>
  db
    .prepare<[], string>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all();

/** Every table at the current schema version (review_fts_* are the full-text index's own). */
const CURRENT_TABLES = [
  'admin_login_failures',
  'admin_signed_out',
  'client_summary',
  'database_identity',
  'feedback_hourly',
  'model_events',
  'phrase_feedback',
  'prediction_hourly',
  'predictions',
  'review_bands',
  'review_db',
  'review_fts',
  'review_fts_config',
  'review_fts_data',
  'review_fts_idx',
  'review_fts_position',
  'verdict_changes',
];

const indexNames = (db: Database.Database): string[] =>
  db
    .prepare<[], string>(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all();

describe('migrations list', () => {
  it('numbers the migrations 1, 2, ... with no gap, and the last one is the schema version', () => {
    const expected = Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1);
    expect(MIGRATIONS.map((m) => m.version)).toEqual(expected);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)?.version);
    expect(MIGRATIONS.map((m) => m.name)).toEqual([
      '001-review-db',
      '002-predictions',
      '003-review-hash',
      '004-verdicts',
      '005-database-identity-and-expiry',
      '006-console',
      '007-client-accepted-index',
      '008-correction-phrases',
      '009-prediction-client',
      '010-phrase-feedback',
    ]);
  });

  it('has the same steps, numbered and named alike, on SQLite and PostgreSQL, each in its own file of that name', () => {
    const steps = (list: readonly { version: number; name: string }[]) =>
      list.map(({ version, name }) => ({ version, name }));
    expect(steps(POSTGRES_STEPS)).toEqual(steps(MIGRATIONS));
    expect(POSTGRES_SCHEMA_VERSION).toBe(SCHEMA_VERSION);
    for (const engine of ['sqlite', 'postgres']) {
      const folder = path.join(import.meta.dirname, '../../src/store', engine, 'migrations');
      const files = fs
        .readdirSync(folder)
        .filter((name) => /^\d{3}-/.test(name))
        .map((name) => name.replace(/\.ts$/, ''));
      expect(files, engine).toEqual(MIGRATIONS.map((m) => m.name));
    }
  });
});

describe('migrate on a fresh database', () => {
  it('creates review_db and predictions with their indexes and sets user_version', () => {
    // Arrange
    const db = new Database(':memory:');

    // Act
    const result = migrate(db, ':memory:');

    // Assert
    expect(result).toEqual({ from: 0, to: SCHEMA_VERSION });
    expect(readSchemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(tableNames(db)).toEqual(CURRENT_TABLES);
    expect(indexNames(db)).toEqual([
      'admin_login_failures_client_at',
      'client_summary_rows',
      'model_events_at',
      'phrase_feedback_date',
      'phrase_feedback_phrase_date',
      'predictions_feedback_review_id',
      'predictions_unanswered_client',
      'predictions_unanswered_created_at',
      'review_bands_key',
      'review_db_client_accepted',
      'review_db_client_id',
      'review_db_normalized_hash',
      'review_db_prediction_id',
      'review_db_review_hash',
      'review_db_verdict_id',
    ]);
    const reviewColumns = db.prepare("SELECT name, type, pk FROM pragma_table_info('review_db') ORDER BY cid").all();
    expect(reviewColumns).toEqual([
      { name: 'review', type: 'TEXT', pk: 0 },
      { name: 'sentiment', type: 'INTEGER', pk: 0 },
      { name: 'date', type: 'TEXT', pk: 0 },
      { name: 'id', type: 'INTEGER', pk: 1 },
      { name: 'prediction_id', type: 'TEXT', pk: 0 },
      { name: 'source', type: 'TEXT', pk: 0 },
      { name: 'review_hash', type: 'TEXT', pk: 0 },
      { name: 'verdict', type: 'TEXT', pk: 0 },
      { name: 'verdict_reason', type: 'TEXT', pk: 0 },
      { name: 'client', type: 'TEXT', pk: 0 },
      { name: 'correction', type: 'INTEGER', pk: 0 },
      { name: 'normalized_hash', type: 'TEXT', pk: 0 },
      { name: 'signature', type: 'BLOB', pk: 0 },
    ]);
    const strict = db.prepare<[], { name: string; strict: number }>(
      "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name IN ('predictions', 'review_db') ORDER BY name",
    );
    expect(strict.all()).toEqual([
      { name: 'predictions', strict: 1 },
      { name: 'review_db', strict: 0 },
    ]);
    db.close();
  });

  it('refuses new review_db rows whose sentiment is not 0 or 1, but not classic-import ones', () => {
    // Arrange
    const db = new Database(':memory:');
    migrate(db, ':memory:');
    const insert = db.prepare('INSERT INTO review_db (review, sentiment, date, source) VALUES (?, ?, ?, ?)');

    // Act / Assert
    expect(() => insert.run('text', 2, '2024-01-01', 'feedback')).toThrow(/review_db_typed_row/);
    expect(() => insert.run('text', '1x', '2024-01-01', 'feedback')).toThrow(/review_db_typed_row/);
    expect(() => insert.run(null, 1, '2024-01-01', 'feedback')).toThrow(/review_db_typed_row/);
    expect(() => insert.run('text', 2, null, 'classic-import')).not.toThrow();
    db.close();
  });
});

describe('migration 4 (verdicts) on a log written before it', () => {
  it('carries rows over as accepted, and holds those the fold skipped, saying why', () => {
    // Arrange: a version-3 database with one row of each kind.
    const db = new Database(':memory:');
    registerReviewHash(db);
    for (const migration of MIGRATIONS.slice(0, 3)) migration.up(db);
    db.pragma('user_version = 3');
    const insert = db.prepare(
      "INSERT INTO review_db (review, sentiment, date, source, review_hash) VALUES (?, ?, '2024-01-01', ?, review_hash(?))",
    );
    for (const [review, sentiment, source] of [
      ['A perfectly ordinary review of a film', 1, 'feedback'],
      ['Too short', 1, 'feedback'],
      ['A perfectly ordinary review of a film', 1, 'api'],
      ['A perfectly ordinary review of a film', 0, 'api'],
      ['A classic row with an odd label', 'maybe', 'classic-import'],
    ] as const) {
      insert.run(review, sentiment, source, review);
    }

    // Act
    migrate(db, ':memory:');

    // Assert
    const rows = db.prepare('SELECT id, verdict, verdict_reason AS reason FROM review_db ORDER BY id').all();
    expect(rows).toEqual([
      { id: 1, verdict: 'accepted', reason: null },
      { id: 2, verdict: 'held', reason: 'migrated: text too short' },
      { id: 3, verdict: 'held', reason: 'migrated: repeats row 1' },
      { id: 4, verdict: 'accepted', reason: null },
      { id: 5, verdict: 'held', reason: 'migrated: sentiment is not 0 or 1' },
    ]);
    const bands = db.prepare('SELECT COUNT(DISTINCT review_id) FROM review_bands').pluck().get();
    expect(bands).toBe(5);
    db.close();
  });
});

describe('migrate on a classic-schema database', () => {
  const classicRows = [
    { review: 'I love this movie', sentiment: 1, date: '2016-05-01 10:00:00' },
    { review: 'I disliked this movie', sentiment: 0, date: '2016-05-01 10:00:01' },
    { review: 'Ein großartiger Film — 映画は最高 😀 "quoted" \'single\'', sentiment: 1, date: '2016-05-02 11:00:00' },
    { review: 'A row without a date', sentiment: 0, date: null },
    { review: 'Last one', sentiment: 1, date: '2016-05-03 12:00:00' },
  ];

  it('migrates it in place, keeping every row in rowid order with its text, sentiment and date', async () => {
    // Arrange
    const file = path.join(dir, 'reviews.sqlite');
    createClassicDatabase(file, classicRows);
    const before = inspect(file, (db) =>
      db.prepare('SELECT rowid, review, sentiment, date FROM review_db ORDER BY rowid').all(),
    );

    // Act
    await openStore(file).close();

    // Assert
    const after = inspect(file, (db) => ({
      version: readSchemaVersion(db),
      rows: db.prepare('SELECT id, review, sentiment, date, prediction_id, source FROM review_db ORDER BY id').all(),
      tables: tableNames(db),
    }));
    expect(after.version).toBe(SCHEMA_VERSION);
    expect(after.tables).toEqual(CURRENT_TABLES);
    expect(after.rows).toEqual(
      classicRows.map((row, i) => ({ id: i + 1, ...row, prediction_id: null, source: 'classic-import' })),
    );
    expect(after.rows.map((row) => (row as { id: number }).id)).toEqual(
      before.map((row) => (row as { rowid: number }).rowid),
    );
  });

  it('keeps classic rowids as ids, gaps included, and continues numbering after the largest', async () => {
    // Arrange: a classic table where row 2 was deleted at some point.
    const file = path.join(dir, 'gappy.sqlite');
    createClassicDatabase(file, classicRows.slice(0, 3));
    const db = new Database(file);
    db.prepare('DELETE FROM review_db WHERE rowid = 2').run();
    db.close();

    // Act
    const store = openStore(file);
    const ids = (await logRows(store)).map((row) => row.id);
    const nextId = await store.insertReview('new', 1, 'feedback');
    await store.close();

    // Assert
    expect(ids).toEqual([1, 3]);
    expect(nextId).toBe(4);
  });

  it('serves classic rows through the store, with a missing date read as an empty string', async () => {
    // Arrange
    const file = path.join(dir, 'reviews.sqlite');
    createClassicDatabase(file, classicRows);

    // Act
    const store = openStore(file);
    const rows = await logRows(store);
    await store.close();

    // Assert
    expect(rows).toEqual(
      classicRows.map((row, i) => ({
        id: i + 1,
        review: row.review,
        sentiment: row.sentiment,
        date: row.date ?? '',
        predictionId: null,
        source: 'classic-import',
        // 'Last one' is under the 15 characters the fold required before verdicts: held.
        verdict: row.review === 'Last one' ? 'held' : 'accepted',
        verdictReason: row.review === 'Last one' ? 'migrated: text too short' : null,
        client: null,
      })),
    );
  });

  it('coerces text labels to 0/1 and keeps sentiments it cannot coerce exactly as found', async () => {
    // Arrange
    const file = path.join(dir, 'odd.sqlite');
    createClassicDatabase(file, [
      { review: 'a', sentiment: ' 1 ', date: 'd' },
      { review: 'b', sentiment: 'negative', date: 'd' },
      { review: 'c', sentiment: 'Positive', date: 'd' },
      { review: 'd', sentiment: 2, date: 'd' },
      { review: 'e', sentiment: 0.5, date: 'd' },
      { review: 'f', sentiment: 'maybe', date: 'd' },
      { review: 'g', sentiment: null, date: 'd' },
      { review: null, sentiment: 1, date: 'd' },
    ]);

    // Act
    await openStore(file).close();

    // Assert
    const rows = inspect(file, (db) =>
      db.prepare('SELECT review, sentiment, typeof(sentiment) AS type FROM review_db ORDER BY id').all(),
    );
    expect(rows).toEqual([
      { review: 'a', sentiment: 1, type: 'integer' },
      { review: 'b', sentiment: 0, type: 'integer' },
      { review: 'c', sentiment: 1, type: 'integer' },
      { review: 'd', sentiment: 2, type: 'integer' },
      { review: 'e', sentiment: 0.5, type: 'real' },
      { review: 'f', sentiment: 'maybe', type: 'text' },
      { review: 'g', sentiment: null, type: 'null' },
      { review: null, sentiment: 1, type: 'integer' },
    ]);
  });

  it('migrates an empty classic table', async () => {
    // Arrange
    const file = path.join(dir, 'empty.sqlite');
    createClassicDatabase(file, []);

    // Act
    const store = openStore(file);

    // Assert
    expect(await store.countReviews()).toBe(0);
    expect(await store.insertReview('first', 1, 'feedback')).toBe(1);
    await store.close();
  });
});

describe('reopening and refusing', () => {
  it('does nothing when the database is already at the current version', async () => {
    // Arrange
    const file = path.join(dir, 'reviews.sqlite');
    const first = openStore(file);
    await first.insertReview('kept', 1, 'feedback', { date: '2024-01-01T00:00:00.000Z' });
    await first.close();
    const schemaBefore = inspect(file, (db) =>
      db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all(),
    );

    // Act
    const db = new Database(file);
    const result = migrate(db, file);
    db.close();
    const store = openStore(file);
    const rows = await logRows(store);
    await store.close();

    // Assert
    expect(result).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    expect(inspect(file, (db) => db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all())).toEqual(
      schemaBefore,
    );
    expect(rows.map((row) => row.review)).toEqual(['kept']);
  });

  it('refuses a database from a newer movieclassifier with DatabaseVersionError naming the file', () => {
    // Arrange
    const file = path.join(dir, 'future.sqlite');
    const db = new Database(file);
    db.pragma('user_version = 999');
    db.close();

    // Act
    let error: unknown;
    try {
      openStore(file);
    } catch (caught) {
      error = caught;
    }

    // Assert
    expect(error).toBeInstanceOf(DatabaseVersionError);
    expect(error).toMatchObject({ name: 'DatabaseVersionError', path: file, found: 999, supported: SCHEMA_VERSION });
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toContain('999');
    expect(message).toContain(String(SCHEMA_VERSION));
    expect(message).toMatch(/upgrade movieclassifier/i);
    expect(message).toContain('DB_PATH');
    expect(inspect(file, readSchemaVersion)).toBe(999);
  });

  it('refuses a version-0 database whose review_db is not the classic table, and leaves it alone', () => {
    // Arrange
    const file = path.join(dir, 'foreign.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE review_db (id INTEGER PRIMARY KEY, text TEXT)');
    db.close();

    // Act / Assert
    expect(() => openStore(file)).toThrow(DatabaseVersionError);
    expect(() => openStore(file)).toThrow(/review_db with columns \(id, text\)/);
    expect(inspect(file, (db) => db.prepare("SELECT name FROM pragma_table_info('review_db')").pluck().all())).toEqual([
      'id',
      'text',
    ]);
  });

  it('rolls every migration back when one fails, leaving a classic database as it was', () => {
    // Arrange: a classic database that also holds an unrelated `predictions` table, so
    // migration 002 fails after 001 has already rebuilt review_db.
    const file = path.join(dir, 'clash.sqlite');
    createClassicDatabase(file, [{ review: 'kept', sentiment: 1, date: 'd' }]);
    const db = new Database(file);
    db.exec('CREATE TABLE predictions (anything TEXT)');
    db.close();

    // Act
    let error: unknown;
    try {
      openStore(file);
    } catch (caught) {
      error = caught;
    }

    // Assert
    expect(error).toBeInstanceOf(MovieClassifierError);
    expect((error as Error).message).toMatch(/migration 002-predictions failed/);
    expect((error as Error).message).toContain(file);
    const after = inspect(file, (db) => ({
      version: readSchemaVersion(db),
      columns: db.prepare("SELECT name FROM pragma_table_info('review_db') ORDER BY cid").pluck().all(),
      rows: db.prepare('SELECT review, sentiment, date FROM review_db').all(),
    }));
    expect(after).toEqual({
      version: 0,
      columns: ['review', 'sentiment', 'date'],
      rows: [{ review: 'kept', sentiment: 1, date: 'd' }],
    });
  });

  it('refuses to migrate a database opened read-only', () => {
    // Arrange
    const file = path.join(dir, 'classic.sqlite');
    createClassicDatabase(file, [{ review: 'kept', sentiment: 1 }]);

    // Act / Assert
    expect(() => openStore(file, { readonly: true })).toThrow(/opened read-only and cannot be migrated/);
    expect(inspect(file, readSchemaVersion)).toBe(0);
  });
});

describe('migration 7', () => {
  it("makes the verdict rule's count of a client's accepted rows read only those rows, through its index", async () => {
    // Arrange: a client with many held rows today would otherwise be read row by row on every write.
    const dbFile = path.join(dir, 'reviews.sqlite');
    await openStore(dbFile).close();

    // Act
    const plan = inspect(dbFile, (db) =>
      db
        .prepare<[string, string], { detail: string }>(`EXPLAIN QUERY PLAN ${CLIENT_ACCEPTED_SINCE_SQL}`)
        .all('c0ffee', '2024-05-01T00:00:00.000Z')
        .map((step) => step.detail),
    );

    // Assert
    expect(plan.join('\n')).toMatch(/USING COVERING INDEX review_db_client_accepted \(client=\? AND date>\?\)/);
  });
});

describe('migrations 8 and 10', () => {
  it("makes the phrase budget's lookup a range scan of one phrase's rows by date, newest first", async () => {
    // Arrange: the lookup runs once per phrase of an answer, inside the write transaction.
    const dbFile = path.join(dir, 'reviews.sqlite');
    await openStore(dbFile).close();

    // Act
    const plan = inspect(dbFile, (db) =>
      db
        .prepare<[{ phrases: string; since: string; limit: number }], { detail: string }>(
          `EXPLAIN QUERY PLAN ${PHRASE_FEEDBACK_SQL}`,
        )
        .all({ phrases: '[123456, 7890]', since: '2024-05-01T00:00:00.000Z', limit: 256 })
        .map((step) => step.detail),
    );

    // Assert
    const steps = plan.join('\n');
    expect(steps).toMatch(/SEARCH p USING INDEX phrase_feedback_phrase_date \(phrase=\? AND date>\?\)/);
    expect(steps).toMatch(/SEARCH r USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    // No sort of a phrase's rows (the index gives the date order) and no scan of either table.
    expect(steps).not.toMatch(/TEMP B-TREE FOR ORDER BY\n.*SEARCH p|SCAN [pr]\b/);
  });
});

describe('migration numbers', () => {
  it('refuses a gap or a repeat, naming the step', () => {
    const list = (...versions: number[]) => versions.map((version) => ({ version, name: `00${version}-step` }));
    expect(checkedSchemaVersion(list(1, 2, 3))).toBe(3);
    expect(() => checkedSchemaVersion(list(1, 3))).toThrow('migration 003-step has version 3; expected 2');
    expect(() => checkedSchemaVersion(list(1, 1))).toThrow('expected 2');
  });
});

describe('migration 9 (prediction client)', () => {
  it('keeps the predictions of a version-7 database, with no client, answered or not', async () => {
    // Arrange: a database at version 7 with an answered and an unanswered prediction.
    const file = path.join(dir, 'reviews.sqlite');
    const db = new Database(file);
    registerReviewHash(db);
    for (const migration of MIGRATIONS.filter((m) => m.version <= 7)) migration.up(db);
    db.pragma('user_version = 7');
    const insert = db.prepare(
      `INSERT INTO predictions (id, review, label, probability, model_version, created_at) VALUES (?, ?, 1, 0.9, 'v', ?)`,
    );
    insert.run('p-answered', 'A review someone answered', '2024-05-01T00:00:00.000Z');
    insert.run('p-open', 'A review nobody answered yet', '2024-05-01T00:01:00.000Z');
    db.close();
    const store = openStore(file);
    await store.recordFeedback('p-answered', 1, 'feedback');
    await store.close();

    // Act
    const upgraded = openStore(file, { maxUnansweredPerClient: 1 });
    await upgraded.insertPredictions([
      {
        id: 'p-new',
        review: 'A new one',
        sentiment: 0,
        probability: 0.8,
        modelVersion: 'v',
        createdAt: '2024-05-02T00:00:00.000Z',
        client: 'c0ffee',
      },
    ]);
    await upgraded.close();

    // Assert
    expect(inspect(file, readSchemaVersion)).toBe(SCHEMA_VERSION);
    const rows = inspect(file, (db) =>
      db.prepare('SELECT id, client, feedback_review_id AS answer FROM predictions ORDER BY id').all(),
    );
    expect(rows).toEqual([
      { id: 'p-answered', client: null, answer: 1 },
      { id: 'p-new', client: 'c0ffee', answer: null },
      { id: 'p-open', client: null, answer: null },
    ]);
  });

  it("finds a client's unanswered predictions beyond the bound through its partial index", async () => {
    const file = path.join(dir, 'reviews.sqlite');
    await openStore(file).close();

    const plan = inspect(file, (db) =>
      db
        .prepare<[string, number], { detail: string }>(`EXPLAIN QUERY PLAN ${TRIM_CLIENT_PREDICTIONS_SQL}`)
        .all('c0ffee', 500)
        .map((step) => step.detail),
    );

    expect(plan.join('\n')).toMatch(/USING (COVERING )?INDEX predictions_unanswered_client \(client=\?\)/);
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
  });
});
