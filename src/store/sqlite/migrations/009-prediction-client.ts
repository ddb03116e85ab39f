import type BetterSqlite3 from 'better-sqlite3';

/*
 * Each prediction records the client that asked for it (the keyed hash of its address, as
 * review_db.client holds it; NULL for predictions made before this migration and by tools), so
 * that one client's unanswered predictions can be bounded (PREDICTION_MAX_PER_CLIENT): without
 * it one address could store about 1.7 GB of review text a day at the default rate limit.
 *
 * The partial index holds only unanswered rows, by client and age: the bound, checked on every
 * batch of predictions, walks the newest few hundred of one client and deletes what lies
 * beyond. Answered predictions are never deleted, so they need no place in it.
 */
const PREDICTION_CLIENT = `
  ALTER TABLE predictions ADD COLUMN client TEXT NULL;
  CREATE INDEX predictions_unanswered_client ON predictions (client, created_at) WHERE feedback_review_id IS NULL;
`;

/** Migration 9: predictions record their client, indexed for the per-client bound on unanswered ones. */
export function updateToSchemaVersion9(db: BetterSqlite3.Database): void {
  db.exec(PREDICTION_CLIENT);
}
