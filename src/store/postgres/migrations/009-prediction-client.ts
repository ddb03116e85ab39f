import type { PostgresStep } from './step.js';

/** As SQLite's migration 9: predictions record their client, indexed for the per-client bound. */
export const step9: PostgresStep = {
  version: 9,
  name: '009-prediction-client',
  sql: `ALTER TABLE predictions ADD COLUMN client TEXT NULL;
      CREATE INDEX predictions_unanswered_client ON predictions (client, created_at) WHERE feedback_review_id IS NULL;`,
};
