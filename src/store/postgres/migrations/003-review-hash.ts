import type { PostgresStep } from './step.js';

/** PostgreSQL step 3: as SQLite's migration 003-review-hash. */
export const step3: PostgresStep = {
  version: 3,
  name: '003-review-hash',
  sql: `
      ALTER TABLE review_db ADD COLUMN review_hash TEXT NULL;
      CREATE INDEX review_db_review_hash ON review_db (review_hash, sentiment, id);`,
};
