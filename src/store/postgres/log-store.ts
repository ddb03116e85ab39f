import pg from 'pg';

import { InvalidInputError, DatabaseUnavailableError } from '../../errors.js';
import type { Label } from '../../model/types.js';
import { fingerprint } from '../../moderation/fingerprint.js';
import { createTrimSchedule } from '../client-trim.js';
import { ACCEPT_EVERY_ROW, assertNewPrediction, assertNewRow, assertPerClientBound, pushOf } from '../rows.js';
import {
  VERDICTS,
  type FeedbackLinks,
  type FeedbackListRow,
  type LogStore,
  type ReviewRow,
  type FeedbackOptions,
  type RowOptions,
  type StoredPrediction,
  type Verdict,
  type VerdictChange,
  type VerdictRule,
} from '../types.js';
import { createPostgresConsoleStore, createPostgresModelEventLog } from './console-store.js';
import { LOG_LOCK, migratePostgres } from './migrations/index.js';
import { appendRow, waitUntilFlushed } from './log-append.js';
import { asUnavailable } from './unavailable.js';

/** A model file kept in the database (`model_checkpoints`). */
export interface StoredCheckpoint {
  checksum: string;
  watermark: number;
  verdictChangesThrough: number;
  bytes: number;
  keptAt: Date;
  publishedAt: string | null;
}

/** The log in PostgreSQL: {@link LogStore}, plus the model checkpoints and their publication. */
export interface PostgresStore extends LogStore {
  keepCheckpoint(
    bytes: Uint8Array,
    header: { checksum: string; feedbackWatermark: number; verdictChangesThrough?: number },
  ): Promise<StoredCheckpoint>;
  listCheckpoints(): Promise<StoredCheckpoint[]>;
  loadCheckpoint(checksum: string): Promise<Buffer>;
  /** Marks a kept checkpoint as the model every instance serves, and tells them (NOTIFY). */
  publishModel(checksum: string): Promise<void>;
  /** The newest published model's bytes, or null when none is published or it is `exceptChecksum`. */
  latestPublishedModel(exceptChecksum?: string | null): Promise<{ checksum: string; bytes: Buffer } | null>;
  onModelPublished(listener: () => void): () => void;
}

export interface OpenPostgresStoreOptions {
  verdictRule?: VerdictRule;
  /** Connections in the pool. @default 8 */
  poolSize?: number;
  /** Seconds a caller is told to wait (Retry-After) while the database is away. @default 2 */
  retryAfterSeconds?: number;
  /**
   * PREDICTION_MAX_PER_CLIENT: each batch of predictions also deletes, in its statement, the
   * oldest unanswered predictions of each client in it beyond the newest this many; 0: no bound.
   * @default 0
   */
  maxUnansweredPerClient?: number;
}

const LOG_CHANNEL = 'movieclassifier_log';

const INSERT_PREDICTIONS = `
  INSERT INTO predictions (id, review, label, probability, model_version, created_at, client)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::float8[], $5::text[], $6::text[], $7::text[])`;

/**
 * Most of one client's predictions one trim deletes; the rest go with its next. The rows that go
 * are walked from the cutoff back (newest first): the index still holds the entries of rows
 * deleted by earlier trims until vacuum, all older than the cutoff, and a walk from the oldest
 * end read every one of them (a client at its bound: 500 predictions/s fell to 90).
 */
const TRIM_ROWS_AT_ONCE = 1000;

/*
 * The insert and the per-client bound in one statement (one round trip, all or none). Its reads
 * see the table as it was before the statement, without the rows being inserted, so for a client
 * that sends n in this batch it keeps the newest `$8 - n` of those before: with the n new ones
 * (newer than any before), the newest $8. A batch holding more than $8 of one client's
 * predictions leaves its own extra ones to that client's next batch. The cutoff (the newest of
 * those that go) is found without locks, then only the rows that go are locked: FOR UPDATE on the
 * walk itself locked all $8 rows it passed (15 ms a batch at 500). SKIP LOCKED: a prediction
 * being answered meanwhile is left alone, and two batches of one client never wait on each other;
 * `feedback_review_id IS NULL` is checked again on each row as it is when deleted (READ
 * COMMITTED), so an answered prediction always stays.
 */
