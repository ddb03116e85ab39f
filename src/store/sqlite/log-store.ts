import fs from 'node:fs';
import nodePath from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseOpenError, InvalidInputError, MovieClassifierError } from '../../errors.js';
import { isLabel, type Label } from '../../model/types.js';
import { assertKnownSchemaVersion, migrate } from './migrations/index.js';
import { describeOpenFailure } from './open-failure.js';
import { throwingUnavailable } from './unavailable.js';
import {
  type LogRowInput,
  ACCEPT_EVERY_ROW,
  assertNewPrediction,
  assertNewRow,
  CANDIDATES_PER_BAND,
  countsAgainstPhrases,
  indexesBands,
  assertPerClientBound,
  PHRASE_ROWS_PER_LOOKUP,
  phrasePush,
  pushOf,
} from '../rows.js';
import { createConsoleStore, createModelEventLog } from './console-store.js';
import { fingerprint, type Fingerprint } from '../../moderation/fingerprint.js';
import { createTrimSchedule } from '../client-trim.js';
import { VERDICTS } from '../types.js';
import type {
  FeedbackListRow,
  VerdictChange,
  FeedbackLinks,
  FeedbackOutcome,
  LogHistory,
  NewPrediction,
  PhraseFeedback,
  ReviewRow,
  LogStore,
  StoredPrediction,
  Verdict,
  VerdictDecision,
  VerdictRule,
} from '../types.js';

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
  /** Refuse (DatabaseOpenError) to create the file when it does not exist, e.g. a mistyped `--db`. @default false */
  mustExist?: boolean;
  /**
   * Decides each new log row's verdict when it is written (the server passes the moderation rule).
   * @default ACCEPT_EVERY_ROW
   */
  verdictRule?: VerdictRule;
  /**
   * WAL size, in pages, at which a commit on this connection checkpoints the WAL into the database
   * file itself (PRAGMA wal_autocheckpoint). A checkpoint syncs files to disk and can take tens of
   * milliseconds, so the server sets it high and checkpoints from a thread instead
   * (`startWalCheckpointer`); this stays as the backstop.
   * @default 1000 (SQLite's)
   */
  autoCheckpointPages?: number;
  /**
   * PREDICTION_MAX_PER_CLIENT: each batch of predictions also deletes, in its transaction, the
   * oldest unanswered predictions of each client in it beyond the newest this many; 0: no bound.
   * @default 0
   */
  maxUnansweredPerClient?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Least time opening waits for another process's write lock (to migrate), whatever busyTimeoutMs says. */
const OPEN_LOCK_WAIT_MS = 5000;

/** PRAGMA auto_vacuum's value for INCREMENTAL. */
const INCREMENTAL_VACUUM = 2;

const isInMemory = (path: string): boolean => path === ':memory:' || path === '';

/** A prediction's row as bound to the insert: every column named, the client null when none asked. */
type PredictionColumns = Required<NewPrediction>;

interface PredictionLink {
  review: string;
  sentiment: Label;
  probability: number;
  feedbackReviewId: number | null;
}

/** A log row as it is bound into the INSERT. */
interface ReviewInsert extends Omit<LogRowInput, 'correction' | 'push' | 'phraseLeans'> {
  correction: 0 | 1 | null;
  verdict: Verdict;
  reason: string | null;
  normalizedHash: string;
  signature: Buffer;
}

/** review_db as the operator sees a row (FeedbackListRow). */
const OPERATOR_COLUMNS = `id, COALESCE(review, '') AS review, sentiment, COALESCE(date, '') AS date, verdict,
  verdict_reason AS reason, client, source, prediction_id AS predictionId`;

/** A client's accepted rows since a time, and how many were corrections: through migration 7's index. */
export const CLIENT_ACCEPTED_SINCE_SQL = `
  SELECT COUNT(*) AS rows, SUM(correction) AS corrections FROM review_db
  WHERE client = ? AND date >= ? AND verdict = 'accepted'
`;

/**
 * For each phrase of a JSON array that any is found for, in the array's order: the accepted rows
 * with a push of a window holding it, the newest PHRASE_ROWS_PER_LOOKUP, as `found` = a JSON
 * array [rows, push toward positive, push toward negative, squared pushes] (a scalar subquery
 * gives one value per phrase). One statement for all of a review's phrases: a statement per
 * phrase took 3.9 ms for a 240-phrase review against 650,000 phrase rows, one statement 1.3 ms.
 * MATERIALIZED: else SQLite runs the sums twice, for the WHERE and for the result. Each phrase is
 * a backward range scan of migration 8's index, each row's verdict read by its primary key.
 */
