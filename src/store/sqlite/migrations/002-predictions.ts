import type BetterSqlite3 from 'better-sqlite3';

/*
 * Predictions shown to a reader are kept server-side: the feedback form carries only the
 * prediction id, and the text and label it refers to are read from here, so they cannot be
 * forged through hidden fields.
 *
 * feedback_review_id links a prediction to the review_db row its feedback produced. The unique
 * index makes that one-to-one and also serves the foreign key (SQLite looks up child rows by
 * it when a review_db row changes). Rows are kept with their large review text, so this is a
 * rowid table, not WITHOUT ROWID.
 */
const CREATE_PREDICTIONS = `
  CREATE TABLE predictions (
    id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
    review TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label IN (0, 1)),
    probability REAL NOT NULL CHECK (probability BETWEEN 0 AND 1),
    model_version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    feedback_review_id INTEGER NULL REFERENCES review_db (id)
  ) STRICT;
  CREATE UNIQUE INDEX predictions_feedback_review_id ON predictions (feedback_review_id);
`;

/**
 * Migration 2: create the `predictions` table. Runs inside the transaction `migrate` opens.
 *
 * @param db an open better-sqlite3 connection, inside a transaction, at user_version 1.
 * @example
 *   updateToSchemaVersion2(db)
 */
export function updateToSchemaVersion2(db: BetterSqlite3.Database): void {
  db.exec(CREATE_PREDICTIONS);
}