const INSERT_PREDICTIONS_BOUNDED = `
  WITH inserted AS (${INSERT_PREDICTIONS} RETURNING client),
  arrivals AS (SELECT client, COUNT(*) AS n FROM inserted WHERE client = ANY($9::text[]) GROUP BY client),
  cutoffs AS (
    SELECT arrivals.client, first_gone.created_at AS cutoff FROM arrivals CROSS JOIN LATERAL (
      SELECT created_at FROM predictions
      WHERE client = arrivals.client AND feedback_review_id IS NULL
      ORDER BY created_at DESC OFFSET GREATEST($8::int - arrivals.n, 0) LIMIT 1
    ) AS first_gone
  )
  DELETE FROM predictions WHERE feedback_review_id IS NULL AND id IN (
    SELECT gone.id FROM cutoffs CROSS JOIN LATERAL (
      SELECT id FROM predictions
      WHERE client = cutoffs.client AND feedback_review_id IS NULL AND created_at <= cutoffs.cutoff
      ORDER BY created_at DESC LIMIT ${TRIM_ROWS_AT_ONCE}
      FOR UPDATE SKIP LOCKED
    ) AS gone
  )`;

const MODEL_CHANNEL = 'movieclassifier_model';
/** Rows per query of reviewsAfter: a replay streams the log without holding it in memory. */
const PAGE = 1000;

// BIGINT (oid 20) and COUNT(*) come back as strings by default; every id here fits a double.
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser,
};

/**
 * Opens the log in the PostgreSQL database at `url` (postgres://user:password@host:5432/db),
 * bringing its schema up to date under an advisory lock.
 *
 * Every write to the log (a feedback row, a verdict change) takes the transaction-level
 * advisory lock LOG_LOCK before it draws an id from the sequence, and holds it until it commits.
 * So ids come out in commit order: a row with a higher id always commits after every row with a
 * lower one, and an instance that has applied the log through id N can ask for `id > N` and
 * never skip a row that commits later with a smaller id (which plain sequences allow). The same
 * lock makes the verdict rule see exactly the rows before the one it judges, as on SQLite.
 * Writers wait for each other only for the few milliseconds of one insert.
 *
 * A database that is away (restarting) makes writes throw DatabaseUnavailableError (nothing is
 * stored); the pool reconnects by itself on the next query.
 */
