import type BetterSqlite3 from 'better-sqlite3';
import { fingerprint } from '../../../moderation/fingerprint.js';

/** Shortest text (trimmed) the fold took before verdicts: older rows below it are held. */
const PRE_VERDICT_MIN_LENGTH = 15;

/*
 * Moderation: every review_db row carries a verdict, decided once when it is written, that the
 * fold, every process and `npm run update` read instead of re-deriving skip rules:
 *   accepted — folded into the model;  held — waits for an operator;  rejected — never folded.
 * Beside it: why (verdict_reason), who (client: a keyed hash of the address, never the address),
 * whether the answer said the prediction was wrong (correction), and what the near-duplicate rule
 * compares (normalized_hash, a MinHash signature, and its LSH band keys in review_bands).
 * verdict_changes records every verdict changed after writing (an operator, update's check), in
 * order: a process that sees a change to a row it already folded rebuilds its model without it.
 *
 * Rows already in the log are carried over as accepted, except those the fold skipped until now,
 * which become held with the reason they were skipped: a sentiment that is not 0 or 1 (rows kept
 * from a classic database), a text under 15 characters, or an exact repeat of an earlier row
 * with the same label.
 */
export function updateToSchemaVersion4(db: BetterSqlite3.Database): void {
  db.exec(`
    ALTER TABLE review_db ADD COLUMN verdict TEXT NOT NULL DEFAULT 'accepted'
      CONSTRAINT review_db_verdict CHECK (verdict IN ('accepted', 'held', 'rejected'));
    ALTER TABLE review_db ADD COLUMN verdict_reason TEXT NULL;
    ALTER TABLE review_db ADD COLUMN client TEXT NULL;
    ALTER TABLE review_db ADD COLUMN correction INTEGER NULL;
    ALTER TABLE review_db ADD COLUMN normalized_hash TEXT NULL;
    ALTER TABLE review_db ADD COLUMN signature BLOB NULL;

    CREATE TABLE review_bands (
      band_key INTEGER NOT NULL,
      review_id INTEGER NOT NULL REFERENCES review_db (id)
    ) STRICT;

    CREATE TABLE verdict_changes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      review_id INTEGER NOT NULL REFERENCES review_db (id),
      verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'held', 'rejected')),
      reason TEXT NULL,
      at TEXT NOT NULL
    ) STRICT;
  `);

  const rows = db.prepare<[], { id: number; review: unknown; sentiment: unknown; repeatOf: number | null }>(`
    SELECT r.id, r.review, r.sentiment,
           (SELECT MIN(e.id) FROM review_db AS e
             WHERE e.review_hash = r.review_hash AND e.sentiment = r.sentiment AND e.id < r.id) AS repeatOf
    FROM review_db AS r ORDER BY r.id
  `);
  const setRow = db.prepare<[{ id: number; verdict: string; reason: string | null; hash: string; signature: Buffer }]>(`
    UPDATE review_db SET verdict = @verdict, verdict_reason = @reason, normalized_hash = @hash, signature = @signature
    WHERE id = @id
  `);
  const addBand = db.prepare<[number, number]>(`INSERT INTO review_bands (band_key, review_id) VALUES (?, ?)`);
  for (const row of rows.all()) {
    const text = typeof row.review === 'string' ? row.review : '';
    let reason: string | null = null;
    if (row.sentiment !== 0 && row.sentiment !== 1) reason = 'migrated: sentiment is not 0 or 1';
    else if (text.trim().length < PRE_VERDICT_MIN_LENGTH) reason = 'migrated: text too short';
    else if (row.repeatOf !== null) reason = `migrated: repeats row ${row.repeatOf}`;
    const print = fingerprint(text);
    setRow.run({
      id: row.id,
      verdict: reason === null ? 'accepted' : 'held',
      reason,
      hash: print.normalizedHash,
      signature: Buffer.from(print.signature.buffer),
    });
    for (const key of print.bandKeys) addBand.run(key, row.id);
  }

  db.exec(`
    CREATE INDEX review_bands_key ON review_bands (band_key, review_id);
    CREATE INDEX review_db_normalized_hash ON review_db (normalized_hash, id);
    CREATE INDEX review_db_client_date ON review_db (client, date) WHERE client IS NOT NULL;
    CREATE INDEX review_db_verdict_id ON review_db (verdict, id);
  `);
}