export const PHRASE_FEEDBACK_SQL = `
  WITH counted AS MATERIALIZED (
    SELECT k.id AS position, k.value AS phrase, (
      SELECT json_array(COUNT(*), TOTAL(push * sentiment), TOTAL(push * (1 - sentiment)), TOTAL(push * push)) FROM (
        SELECT p.sentiment, p.push FROM phrase_feedback AS p JOIN review_db AS r ON r.id = p.review_id
        WHERE p.phrase = k.value AND p.date >= @since AND r.verdict = 'accepted'
        ORDER BY p.date DESC LIMIT @limit
      )
    ) AS found
    FROM json_each(@phrases) AS k
  )
  SELECT phrase, found FROM counted WHERE found ->> 0 > 0 ORDER BY position
`;

/**
 * Deletes one client's unanswered predictions beyond its newest `keep` (the second parameter),
 * through migration 9's partial index: a walk of `keep` index entries and the deletes, however
 * many rows the table holds. INDEXED BY, because without statistics SQLite chose the index on
 * feedback_review_id (every unanswered row of every client, then a sort).
 */
export const TRIM_CLIENT_PREDICTIONS_SQL = `
  DELETE FROM predictions WHERE rowid IN (
    SELECT rowid FROM predictions INDEXED BY predictions_unanswered_client
    WHERE client = ? AND feedback_review_id IS NULL
    ORDER BY created_at DESC LIMIT -1 OFFSET ?
  )
`;

/** The log before a row being written, as the verdict rule may query it (same connection, same transaction). */
function logHistory(db: Database.Database): LogHistory {
  const byHash = db
    .prepare<[string], number>(`SELECT id FROM review_db WHERE normalized_hash = ? ORDER BY id LIMIT 1`)
    .pluck();
  const bandRows = db
    .prepare<[number, number], number>(
      `SELECT review_id FROM review_bands WHERE band_key = ? ORDER BY review_id DESC LIMIT ?`,
    )
    .pluck();
  const signatures = db.prepare<[string], { id: number; signature: Buffer }>(`
    SELECT id, signature FROM review_db WHERE id IN (SELECT value FROM json_each(?)) AND signature IS NOT NULL ORDER BY id
  `);
  // The newest CANDIDATES_PER_BAND rows of each band, each an index seek: bounded whatever the log holds.
  const byBand = (keys: readonly number[]) => {
    const ids = new Set<number>();
    for (const key of keys) for (const id of bandRows.all(key, CANDIDATES_PER_BAND)) ids.add(id);
    return signatures.all(JSON.stringify([...ids]));
  };
  const byClient = db.prepare<[string, string], { rows: number; corrections: number | null }>(
    CLIENT_ACCEPTED_SINCE_SQL,
  );
  const byPhrases = db.prepare<[{ phrases: string; since: string; limit: number }], { phrase: number; found: string }>(
    PHRASE_FEEDBACK_SQL,
  );
  return {
    firstWithNormalizedHash: (hash) => byHash.get(hash) ?? null,
    sharingBands: (keys) =>
      keys.length === 0
        ? []
        : byBand(keys).map((row) => ({
            id: row.id,
            signature: new Uint32Array(
              row.signature.buffer.slice(row.signature.byteOffset, row.signature.byteOffset + row.signature.byteLength),
            ),
          })),
    acceptedFromClientSince: (client, since) => {
      const counts = byClient.get(client, since)!;
      return { rows: counts.rows, corrections: counts.corrections ?? 0 };
    },
    feedbackWithPhrasesSince: (phraseKeys, since) =>
      byPhrases
        .all({ phrases: JSON.stringify(phraseKeys), since, limit: PHRASE_ROWS_PER_LOOKUP })
        .map(({ phrase, found }): PhraseFeedback => {
          const [, toPositive, toNegative, squares] = JSON.parse(found) as number[];
          return { phrase, toNegative, toPositive, squares };
        }),
  };
}

/**
 * Open (creating if needed) the SQLite database at `path`, bring its schema up to date and
 * return a {@link LogStore} on it.
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
 *   store.insertPrediction({ id, review, sentiment: 1, probability: 0.93, modelVersion, createdAt });
 *   store.recordFeedback(id, 0, 'feedback', { client }); // -> { status: 'recorded', reviewId: 1, sentiment: 0, verdict: 'accepted', reason: null }
 *   store.close();
 */
