import type { PostgresStep } from './step.js';

/** PostgreSQL step 1: as SQLite's migration 001-review-db. */
export const step1: PostgresStep = {
  version: 1,
  name: '001-review-db',
  sql: `
      CREATE TABLE review_db (
        review TEXT,
        sentiment INTEGER,
        date TEXT,
        id BIGSERIAL PRIMARY KEY,
        prediction_id TEXT NULL,
        source TEXT NOT NULL CHECK (source <> '')
      );
      CREATE UNIQUE INDEX review_db_prediction_id ON review_db (prediction_id);`,
};
