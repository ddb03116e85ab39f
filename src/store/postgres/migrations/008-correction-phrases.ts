import type { PostgresStep } from './step.js';

/**
 * As SQLite's migration 8: the phrases of accepted corrections, for the verdict rule's phrase
 * budget. The index by review id is PostgreSQL's alone: an append decided outside the log lock
 * asks, under it, whether a correction written since shares one of its phrases (log-append.ts).
 */
export const step8: PostgresStep = {
  version: 8,
  name: '008-correction-phrases',
  sql: `CREATE TABLE correction_phrases (
        phrase BIGINT NOT NULL,
        date TEXT NOT NULL,
        review_id BIGINT NOT NULL REFERENCES review_db (id),
        sentiment SMALLINT NOT NULL CHECK (sentiment IN (0, 1))
      );
      CREATE INDEX correction_phrases_phrase_date ON correction_phrases (phrase, date) INCLUDE (review_id, sentiment);
      CREATE INDEX correction_phrases_review ON correction_phrases (review_id);`,
};
