import { randomUUID } from 'node:crypto';

import pg from 'pg';

import type { BulkRow } from './bulk-load-sqlite.js';
import { migratePostgres } from '../../src/store/postgres/migrations/index.js';
import { describeUrl } from '../../src/store/postgres/log-store.js';

/** Rows per INSERT: one statement, so one run of step 6's summary triggers, per batch. */
const BATCH = 2_000;

/**
 * {@link bulkLoadLog}'s PostgreSQL twin, for `npm run console:bench -- --postgres`: writes each row
 * as a prediction and the reader's answer to it, in batches of multi-row INSERTs in one
 * transaction, with the verdicts given (no moderation rule, no near-duplicate fingerprints). The
 * console's summaries are kept by step 6's triggers as for any insert; the words index is left to
 * `ConsoleStore.indexText`. Not for a database instances are writing to (it does not take the
 * log lock).
 *
 * @returns how many rows and predictions were written.
 */
export async function bulkLoadPostgresLog(
  url: string,
  rows: Iterable<BulkRow>,
  unanswered: (index: number) => boolean = () => false,
): Promise<{ rows: number; predictions: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migratePostgres(client, describeUrl(url));
    await client.query('BEGIN');
    const load = randomUUID().slice(0, 8);
    const counts = { rows: 0, predictions: 0 };
    let batch: (BulkRow & { predictionId: string; unanswered: boolean })[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const sentiment = batch.map((row) => (row.correct ? row.predicted : row.predicted === 1 ? 0 : 1));
      const inserted = await client.query<{ id: string; prediction_id: string }>(
        `INSERT INTO review_db (review, sentiment, date, prediction_id, source, review_hash, client, correction, verdict, verdict_reason)
         SELECT review, sentiment, date, prediction_id, 'feedback', encode(sha256(convert_to(review, 'UTF8')), 'hex'), client, correction, verdict, reason
         FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[])
           AS t (review, sentiment, date, prediction_id, client, correction, verdict, reason)
         RETURNING id, prediction_id`,
        [
          batch.map((row) => row.review),
          sentiment,
          batch.map((row) => row.date),
          batch.map((row) => row.predictionId),
          batch.map((row) => row.client),
          batch.map((row) => (row.correct ? 0 : 1)),
          batch.map((row) => row.verdict),
          batch.map((row) => row.reason),
        ],
      );
      const idOf = new Map(inserted.rows.map((row) => [row.prediction_id, row.id]));
      const predictions = batch.flatMap((row) => [
        { ...row, answeredBy: idOf.get(row.predictionId) ?? null },
        ...(row.unanswered ? [{ ...row, predictionId: `${row.predictionId}-unanswered`, answeredBy: null }] : []),
      ]);
      await client.query(
        `INSERT INTO predictions (id, review, label, probability, model_version, created_at, feedback_review_id)
         SELECT id, review, label, probability, 'bulk-load', created_at, feedback_review_id
         FROM unnest($1::text[], $2::text[], $3::int[], $4::float8[], $5::text[], $6::bigint[]) AS t (id, review, label, probability, created_at, feedback_review_id)`,
        [
          predictions.map((p) => p.predictionId),
          predictions.map((p) => p.review),
          predictions.map((p) => p.predicted),
          predictions.map((p) => p.probability),
          predictions.map((p) => p.date),
          predictions.map((p) => p.answeredBy),
        ],
      );
      counts.rows += batch.length;
      counts.predictions += predictions.length;
      batch = [];
    };
    let k = 0;
    for (const row of rows) {
      batch.push({ ...row, predictionId: `bulk-${load}-${k}`, unanswered: unanswered(k) });
      k++;
      if (batch.length === BATCH) await flush();
    }
    await flush();
    await client.query('COMMIT');
    return counts;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/** Runs `work` on a connection of its own to `url`. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Gathers the planner's statistics (ANALYZE), as autovacuum does soon after a load this size: the
 * console's word queries rely on them to choose between walking ids and the words index.
 */
export async function analyzePostgresLog(url: string): Promise<void> {
  await withClient(url, (client) => client.query('ANALYZE'));
}

/** The database's size on disk, in bytes (pg_database_size), for the bench's report. */
export async function postgresDatabaseBytes(url: string): Promise<number> {
  return withClient(url, async (client) =>
    Number((await client.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size')).rows[0].size),
  );
}
