import type { PostgresStep } from './step.js';

/** As SQLite's migration 10: every accepted answer's phrases, with its push; the index covers the budget's sums. */
export const step10: PostgresStep = {
  version: 10,
  name: '010-phrase-feedback',
  sql: `ALTER TABLE correction_phrases RENAME TO phrase_feedback;
      ALTER TABLE phrase_feedback ADD COLUMN push REAL NOT NULL DEFAULT 1 CHECK (push >= 0 AND push <= 1);
      DROP INDEX correction_phrases_phrase_date;
      CREATE INDEX phrase_feedback_phrase_date ON phrase_feedback (phrase, date) INCLUDE (review_id, sentiment, push);
      ALTER INDEX correction_phrases_review RENAME TO phrase_feedback_review;
      CREATE INDEX phrase_feedback_date ON phrase_feedback (date);`,
};
