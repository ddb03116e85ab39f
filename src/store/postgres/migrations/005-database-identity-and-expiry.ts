import type { PostgresStep } from './step.js';

/** PostgreSQL step 5: as SQLite's migration 005-database-identity-and-expiry. */
export const step5: PostgresStep = {
  version: 5,
  name: '005-database-identity-and-expiry',
  sql: `
      CREATE TABLE database_identity (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        write_checked_at TEXT NULL
      );
      INSERT INTO database_identity (id, created_at) VALUES (gen_random_uuid()::text, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
      CREATE INDEX predictions_unanswered_created_at ON predictions (created_at) WHERE feedback_review_id IS NULL;`,
};
