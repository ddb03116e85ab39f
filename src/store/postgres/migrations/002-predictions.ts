import type { PostgresStep } from './step.js';

/** PostgreSQL step 2: as SQLite's migration 002-predictions. */
export const step2: PostgresStep = {
  version: 2,
  name: '002-predictions',
  sql: `
      CREATE TABLE predictions (
        id TEXT PRIMARY KEY CHECK (id <> ''),
        review TEXT NOT NULL,
        label INTEGER NOT NULL CHECK (label IN (0, 1)),
        probability DOUBLE PRECISION NOT NULL CHECK (probability >= 0 AND probability <= 1),
        model_version TEXT NOT NULL,
        created_at TEXT NOT NULL,
        feedback_review_id BIGINT NULL REFERENCES review_db (id)
      );
      CREATE UNIQUE INDEX predictions_feedback_review_id ON predictions (feedback_review_id);`,
};
