import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';

/*
 * The fold skips a review_db row that repeats an earlier row exactly (same text, same label):
 * otherwise posting one review again and again would push the model as hard as many readers
 * agreeing. Every process must decide "repeat" the same way from the log alone, so the hash of
 * the text is a column, indexed with the label and id, and `review_hash()` is the SQL function
 * the store registers on every connection (sha256 of the UTF-8 text).
 */
export function updateToSchemaVersion3(db: BetterSqlite3.Database): void {
  db.exec(`
    ALTER TABLE review_db ADD COLUMN review_hash TEXT NULL;
    UPDATE review_db SET review_hash = review_hash(review) WHERE review IS NOT NULL;
    CREATE INDEX review_db_review_hash ON review_db (review_hash, sentiment, id);
  `);
}

/**
 * Registers `review_hash(text)` — sha256 hex of the UTF-8 text, NULL for NULL — on a connection.
 * `migrate` calls it, so migration 3 and the store's inserts can use it on every connection.
 */
/** A SQLite value as SQLite's own text conversion gives it: a BLOB's bytes as UTF-8, numbers in decimal. */
function sqlText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function registerReviewHash(db: BetterSqlite3.Database): void {
  db.function('review_hash', { deterministic: true }, (text: unknown) =>
    text === null || text === undefined ? null : createHash('sha256').update(sqlText(text), 'utf8').digest('hex'),
  );
}
