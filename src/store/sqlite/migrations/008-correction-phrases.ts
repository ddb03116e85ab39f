import type BetterSqlite3 from 'better-sqlite3';

/*
 * The verdict rule's phrase budget (MODERATION_PHRASE_CORRECTIONS_PER_DAY) asks, for each phrase
 * of a correction, how many accepted corrections of the last 24 hours held it, by the label they
 * gave. One row per phrase of each accepted correction, written with the row; the index makes
 * the question a range scan on (phrase, date). The count joins review_db for the verdict, so a
 * row an operator rejects later frees its budget without touching this table. Rows written
 * before this migration have no phrases here: for the first 24 hours after the upgrade the
 * budget counts only what came after it.
 */
const CORRECTION_PHRASES = `
  CREATE TABLE correction_phrases (
    phrase INTEGER NOT NULL,
    date TEXT NOT NULL,
    review_id INTEGER NOT NULL REFERENCES review_db (id),
    sentiment INTEGER NOT NULL CHECK (sentiment IN (0, 1))
  ) STRICT;
  CREATE INDEX correction_phrases_phrase_date ON correction_phrases (phrase, date);
`;

/** Migration 8: the phrases of accepted corrections, for the phrase budget of the verdict rule. */
export function updateToSchemaVersion8(db: BetterSqlite3.Database): void {
  db.exec(CORRECTION_PHRASES);
}
