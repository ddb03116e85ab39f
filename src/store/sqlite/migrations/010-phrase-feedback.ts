import type BetterSqlite3 from 'better-sqlite3';

/*
 * The phrase budget weighs every accepted answer, not only corrections: a "Correct" answer to a
 * prediction the model was unsure of teaches about half as much as a correction, and wrapping a
 * sentence in words that make the model unsure let a group of clients teach it anything with
 * confirmations alone. The table of migration 8 becomes `phrase_feedback`: one row per phrase of
 * each accepted row that answers a prediction, with how far learning the row moved the model
 * toward its label (`push`, 1 - the predicted probability of that label). Rows from before hold
 * corrections only; they get push 1, what they counted as before. Rows older than the budget's
 * window are deleted by the expiry job (they grow by ~240 per accepted answer).
 */
const PHRASE_FEEDBACK = `
  ALTER TABLE correction_phrases RENAME TO phrase_feedback;
  ALTER TABLE phrase_feedback ADD COLUMN push REAL NOT NULL DEFAULT 1 CHECK (push >= 0 AND push <= 1);
  DROP INDEX correction_phrases_phrase_date;
  CREATE INDEX phrase_feedback_phrase_date ON phrase_feedback (phrase, date);
  CREATE INDEX phrase_feedback_date ON phrase_feedback (date);
`;

/** Migration 10: the phrase budget's table holds every accepted answer, with its push. */
export function updateToSchemaVersion10(db: BetterSqlite3.Database): void {
  db.exec(PHRASE_FEEDBACK);
}
