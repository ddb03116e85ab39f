import type BetterSqlite3 from 'better-sqlite3';

/** `source` of the rows carried over from a classic (Python/Flask) database. */
export const CLASSIC_IMPORT_SOURCE = 'classic-import';

/** The columns of the classic `review_db`: `CREATE TABLE review_db (review TEXT, sentiment INTEGER, date TEXT)`. */
const CLASSIC_COLUMNS = ['date', 'review', 'sentiment'] as const;

/** What an unversioned (user_version 0) database holds under the name `review_db`. */
export type UnversionedReviewDb = { kind: 'absent' } | { kind: 'classic' } | { kind: 'unexpected'; columns: string[] };

/**
 * Look at `review_db` in a database whose user_version is 0.
 *
 * A table with exactly the classic columns (review, sentiment, date; any order, any case) is
 * the classic schema and is adopted. Anything else named review_db (a view, extra columns,
 * an id column) was not written by the classic app and is reported as unexpected, so the
 * caller refuses it instead of guessing.
 *
 * @param db an open better-sqlite3 connection.
 * @example
 *   inspectUnversionedReviewDb(db) // -> { kind: 'classic' }
 */
export function inspectUnversionedReviewDb(db: BetterSqlite3.Database): UnversionedReviewDb {
  const object = db
    .prepare<[string], { type: string }>(`SELECT type FROM sqlite_schema WHERE name = ? COLLATE NOCASE`)
    .get('review_db');
  if (object === undefined) return { kind: 'absent' };
  const columns = db
    .prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?) ORDER BY cid`)
    .all('review_db')
    .map((column) => column.name);
  const normalized = columns.map((name) => name.toLowerCase()).sort();
  const classic =
    object.type === 'table' &&
    normalized.length === CLASSIC_COLUMNS.length &&
    normalized.every((name, i) => name === CLASSIC_COLUMNS[i]);
  return classic ? { kind: 'classic' } : { kind: 'unexpected', columns };
}

/*
 * review_db is the feedback log: rows in id order are what the model folds over.
 *
 * The first three columns stay the classic ones, in the classic order, so classic tools that
 * run `SELECT * FROM review_db` and read column 0 as the text and column 1 as the label keep
 * working. id, prediction_id and source are appended after them.
 *
 * This table is deliberately not STRICT (predictions is): rows adopted from a classic database
 * are copied exactly as the classic table stored them, and a classic table has type affinity,
 * not strict types. A NULL date, or a sentiment that is neither 0 nor 1, is therefore kept as
 * found instead of being dropped or invented. Every other row is held to strict types by the
 * review_db_typed_row CHECK: text review, integer sentiment 0 or 1, text date.
 * Readers (the learner's fold) must skip rows whose sentiment is not 0 or 1.
 *
 * prediction_id is UNIQUE through a named index: feedback on one prediction is stored once.
 */
const createReviewDb = (table: string): string => `
  CREATE TABLE ${table} (
    review TEXT,
    sentiment INTEGER,
    date TEXT,
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    prediction_id TEXT NULL,
    source TEXT NOT NULL,
    CONSTRAINT review_db_source_is_text CHECK (typeof(source) = 'text' AND source <> ''),
    CONSTRAINT review_db_prediction_id_is_text CHECK (prediction_id IS NULL OR typeof(prediction_id) = 'text'),
    CONSTRAINT review_db_typed_row CHECK (
      source = '${CLASSIC_IMPORT_SOURCE}'
      OR (
        typeof(review) = 'text'
        AND typeof(sentiment) = 'integer' AND sentiment IN (0, 1)
        AND typeof(date) = 'text'
      )
    )
  )
`;

const CREATE_REVIEW_DB_INDEXES = `
  CREATE UNIQUE INDEX review_db_prediction_id ON review_db (prediction_id);
`;

/*
 * Classic rows keep their rowid as id, so ids follow rowid order (and any id something outside
 * refers to stays valid). AUTOINCREMENT then continues after the largest one.
 *
 * Coercions, all lossless readings of what the classic app meant:
 * - sentiment stored as text '0'/'1' (any case, padded) or as the classic label names
 *   'negative'/'positive' becomes the integer 0/1; a real 0.0/1.0 becomes 0/1;
 * - review or date stored as a BLOB (bytes of UTF-8 text) becomes TEXT.
 * Anything else (NULL, 2, 0.5, 'maybe') is kept exactly as found.
 */
const COPY_CLASSIC_ROWS = `
  INSERT INTO review_db_new (id, review, sentiment, date, prediction_id, source)
  SELECT
    rowid,
    CASE WHEN typeof(review) = 'blob' THEN CAST(review AS TEXT) ELSE review END,
    CASE
      WHEN typeof(sentiment) = 'text' AND lower(trim(sentiment)) IN ('1', 'positive') THEN 1
      WHEN typeof(sentiment) = 'text' AND lower(trim(sentiment)) IN ('0', 'negative') THEN 0
      WHEN typeof(sentiment) = 'real' AND sentiment IN (0.0, 1.0) THEN CAST(sentiment AS INTEGER)
      ELSE sentiment
    END,
    CASE WHEN typeof(date) = 'blob' THEN CAST(date AS TEXT) ELSE date END,
    NULL,
    @source
  FROM review_db
  ORDER BY rowid
`;

/**
 * Migration 1: create `review_db`, or adopt a classic one in place.
 *
 * Fresh database: creates the table. Classic database (see {@link inspectUnversionedReviewDb}):
 * rebuilds the table with the new columns following SQLite's documented procedure (create new,
 * copy, drop old, rename new), keeping every row in rowid order with source 'classic-import' and
 * prediction_id NULL. Runs inside the transaction `migrate` opens; never call it on its own.
 *
 * @param db an open better-sqlite3 connection, inside a transaction, at user_version 0.
 * @example
 *   updateToSchemaVersion1(db)
 */
export function updateToSchemaVersion1(db: BetterSqlite3.Database): void {
  const existing = inspectUnversionedReviewDb(db);
  if (existing.kind === 'unexpected') {
    // migrate() refuses this before starting; this guards direct calls.
    throw new Error(`review_db has unexpected columns (${existing.columns.join(', ')})`);
  }
  if (existing.kind === 'absent') {
    db.exec(createReviewDb('review_db'));
  } else {
    db.exec(createReviewDb('review_db_new'));
    db.prepare(COPY_CLASSIC_ROWS).run({ source: CLASSIC_IMPORT_SOURCE });
    db.exec('DROP TABLE review_db');
    db.exec('ALTER TABLE review_db_new RENAME TO review_db');
  }
  db.exec(CREATE_REVIEW_DB_INDEXES);
}