export function openStore(path: string, options: OpenStoreOptions = {}): LogStore {
  const { busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS, readonly = false, mustExist = false } = options;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new InvalidInputError(`busyTimeoutMs must be a whole number of milliseconds >= 0; got ${busyTimeoutMs}`);
  }
  const { autoCheckpointPages, maxUnansweredPerClient = 0 } = options;
  assertPerClientBound(maxUnansweredPerClient);
  if (autoCheckpointPages !== undefined && !(Number.isSafeInteger(autoCheckpointPages) && autoCheckpointPages >= 1)) {
    throw new InvalidInputError(`autoCheckpointPages must be a whole number of pages >= 1; got ${autoCheckpointPages}`);
  }
  const inMemory = isInMemory(path);
  if (!inMemory && (readonly || mustExist) && !fs.existsSync(path)) {
    throw new DatabaseOpenError(
      `database ${path} does not exist. Check the path (--db, DB_PATH, DATA_DIR); nothing was created.`,
      path,
    );
  }
  let db: Database.Database;
  try {
    if (!inMemory && !readonly) fs.mkdirSync(nodePath.dirname(nodePath.resolve(path)), { recursive: true });
    // `timeout` is better-sqlite3's name for sqlite3_busy_timeout (PRAGMA busy_timeout). Opening
    // may migrate, which waits for another process's write lock at least OPEN_LOCK_WAIT_MS.
    db = new Database(path, {
      readonly,
      fileMustExist: readonly || mustExist,
      timeout: Math.max(busyTimeoutMs, OPEN_LOCK_WAIT_MS),
    });
  } catch (error) {
    throw describeOpenFailure(path, error);
  }
  try {
    // Read before changing anything: a file that is not a database (this read fails) or one
    // from a newer build is refused exactly as it was found, not switched to WAL first.
    assertKnownSchemaVersion(db, path);
    // Only possible before the first table exists: a new database gives the pages of expired
    // predictions back to the file system (reclaimFreePages); an older one reuses them.
    if (!readonly && (db.pragma('page_count', { simple: true }) as number) === 0)
      db.pragma('auto_vacuum = INCREMENTAL');
    if (!inMemory && !readonly) db.pragma('journal_mode = WAL');
    if (autoCheckpointPages !== undefined) db.pragma(`wal_autocheckpoint = ${autoCheckpointPages}`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return createStore(db, path, options.verdictRule ?? ACCEPT_EVERY_ROW, maxUnansweredPerClient);
  } catch (error) {
    db.close();
    throw error instanceof MovieClassifierError ? error : describeOpenFailure(path, error);
  }
}

