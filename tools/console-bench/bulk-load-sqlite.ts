import { randomUUID } from 'node:crypto';

import Database from 'better-sqlite3';

import type { Label } from '../../src/model/types.js';
import { migrate } from '../../src/store/sqlite/migrations/index.js';
import type { Verdict } from '../../src/store/types.js';

/** One reader's answer as the bulk loader writes it: the prediction shown, then the review_db row. */
export interface BulkRow {
  review: string;
  /** The predicted label and its probability. */
  predicted: Label;
  probability: number;
  /** Whether the reader said Correct. */
  correct: boolean;
  /** ISO-8601. */
  date: string;
  client: string | null;
  verdict: Verdict;
  reason: string | null;
}

/**
 * Writes a large log fast, for benchmarks and demonstrations (`npm run console:bench`): each row
 * is a prediction and the reader's answer to it, as the app stores them, in one transaction with
 * `synchronous = OFF`. It does not run the moderation rule (verdicts are given) and stores no
 * near-duplicate fingerprints, which cost ~200 µs a row and no console page reads. The console's
 * summaries are kept by migration 6's triggers as for any insert; the full-text index is left to
 * `ConsoleStore.indexText`. Not for a database a server is using.
 *
 * @param unanswered predictions to add without an answer, spread among the rows (shown, never answered).
 * @returns how many rows and predictions were written.
 */
export function bulkLoadLog(
  path: string,
  rows: Iterable<BulkRow>,
  unanswered: (index: number) => boolean = () => false,
): { rows: number; predictions: number } {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144'); // 256 MB
    migrate(db, path);
    const insertPrediction = db.prepare<[string, string, Label, number, string, number | null]>(`
      INSERT INTO predictions (id, review, label, probability, model_version, created_at, feedback_review_id)
      VALUES (?, ?, ?, ?, 'bulk-load', ?, ?)
    `);
    const insertRow = db.prepare<
      [string, Label, string, string, string, string | null, number, Verdict, string | null]
    >(`
      INSERT INTO review_db (review, sentiment, date, prediction_id, source, review_hash, client, correction, verdict, verdict_reason)
      VALUES (?, ?, ?, ?, 'feedback', review_hash(?), ?, ?, ?, ?)
    `);
    const counts = { rows: 0, predictions: 0 };
    // Prediction ids are unique per load, so a log can be loaded into more than once.
    const load = randomUUID().slice(0, 8);
    db.transaction(() => {
      let k = 0;
      for (const row of rows) {
        const sentiment: Label = row.correct ? row.predicted : row.predicted === 1 ? 0 : 1;
        const predictionId = `bulk-${load}-${k}`;
        const id = Number(
          insertRow.run(
            row.review,
            sentiment,
            row.date,
            predictionId,
            row.review,
            row.client,
            row.correct ? 0 : 1,
            row.verdict,
            row.reason,
          ).lastInsertRowid,
        );
        insertPrediction.run(predictionId, row.review, row.predicted, row.probability, row.date, id);
        counts.rows++;
        counts.predictions++;
        if (unanswered(k)) {
          insertPrediction.run(
            `${predictionId}-unanswered`,
            row.review,
            row.predicted,
            row.probability,
            row.date,
            null,
          );
          counts.predictions++;
        }
        k++;
      }
    })();
    return counts;
  } finally {
    db.close();
  }
}
