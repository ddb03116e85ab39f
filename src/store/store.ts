import fs from 'node:fs';
import nodePath from 'node:path';
import Database from 'better-sqlite3';
import { InvalidInputError } from '../errors.js';
import type { Label } from '../model/types.js';
import { migrate } from './migrations/index.js';
import type { FeedbackLinks, FeedbackOutcome, ReviewRow, Store, StoredPrediction } from './types.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * How long a statement waits for another connection's write lock before failing with
   * SQLITE_BUSY, in milliseconds.
   * @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * Open the file read-only (it must exist and already be at the current schema version).
   * Write methods then throw.
   * @default false
   */
  readonly?: boolean;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

const isInMemory = (path: string): boolean => path === ':memory:' || path === '';

function assertLabel(value: unknown, what: string): asserts value is Label {
  if (value !== 0 && value !== 1) {
    throw new InvalidInputError(`${what} must be 0 (negative) or 1 (positive); got ${String(value)}`);
  }
}

function assertSource(source: unknown): asserts source is string {
  if (typeof source !== 'string' || source === '') {
    throw new InvalidInputError(`source must be a non-empty string such as 'feedback'; got ${String(source)}`);
  }
}

interface PredictionLink {
  review: string;
  feedbackReviewId: number | null;
}

/**
 * Open (creating if needed) the SQLite database at `path`, bring its schema up to date and
 * return a {@link Store} on it.
 *
 * The connection uses WAL journaling (except for ':memory:'), `synchronous = NORMAL`
 * (durable across process crashes; a power loss can drop the last commits, never corrupt),
 * `foreign_keys = ON` and a busy timeout. The parent folder of the file is created if missing.
 * A classic-schema database (the Python/Flask app's `review_db`) is migrated in place on
 * first open. Every statement is prepared once, here.
 *
 * The store is synchronous and not re-entrant: while a `reviewsAfter` iterator is open, the
 * same store can read but not write (better-sqlite3 reports the connection busy). Finish or
 * `break` out of the loop first, or use a second store.
 *
 * @param path database file, or ':memory:' for a private in-memory database.
 * @param options.busyTimeoutMs lock wait in milliseconds (default 5000).
 * @param options.readonly open read-only (default false).
 * @throws DatabaseVersionError when the database was written by a newer movieclassifier,
 *   or cannot be used or migrated (see `migrate`).
 * @example
 *   const store = openStore('data/reviews.sqlite');
 *   store.insertPrediction({ id, review, label: 1, probability: 0.93, modelVersion, createdAt });
 *   store.recordFeedback(id, 0, 'feedback'); // -> { status: 'recorded', reviewId: 1, sentiment: 0 }
 *   store.close();
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  const { busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS, readonly = false } = options;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new InvalidInputError(`busyTimeoutMs must be a whole number of milliseconds >= 0; got ${busyTimeoutMs}`);
  }
  const inMemory = isInMemory(path);
  if (!inMemory && !readonly) fs.mkdirSync(nodePath.dirname(nodePath.resolve(path)), { recursive: true });

  // `timeout` is better-sqlite3's name for sqlite3_busy_timeout (PRAGMA busy_timeout).
  const db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  try {
    if (!inMemory && !readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
    return createStore(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
}

function createStore(db: Database.Database, path: string): Store {
  const insertPredictionStmt = db.prepare<[Omit<StoredPrediction, 'feedbackReviewId'>]>(`
    INSERT INTO predictions (id, review, label, probability, model_version, created_at)
    VALUES (@id, @review, @label, @probability, @modelVersion, @createdAt)
  `);
  const getPredictionStmt = db.prepare<[string], StoredPrediction>(`
    SELECT id, review, label, probability,
           model_version AS modelVersion, created_at AS createdAt, feedback_review_id AS feedbackReviewId
    FROM predictions WHERE id = ?
  `);
  const getPredictionLinkStmt = db.prepare<[string], PredictionLink>(`
    SELECT review, feedback_review_id AS feedbackReviewId FROM predictions WHERE id = ?
  `);
  const getSentimentStmt = db.prepare<[number], Label>(`SELECT sentiment FROM review_db WHERE id = ?`).pluck();
  const insertReviewStmt = db.prepare<
    [{ review: string; sentiment: Label; date: string; predictionId: string | null; source: string }]
  >(`
    INSERT INTO review_db (review, sentiment, date, prediction_id, source, review_hash)
    VALUES (@review, @sentiment, @date, @predictionId, @source, review_hash(@review))
  `);
  const linkPredictionStmt = db.prepare<[number, string]>(`
    UPDATE predictions SET feedback_review_id = ? WHERE id = ? AND feedback_review_id IS NULL
  `);
  // NULL review/date only occur in rows adopted from a classic database; '' keeps the
  // ReviewRow type honest for readers that tokenize the text.
  const reviewsAfterStmt = db.prepare<[{ afterId: number; upTo: number }], ReviewRow>(`
    SELECT id, COALESCE(review, '') AS review, sentiment, COALESCE(date, '') AS date,
           prediction_id AS predictionId, source,
           (SELECT MIN(earlier.id) FROM review_db AS earlier
             WHERE earlier.review_hash = r.review_hash AND earlier.sentiment = r.sentiment
               AND earlier.id < r.id) AS duplicateOf
    FROM review_db AS r
    WHERE id > @afterId AND id <= @upTo
    ORDER BY id
  `);
  const maxReviewIdStmt = db.prepare<[], number>(`SELECT COALESCE(MAX(id), 0) FROM review_db`).pluck();
  const countReviewsStmt = db.prepare<[], number>(`SELECT COUNT(*) FROM review_db`).pluck();
  const feedbackRowsAfterStmt = db.prepare<[number], FeedbackLinks['rows'][number]>(`
    SELECT id, prediction_id AS predictionId FROM review_db WHERE id > ? ORDER BY id
  `);
  const countLinkedPredictionsStmt = db
    .prepare<[number, number], number>(`SELECT COUNT(*) FROM predictions WHERE feedback_review_id > ? AND feedback_review_id <= ?`)
    .pluck();
  const feedbackLinksAfterTx = db.transaction((afterId: number): FeedbackLinks => {
    const rows = feedbackRowsAfterStmt.all(afterId);
    const last = rows.length > 0 ? rows[rows.length - 1]!.id : afterId;
    return { rows, linkedPredictions: countLinkedPredictionsStmt.get(afterId, last) as number };
  });

  const insertReviewRow = (
    review: string,
    sentiment: Label,
    date: string,
    predictionId: string | null,
    source: string,
  ): number => Number(insertReviewStmt.run({ review, sentiment, date, predictionId, source }).lastInsertRowid);

  // Nothing in here awaits: the whole check-insert-link runs under one write lock.
  const recordFeedbackTx = db.transaction(
    (predictionId: string, sentiment: Label, source: string, date: string): FeedbackOutcome => {
      const prediction = getPredictionLinkStmt.get(predictionId);
      if (prediction === undefined) return { status: 'unknown' };
      if (prediction.feedbackReviewId !== null) {
        const existing = getSentimentStmt.get(prediction.feedbackReviewId) as Label;
        return { status: 'duplicate', reviewId: prediction.feedbackReviewId, sentiment: existing };
      }
      const reviewId = insertReviewRow(prediction.review, sentiment, date, predictionId, source);
      linkPredictionStmt.run(reviewId, predictionId);
      return { status: 'recorded', reviewId, sentiment };
    },
  );

  // Group commit: every prediction made during one turn of the event loop goes to SQLite in one
  // transaction right after it (setImmediate), and the web layer answers only once `stored()`
  // resolves, so no reader — and no other process — ever holds an id that is not in the database.
  // A commit costs ~100 µs of system calls here; one per request cost ~20% of predict throughput.
  // Until its batch commits, a prediction is served from `pending` to this process, and feedback
  // flushes first.
  const pending = new Map<string, Omit<StoredPrediction, 'feedbackReviewId'>>();
  let waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  let flushScheduled = false;
  const insertPendingTx = db.transaction((rows: Array<Omit<StoredPrediction, 'feedbackReviewId'>>) => {
    for (const row of rows) insertPredictionStmt.run(row);
  });
  function flush(): void {
    if (pending.size > 0) {
      insertPendingTx.immediate([...pending.values()]);
      pending.clear();
    }
    const done = waiting;
    waiting = [];
    for (const { resolve } of done) resolve();
  }
  function stored(): Promise<void> {
    if (pending.size === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
  }
  function scheduleFlush(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      try {
        flush();
      } catch (error) {
        // Still pending (nothing was dropped): the requests waiting on it fail now, and the write
        // is tried again shortly.
        const failed = waiting;
        waiting = [];
        for (const { reject } of failed) reject(error);
        process.emitWarning(`could not store ${pending.size} predictions in ${path}: ${(error as Error).message}; retrying`);
        setTimeout(scheduleFlush, 100).unref();
      }
    });
  }

  function* reviewsAfter(afterId: number, upTo?: number): Generator<ReviewRow, void, undefined> {
    // A generator, so the query starts on the first next() and a `break` releases it.
    yield* reviewsAfterStmt.iterate({ afterId, upTo: upTo ?? Number.MAX_SAFE_INTEGER });
  }

  return {
    path,

    insertPrediction(prediction) {
      assertLabel(prediction.label, 'label');
      if (!(prediction.probability >= 0 && prediction.probability <= 1)) {
        throw new InvalidInputError(`probability must be in [0, 1]; got ${prediction.probability}`);
      }
      if (pending.has(prediction.id) || getPredictionStmt.get(prediction.id) !== undefined) {
        throw new InvalidInputError(`prediction ${prediction.id} is already stored; prediction ids must be unique`);
      }
      // Bind only the columns we know: extra properties on the object must not reach SQLite.
      const { id, review, label, probability, modelVersion, createdAt } = prediction;
      pending.set(id, { id, review, label, probability, modelVersion, createdAt });
      scheduleFlush();
    },

    getPrediction(id) {
      const queued = pending.get(id);
      return queued === undefined ? getPredictionStmt.get(id) : { ...queued, feedbackReviewId: null };
    },

    flush,
    stored,

    recordFeedback(predictionId, sentiment, source, date = new Date().toISOString()) {
      assertLabel(sentiment, 'sentiment');
      assertSource(source);
      flush();
      // IMMEDIATE takes the write lock before the first read, so a concurrent writer makes us
      // wait (busy timeout) at BEGIN instead of failing with SQLITE_BUSY halfway through.
      return recordFeedbackTx.immediate(predictionId, sentiment, source, date);
    },

    insertReview(review, sentiment, source, date = new Date().toISOString()) {
      assertLabel(sentiment, 'sentiment');
      assertSource(source);
      return insertReviewRow(review, sentiment, date, null, source);
    },

    reviewsAfter,

    maxReviewId() {
      return maxReviewIdStmt.get() as number;
    },

    countReviews() {
      return countReviewsStmt.get() as number;
    },

    feedbackLinksAfter(afterId) {
      return feedbackLinksAfterTx(afterId);
    },

    close() {
      flush();
      db.close();
    },
  };
}