function createStore(
  db: Database.Database,
  path: string,
  verdictRule: VerdictRule,
  maxUnansweredPerClient: number,
): LogStore {
  const insertPredictionStmt = db.prepare<[PredictionColumns]>(`
    INSERT INTO predictions (id, review, label, probability, model_version, created_at, client)
    VALUES (@id, @review, @sentiment, @probability, @modelVersion, @createdAt, @client)
  `);
  const trimClientStmt =
    maxUnansweredPerClient === 0 ? undefined : db.prepare<[string, number]>(TRIM_CLIENT_PREDICTIONS_SQL);
  const trimSchedule = createTrimSchedule(maxUnansweredPerClient);
  const getPredictionStmt = db.prepare<[string], StoredPrediction>(`
    SELECT id, review, label AS sentiment, probability,
           model_version AS modelVersion, created_at AS createdAt, feedback_review_id AS feedbackReviewId
    FROM predictions WHERE id = ?
  `);
  const getPredictionLinkStmt = db.prepare<[string], PredictionLink>(`
    SELECT review, label AS sentiment, probability, feedback_review_id AS feedbackReviewId FROM predictions WHERE id = ?
  `);
  const getFeedbackStmt = db.prepare<[number], { sentiment: Label; verdict: Verdict; reason: string | null }>(
    `SELECT sentiment, verdict, verdict_reason AS reason FROM review_db WHERE id = ?`,
  );
  const insertReviewStmt = db.prepare<[ReviewInsert]>(`
    INSERT INTO review_db (review, sentiment, date, prediction_id, source, review_hash,
                           verdict, verdict_reason, client, correction, normalized_hash, signature)
    VALUES (@review, @sentiment, @date, @predictionId, @source, review_hash(@review),
            @verdict, @reason, @client, @correction, @normalizedHash, @signature)
  `);
  const insertBandStmt = db.prepare<[number, number]>(`INSERT INTO review_bands (band_key, review_id) VALUES (?, ?)`);
  const insertPhraseStmt = db.prepare<[number, string, number, Label, number]>(
    `INSERT INTO phrase_feedback (phrase, date, review_id, sentiment, push) VALUES (?, ?, ?, ?, ?)`,
  );
  const linkPredictionStmt = db.prepare<[number, string]>(`
    UPDATE predictions SET feedback_review_id = ? WHERE id = ? AND feedback_review_id IS NULL
  `);
  // NULL review/date only occur in rows adopted from a classic database; '' keeps the
  // ReviewRow type honest for readers that tokenize the text.
  const reviewsAfterStmt = db.prepare<[{ afterId: number; upTo: number }], ReviewRow>(`
    SELECT id, COALESCE(review, '') AS review, sentiment, COALESCE(date, '') AS date,
           prediction_id AS predictionId, source, verdict, verdict_reason AS verdictReason, client
    FROM review_db
    WHERE id > @afterId AND id <= @upTo
    ORDER BY id
  `);
  const maxReviewIdStmt = db.prepare<[], number>(`SELECT COALESCE(MAX(id), 0) FROM review_db`).pluck();
  const countReviewsStmt = db.prepare<[], number>(`SELECT COUNT(*) FROM review_db`).pluck();
  const feedbackRowsAfterStmt = db.prepare<[number], FeedbackLinks['rows'][number]>(`
    SELECT id, prediction_id AS predictionId FROM review_db WHERE id > ? ORDER BY id
  `);
  const countLinkedPredictionsStmt = db
    .prepare<[number, number], number>(
      `SELECT COUNT(*) FROM predictions WHERE feedback_review_id > ? AND feedback_review_id <= ?`,
    )
    .pluck();
  const feedbackLinksAfterTx = db.transaction((afterId: number): FeedbackLinks => {
    const rows = feedbackRowsAfterStmt.all(afterId);
    const last = rows.length > 0 ? rows[rows.length - 1].id : afterId;
    return { rows, linkedPredictions: countLinkedPredictionsStmt.get(afterId, last) as number };
  });

  const verdictOfStmt = db.prepare<[number], { verdict: Verdict; sentiment: unknown }>(
    `SELECT verdict, sentiment FROM review_db WHERE id = ?`,
  );
  const setVerdictStmt = db.prepare<[Verdict, string, number]>(
    `UPDATE review_db SET verdict = ?, verdict_reason = ? WHERE id = ?`,
  );
  const addVerdictChangeStmt = db.prepare<[number, Verdict, string, string]>(
    `INSERT INTO verdict_changes (review_id, verdict, reason, at) VALUES (?, ?, ?, ?)`,
  );
  const changeVerdictsTx = db.transaction((ids: readonly number[], verdict: Verdict, reason: string, at: string) => {
    const changed: number[] = [];
    for (const id of ids) {
      const row = verdictOfStmt.get(id);
      if (row === undefined || row.verdict === verdict) continue;
      if (verdict === 'accepted' && !isLabel(row.sentiment)) continue;
      setVerdictStmt.run(verdict, reason, id);
      addVerdictChangeStmt.run(id, verdict, reason, at);
      changed.push(id);
    }
    return changed;
  });
  const idsOfClientStmt = db.prepare<[string], number>(`SELECT id FROM review_db WHERE client = ? ORDER BY id`).pluck();
  const changesAfterStmt = db.prepare<[number], VerdictChange>(
    `SELECT id, review_id AS reviewId, verdict FROM verdict_changes WHERE id > ? ORDER BY id`,
  );
  const firstChangedStmt = db
    .prepare<[number], number | null>(`SELECT MIN(review_id) FROM verdict_changes WHERE id > ?`)
    .pluck();
  const getReviewStmt = db.prepare<[number], FeedbackListRow>(`
    SELECT ${OPERATOR_COLUMNS} FROM review_db WHERE id = ?
  `);
  const lastChangeStmt = db.prepare<[], number>(`SELECT COALESCE(MAX(id), 0) FROM verdict_changes`).pluck();
  const databaseId = db.prepare<[], string>(`SELECT id FROM database_identity`).pluck().get();
  if (databaseId === undefined)
    throw new InvalidInputError(`database ${path} has no row in database_identity; it was changed by hand`);
  // The oldest of those beyond the newest `keep` (the partial index, walked newest first, skips `keep`).
  const deleteBeyondStmt = db.prepare<[number, number]>(`
    DELETE FROM predictions WHERE rowid IN (
      SELECT rowid FROM predictions WHERE feedback_review_id IS NULL AND created_at <= (
        SELECT created_at FROM predictions WHERE feedback_review_id IS NULL ORDER BY created_at DESC LIMIT 1 OFFSET ?
      ) ORDER BY created_at LIMIT ?
    )
  `);
  const deleteUnansweredStmt = db.prepare<[string, number]>(`
    DELETE FROM predictions WHERE rowid IN (
      SELECT rowid FROM predictions WHERE feedback_review_id IS NULL AND created_at < ? ORDER BY created_at LIMIT ?
    )
  `);
  const deletePhrasesStmt = db.prepare<[string, number]>(`
    DELETE FROM phrase_feedback WHERE rowid IN (SELECT rowid FROM phrase_feedback WHERE date < ? LIMIT ?)
  `);
  const writeCheckStmt = db.prepare<[string]>(`UPDATE database_identity SET write_checked_at = ?`);
  const incrementalVacuum = db.pragma('auto_vacuum', { simple: true }) === INCREMENTAL_VACUUM;

  const history = logHistory(db);
  const insertReviewRow = (row: LogRowInput, print: Fingerprint): { id: number } & VerdictDecision => {
    const decision = verdictRule({ ...row, fingerprint: print }, history);
    const { push: _push, phraseLeans: _leans, ...columns } = row;
    const id = Number(
      insertReviewStmt.run({
        ...columns,
        correction: row.correction === null ? null : row.correction ? 1 : 0,
        verdict: decision.verdict,
        reason: decision.reason,
        normalizedHash: print.normalizedHash,
        signature: Buffer.from(print.signature.buffer, print.signature.byteOffset, print.signature.byteLength),
      }).lastInsertRowid,
    );
    if (indexesBands(decision)) for (const key of print.bandKeys) insertBandStmt.run(key, id);
    if (countsAgainstPhrases(row, decision))
      for (const phrase of print.phraseKeys)
        insertPhraseStmt.run(phrase, row.date, id, row.sentiment, phrasePush(row, phrase));
    return { id, ...decision };
  };

  // Nothing in here awaits: the whole check-decide-insert-link runs under one write lock, so the
  // verdict rule sees exactly the rows before this one, in every process.
  const recordFeedbackTx = db.transaction(
    (
      predictionId: string,
      sentiment: Label,
      source: string,
      date: string,
      client: string | null,
      print: Fingerprint,
      phraseLeans: ReadonlyMap<number, number> | null,
    ): FeedbackOutcome => {
      const prediction = getPredictionLinkStmt.get(predictionId);
      if (prediction === undefined) return { status: 'unknown' };
      if (prediction.feedbackReviewId !== null) {
        const existing = getFeedbackStmt.get(prediction.feedbackReviewId)!;
        return { status: 'duplicate', reviewId: prediction.feedbackReviewId, ...existing };
      }
      const correction = sentiment !== prediction.sentiment;
      const push = pushOf(sentiment, prediction);
      const { id, verdict, reason } = insertReviewRow(
        { review: prediction.review, sentiment, date, predictionId, source, client, correction, push, phraseLeans },
        print,
      );
      linkPredictionStmt.run(id, predictionId);
      return { status: 'recorded', reviewId: id, sentiment, verdict, reason };
    },
  );
  const insertReviewTx = db.transaction(
    (review: string, sentiment: Label, source: string, date: string, client: string | null, print: Fingerprint) =>
      insertReviewRow(
        {
          review,
          sentiment,
          date,
          predictionId: null,
          source,
          client,
          correction: null,
          push: null,
          phraseLeans: null,
        },
        print,
      ).id,
  );

  const insertPredictionsTx = db.transaction((rows: readonly PredictionColumns[]) => {
    for (const row of rows) insertPredictionStmt.run(row);
    if (trimClientStmt === undefined) return;
    for (const client of trimSchedule.due(rows.map((row) => row.client)))
      trimClientStmt.run(client, maxUnansweredPerClient);
  });
  const insertPredictionRows = (rows: readonly NewPrediction[]): void => {
    try {
      insertPredictionsTx.immediate(rows.map(columns));
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error;
      throw new InvalidInputError(
        `a prediction among ${rows.map((row) => row.id).join(', ')} is already stored; prediction ids must be unique`,
      );
    }
  };
  // Bind only the columns we know: extra properties on the object must not reach SQLite.
  const columns = ({
    id,
    review,
    sentiment,
    probability,
    modelVersion,
    createdAt,
    client = null,
  }: NewPrediction): PredictionColumns => ({ id, review, sentiment, probability, modelVersion, createdAt, client });

  function* reviewsAfter(afterId: number, upTo?: number): Generator<ReviewRow, void, undefined> {
    // A generator, so the query starts on the first next() and a `break` releases it.
    yield* reviewsAfterStmt.iterate({ afterId, upTo: upTo ?? Number.MAX_SAFE_INTEGER });
  }

  const store: LogStore = {
    path,
    databaseId,

    insertPrediction(prediction) {
      assertNewPrediction(prediction);
      insertPredictionRows([prediction]);
    },

    insertPredictions(predictions) {
      predictions.forEach(assertNewPrediction);
      insertPredictionRows(predictions);
    },

    getPrediction(id) {
      return getPredictionStmt.get(id);
    },

    recordFeedback(
      predictionId,
      sentiment,
      source,
      { date = new Date().toISOString(), client = null, prediction: known, phraseLeans = null } = {},
    ) {
      assertNewRow(sentiment, source);
      // The fingerprint (a MinHash, ~0.3 ms) depends on nothing but the text, which a stored
      // prediction never changes: it is made before the write lock, which other processes wait for.
      const prediction = known ?? getPredictionLinkStmt.get(predictionId);
      if (prediction === undefined) return { status: 'unknown' };
      const print = fingerprint(prediction.review);
      // IMMEDIATE takes the write lock before the first read, so a concurrent writer makes us
      // wait (busy timeout) at BEGIN instead of failing with SQLITE_BUSY halfway through.
      return recordFeedbackTx.immediate(predictionId, sentiment, source, date, client, print, phraseLeans);
    },

    insertReview(review, sentiment, source, { date = new Date().toISOString(), client = null } = {}) {
      assertNewRow(sentiment, source);
      return insertReviewTx.immediate(review, sentiment, source, date, client, fingerprint(review));
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

    changeVerdicts(reviewIds, verdict, reason, at = new Date().toISOString()) {
      if (!VERDICTS.includes(verdict))
        throw new InvalidInputError(`verdict must be one of ${VERDICTS.join(', ')}; got ${String(verdict)}`);
      return changeVerdictsTx.immediate(reviewIds, verdict, reason, at);
    },

    reviewIdsOfClient(client) {
      return idsOfClientStmt.all(client);
    },

    verdictChangesAfter(afterId) {
      return changesAfterStmt.all(afterId);
    },

    lastVerdictChangeId() {
      return lastChangeStmt.get() as number;
    },

    firstRowChangedAfter(afterId) {
      return firstChangedStmt.get(afterId) ?? null;
    },

    getReview(id) {
      return getReviewStmt.get(id);
    },

    deleteUnansweredPredictionsBefore(before, limit) {
      // IMMEDIATE: take the write lock before reading which rows go (see recordFeedback).
      return db.transaction(() => deleteUnansweredStmt.run(before, limit).changes).immediate();
    },

    deleteUnansweredPredictionsBeyond(keep, limit) {
      return db.transaction(() => deleteBeyondStmt.run(keep, limit).changes).immediate();
    },

    deletePhraseFeedbackBefore(before, limit) {
      return db.transaction(() => deletePhrasesStmt.run(before, limit).changes).immediate();
    },

    reclaimFreePages(maxPages) {
      if (!incrementalVacuum) return 0;
      const before = db.pragma('freelist_count', { simple: true }) as number;
      // PRAGMA takes no bound parameters; maxPages is checked to be a whole number.
      if (!Number.isSafeInteger(maxPages) || maxPages < 1)
        throw new InvalidInputError(`maxPages must be a whole number >= 1; got ${maxPages}`);
      db.pragma(`incremental_vacuum(${maxPages})`);
      return before - (db.pragma('freelist_count', { simple: true }) as number);
    },

    checkWritable() {
      writeCheckStmt.run(new Date().toISOString());
    },
    console: createConsoleStore(db),
    modelEvents: createModelEventLog(db),

    close() {
      db.close();
    },
  };
  return {
    ...throwingUnavailable(store, path),
    console: throwingUnavailable(store.console, path),
    modelEvents: throwingUnavailable(store.modelEvents, path),
  };
}