export async function openPostgresStore(url: string, options: OpenPostgresStoreOptions = {}): Promise<PostgresStore> {
  const where = describeUrl(url);
  const retryAfter = options.retryAfterSeconds ?? 2;
  const { maxUnansweredPerClient = 0 } = options;
  assertPerClientBound(maxUnansweredPerClient);
  const trimSchedule = createTrimSchedule(maxUnansweredPerClient);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 8,
    types: TYPES,
    connectionTimeoutMillis: 3000,
  });
  // An idle client losing its server (PostgreSQL restarting) must not crash the process.
  pool.on('error', () => undefined);
  const unavailable = (error: unknown): never => {
    throw asUnavailable(error, where, retryAfter);
  };
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> => {
    try {
      return (await pool.query<R>(text, values)).rows;
    } catch (error) {
      return unavailable(error);
    }
  };
  /** Runs `work` on one connection of the pool; a failure rolls back whatever it left open. */
  const withConnection = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      return unavailable(error);
    }
    // A checked-out client whose server goes away between two queries emits 'error'; without a
    // listener that would end the process. The failure reaches us through the next query.
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof InvalidInputError) throw error;
      broken = true;
      return unavailable(error);
    } finally {
      client.off('error', onError);
      // A broken connection is destroyed, not handed to the next caller.
      client.release(broken);
    }
  };
  const transaction = <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
    withConnection(async (client) => {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    });

  {
    const client = await pool.connect().catch(async (error: unknown) => {
      await pool.end();
      throw new DatabaseUnavailableError(
        `cannot connect to ${where}: ${(error as Error).message}. Check DATABASE_URL and that PostgreSQL is running.`,
        retryAfter,
        { cause: error },
      );
    });
    try {
      await migratePostgres(client, where);
    } catch (error) {
      client.release(true);
      await pool.end();
      throw error;
    }
    client.release();
  }

  const verdictRule = options.verdictRule ?? ACCEPT_EVERY_ROW;
  const listeners = { [LOG_CHANNEL]: new Set<() => void>(), [MODEL_CHANNEL]: new Set<() => void>() };
  const notifications = listenForNotifications(url, listeners);

  const databaseId = (await query<{ id: string }>('SELECT id FROM database_identity'))[0].id;
  let closing: Promise<void> | undefined;
  const store: PostgresStore = {
    path: where,
    databaseId,

    async insertPrediction(prediction) {
      await store.insertPredictions([prediction]);
    },

    async insertPredictions(predictions) {
      predictions.forEach(assertNewPrediction);
      if (predictions.length === 0) return;
      try {
        const columns = [
          predictions.map((p) => p.id),
          predictions.map((p) => p.review),
          predictions.map((p) => p.sentiment),
          predictions.map((p) => p.probability),
          predictions.map((p) => p.modelVersion),
          predictions.map((p) => p.createdAt),
          predictions.map((p) => p.client ?? null),
        ];
        const due = maxUnansweredPerClient === 0 ? [] : trimSchedule.due(predictions.map((p) => p.client ?? null));
        if (due.length === 0) await query(INSERT_PREDICTIONS, columns);
        else await query(INSERT_PREDICTIONS_BOUNDED, [...columns, maxUnansweredPerClient, due]);
      } catch (error) {
        if ((error as { code?: string }).code === '23505') {
          throw new InvalidInputError(
            `a prediction among ${predictions.map((p) => p.id).join(', ')} is already stored; prediction ids must be unique`,
          );
        }
        throw error;
      }
    },

    async getPrediction(id) {
      const rows = await query<StoredPrediction>(
        `SELECT id, review, label AS sentiment, probability, model_version AS "modelVersion", created_at AS "createdAt",
                feedback_review_id AS "feedbackReviewId" FROM predictions WHERE id = $1`,
        [id],
      );
      return rows[0];
    },

    async recordFeedback(predictionId, sentiment, source, rowOptions: FeedbackOptions = {}) {
      assertNewRow(sentiment, source);
      const date = rowOptions.date ?? new Date().toISOString();
      // Read (unless the caller just did) and fingerprinted before the log lock: nothing here
      // depends on the rows before it. Whether it is still unanswered is asked under the lock.
      const [prediction] =
        rowOptions.prediction === undefined
          ? await query<{ review: string; sentiment: Label; probability: number; linked: number | null }>(
              'SELECT review, label AS sentiment, probability, feedback_review_id AS linked FROM predictions WHERE id = $1',
              [predictionId],
            )
          : [{ ...rowOptions.prediction, linked: null }];
      if (prediction === undefined) return { status: 'unknown' };
      const outcome =
        prediction.linked !== null
          ? { status: 'duplicate' as const, id: Number(prediction.linked) }
          : await appendRow(
              { query, withConnection, transaction },
              verdictRule,
              {
                review: prediction.review,
                sentiment,
                date,
                predictionId,
                source,
                client: rowOptions.client ?? null,
                correction: sentiment !== prediction.sentiment,
                push: pushOf(sentiment, prediction),
                phraseLeans: rowOptions.phraseLeans ?? null,
                fingerprint: fingerprint(prediction.review),
              },
              LOG_CHANNEL,
            );
      if (outcome.status === 'unknown') return outcome;
      if (outcome.status === 'duplicate') {
        const [existing] = await query<{ sentiment: Label; verdict: Verdict; reason: string | null }>(
          'SELECT sentiment, verdict, verdict_reason AS reason FROM review_db WHERE id = $1',
          [outcome.id],
        );
        return { status: 'duplicate', reviewId: outcome.id, ...existing };
      }
      return { status: 'recorded', reviewId: outcome.id, sentiment, verdict: outcome.verdict, reason: outcome.reason };
    },

    async insertReview(review, sentiment, source, rowOptions: RowOptions = {}) {
      assertNewRow(sentiment, source);
      const outcome = await appendRow(
        { query, withConnection, transaction },
        verdictRule,
        {
          review,
          sentiment,
          date: rowOptions.date ?? new Date().toISOString(),
          predictionId: null,
          source,
          client: rowOptions.client ?? null,
          correction: null,
          push: null,
          phraseLeans: null,
          fingerprint: fingerprint(review),
        },
        LOG_CHANNEL,
      );
      // An import links no prediction, so nothing can make it unknown or a duplicate.
      if (outcome.status !== 'recorded') throw new Error(`an import row came back ${outcome.status}`);
      return outcome.id;
    },

    async *reviewsAfter(afterId, upTo = Number.MAX_SAFE_INTEGER) {
      let after = afterId;
      for (;;) {
        // Rows are committed without waiting for the disk (see appendRow): none may reach a model
        // before it is on disk. The page comes with the WAL position at its reading, past every
        // commit it saw, and whether the WAL is flushed that far (see waitUntilFlushed).
        const found = await query<ReviewRow & { lsn: string; flushed: boolean }>(
          `WITH page AS (
             SELECT id, COALESCE(review, '') AS review, sentiment, COALESCE(date, '') AS date, prediction_id AS "predictionId",
                    source, verdict, verdict_reason AS "verdictReason", client
             FROM review_db WHERE id > $1 AND id <= $2 ORDER BY id LIMIT ${PAGE}
           )
           SELECT page.*, read.at::text AS lsn, pg_current_wal_flush_lsn() >= read.at AS flushed
           FROM page CROSS JOIN (SELECT pg_current_wal_insert_lsn() AS at) AS read ORDER BY page.id`,
          [after, upTo],
        );
        if (found.length > 0 && !found[0].flushed) await waitUntilFlushed(query, found[0].lsn);
        const rows = found.map(({ lsn: _lsn, flushed: _flushed, ...row }) => row);
        yield* rows;
        if (rows.length < PAGE) return;
        after = rows[rows.length - 1].id;
      }
    },

    async maxReviewId() {
      return Number((await query<{ m: number }>('SELECT COALESCE(MAX(id), 0) AS m FROM review_db'))[0].m);
    },

    async feedbackLinksAfter(afterId) {
      return transaction(async (client): Promise<FeedbackLinks> => {
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        const rows = (
          await client.query<{ id: number; predictionId: string | null }>(
            'SELECT id, prediction_id AS "predictionId" FROM review_db WHERE id > $1 ORDER BY id',
            [afterId],
          )
        ).rows;
        const last = rows.length > 0 ? rows[rows.length - 1].id : afterId;
        const linked = await client.query<{ n: number }>(
          'SELECT COUNT(*) AS n FROM predictions WHERE feedback_review_id > $1 AND feedback_review_id <= $2',
          [afterId, last],
        );
        return { rows, linkedPredictions: Number(linked.rows[0].n) };
      });
    },

    async countReviews() {
      return Number((await query<{ n: number }>('SELECT COUNT(*) AS n FROM review_db'))[0].n);
    },

    async changeVerdicts(reviewIds, verdict, reason, at = new Date().toISOString()) {
      if (!VERDICTS.includes(verdict))
        throw new InvalidInputError(`verdict must be one of ${VERDICTS.join(', ')}; got ${String(verdict)}`);
      return transaction(async (client) => {
        // The log lock: verdict_changes ids come out in commit order too (see openPostgresStore).
        await client.query('SELECT pg_advisory_xact_lock($1)', [LOG_LOCK]);
        // One statement each, whatever the number of rows (a rollback can change hundreds of
        // thousands): the rows whose verdict changes, then their changes, in the order asked
        // (an id asked twice counts once, where first asked), as SQLite's loop records them.
        const changed = (
          await client.query<{ review_id: number }>(
            `WITH asked AS (
               SELECT DISTINCT ON (id) id, position FROM unnest($1::bigint[]) WITH ORDINALITY AS a (id, position) ORDER BY id, position
             ), changed AS (
               UPDATE review_db AS r SET verdict = $2, verdict_reason = $3 FROM asked
               WHERE r.id = asked.id AND r.verdict <> $2 AND ($2 <> 'accepted' OR r.sentiment IN (0, 1))
               RETURNING r.id, asked.position
             )
             INSERT INTO verdict_changes (review_id, verdict, reason, at)
             SELECT id, $2, $3, $4 FROM changed ORDER BY position
             RETURNING review_id`,
            [reviewIds, verdict, reason, at],
          )
        ).rows.map((row) => row.review_id);
        if (changed.length > 0) await client.query('SELECT pg_notify($1, $2)', [LOG_CHANNEL, 'verdicts']);
        return changed;
      });
    },

    async reviewIdsOfClient(client) {
      return (await query<{ id: number }>('SELECT id FROM review_db WHERE client = $1 ORDER BY id', [client])).map(
        (r) => r.id,
      );
    },

    async verdictChangesAfter(afterId) {
      return query<VerdictChange>(
        'SELECT id, review_id AS "reviewId", verdict FROM verdict_changes WHERE id > $1 ORDER BY id',
        [afterId],
      );
    },

    async lastVerdictChangeId() {
      return Number((await query<{ m: number }>('SELECT COALESCE(MAX(id), 0) AS m FROM verdict_changes'))[0].m);
    },

    async firstRowChangedAfter(afterId) {
      const m = (
        await query<{ m: number | null }>('SELECT MIN(review_id) AS m FROM verdict_changes WHERE id > $1', [afterId])
      )[0].m;
      return m === null ? null : Number(m);
    },

    async getReview(id) {
      return (await query<FeedbackListRow>(`SELECT ${OPERATOR_COLUMNS} FROM review_db WHERE id = $1`, [id]))[0];
    },

    async deleteUnansweredPredictionsBefore(before, limit) {
      const rows = await query<{ id: string }>(
        `DELETE FROM predictions WHERE id IN (
           SELECT id FROM predictions WHERE feedback_review_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2
         ) RETURNING id`,
        [before, limit],
      );
      return rows.length;
    },

    async deletePhraseFeedbackBefore(before, limit) {
      const rows = await query<{ n: string }>(
        `WITH gone AS (
           DELETE FROM phrase_feedback WHERE ctid IN (SELECT ctid FROM phrase_feedback WHERE date < $1 LIMIT $2)
           RETURNING 1
         ) SELECT COUNT(*) AS n FROM gone`,
        [before, limit],
      );
      return Number(rows[0].n);
    },

    async deleteUnansweredPredictionsBeyond(keep, limit) {
      // FOR UPDATE SKIP LOCKED: a prediction being answered meanwhile is left alone, and the outer
      // condition is checked again on the row as it is when deleted (READ COMMITTED).
      const rows = await query<{ id: string }>(
        `DELETE FROM predictions WHERE feedback_review_id IS NULL AND id IN (
           SELECT id FROM predictions WHERE feedback_review_id IS NULL AND created_at <= (
             SELECT created_at FROM predictions WHERE feedback_review_id IS NULL ORDER BY created_at DESC OFFSET $1 LIMIT 1
           ) ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id`,
        [keep, limit],
      );
      return rows.length;
    },

    // PostgreSQL's autovacuum gives the space back by itself.
    reclaimFreePages: async () => 0,

    async checkWritable() {
      await query('UPDATE database_identity SET write_checked_at = $1', [new Date().toISOString()]);
    },

    async keepCheckpoint(bytes, header) {
      await query(
        `INSERT INTO model_checkpoints (checksum, watermark, verdict_changes_through, bytes) VALUES ($1, $2, $3, $4)
         ON CONFLICT (checksum) DO NOTHING`,
        [
          header.checksum,
          header.feedbackWatermark,
          header.verdictChangesThrough ?? 0,
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        ],
      );
      return (
        await query<StoredCheckpoint>(`SELECT ${CHECKPOINT_COLUMNS} FROM model_checkpoints WHERE checksum = $1`, [
          header.checksum,
        ])
      )[0];
    },

    async listCheckpoints() {
      return query<StoredCheckpoint>(
        `SELECT ${CHECKPOINT_COLUMNS} FROM model_checkpoints ORDER BY watermark DESC, verdict_changes_through DESC`,
      );
    },

    async loadCheckpoint(checksum) {
      const row = (
        await query<{ bytes: Buffer }>('SELECT bytes FROM model_checkpoints WHERE checksum = $1', [checksum])
      )[0];
      if (row === undefined) throw new InvalidInputError(`no checkpoint with checksum ${checksum} in ${where}`);
      return row.bytes;
    },

    async publishModel(checksum) {
      await query('UPDATE model_checkpoints SET published_at = clock_timestamp() WHERE checksum = $1', [checksum]);
      await query('SELECT pg_notify($1, $2)', [MODEL_CHANNEL, checksum]);
    },

    async latestPublishedModel(exceptChecksum = null) {
      const row = (
        await query<{ checksum: string; bytes: Buffer | null }>(
          `SELECT checksum, CASE WHEN checksum = $1 THEN NULL ELSE bytes END AS bytes FROM model_checkpoints
           WHERE published_at IS NOT NULL ORDER BY published_at DESC LIMIT 1`,
          [exceptChecksum],
        )
      )[0];
      return row === undefined || row.bytes === null ? null : { checksum: row.checksum, bytes: row.bytes };
    },

    console: createPostgresConsoleStore({ query, transaction }),
    modelEvents: createPostgresModelEventLog({ query }),

    onChange(listener) {
      listeners[LOG_CHANNEL].add(listener);
      return () => listeners[LOG_CHANNEL].delete(listener);
    },

    onModelPublished(listener) {
      listeners[MODEL_CHANNEL].add(listener);
      return () => listeners[MODEL_CHANNEL].delete(listener);
    },

    // Once: a second call (an error path closing again) answers the first's promise, as SQLite's close is harmless twice.
    close() {
      closing ??= (async () => {
        notifications.stop();
        await pool.end();
      })();
      return closing;
    },
  };
  return store;
}

