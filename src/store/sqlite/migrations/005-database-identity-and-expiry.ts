import { randomUUID } from 'node:crypto';

import type BetterSqlite3 from 'better-sqlite3';

/*
 * database_identity: one row naming this database. A model file folded from its log records the
 * id (header `databaseId`), so a model file next to another database is refused instead of
 * silently learning nothing (its watermark ahead of that log). write_checked_at is the last time
 * the server wrote here to learn whether writes succeed again after they failed (disk full).
 *
 * The partial index finds unanswered predictions by age, so that they can expire without a scan
 * of the predictions kept for their feedback.
 */
export function updateToSchemaVersion5(db: BetterSqlite3.Database): void {
  db.exec(`
    CREATE TABLE database_identity (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      id TEXT NOT NULL CHECK (id <> ''),
      created_at TEXT NOT NULL,
      write_checked_at TEXT NULL
    ) STRICT;
    CREATE INDEX predictions_unanswered_created_at ON predictions (created_at) WHERE feedback_review_id IS NULL;
  `);
  db.prepare(`INSERT INTO database_identity (singleton, id, created_at) VALUES (1, ?, ?)`).run(
    randomUUID(),
    new Date().toISOString(),
  );
}