const OPERATOR_COLUMNS = `id, COALESCE(review, '') AS review, sentiment, COALESCE(date, '') AS date, verdict,
  verdict_reason AS reason, client, source, prediction_id AS "predictionId"`;
const CHECKPOINT_COLUMNS = `checksum, watermark, verdict_changes_through AS "verdictChangesThrough", octet_length(bytes) AS bytes, kept_at AS "keptAt",
  published_at AS "publishedAt"`;

/**
 * One connection that LISTENs on the log and model channels and calls the listeners; when it
 * drops (PostgreSQL restarting) it reconnects with a growing delay, and calls every listener once
 * it is back, since notifications sent meanwhile are lost. Polling covers the gap.
 */
function listenForNotifications(url: string, listeners: Record<string, Set<() => void>>): { stop(): void } {
  let stopped = false;
  let client: pg.Client | null = null;
  let delay = 100;
  let timer: NodeJS.Timeout | undefined;
  const callAll = (channel?: string): void => {
    for (const [name, set] of Object.entries(listeners))
      if (channel === undefined || channel === name) for (const listener of set) listener();
  };
  const connect = async (reconnected: boolean): Promise<void> => {
    if (stopped) return;
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    const retry = (): void => {
      next.removeAllListeners();
      // The dead client may still emit 'error' (after 'end'): keep a listener so it cannot end the process.
      next.on('error', () => undefined);
      next.end().catch(() => undefined);
      if (client === next) client = null;
      if (stopped) return;
      timer = setTimeout(() => void connect(true), delay);
      timer.unref();
      delay = Math.min(delay * 2, 5000);
    };
    next.on('error', retry);
    next.on('end', () => (stopped ? undefined : retry()));
    next.on('notification', (message) => callAll(message.channel));
    try {
      await next.connect();
      await next.query(`LISTEN ${LOG_CHANNEL}`);
      await next.query(`LISTEN ${MODEL_CHANNEL}`);
      if (stopped) {
        // Stopped while connecting (a store closed right after it opened): stop() found no
        // client to end, so this one is ended here, or it would stay connected.
        next.removeAllListeners();
        next.on('error', () => undefined);
        await next.end().catch(() => undefined);
        return;
      }
      client = next;
      delay = 100;
      if (reconnected) callAll();
    } catch {
      retry();
    }
  };
  void connect(false);
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      client?.removeAllListeners();
      // Ending races the server going away: an 'error' then must not end the process.
      client?.on('error', () => undefined);
      client?.end().catch(() => undefined);
    },
  };
}

/** The address without its password, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString().replace(/:@/, '@');
  } catch {
    return 'the database in DATABASE_URL';
  }
}
