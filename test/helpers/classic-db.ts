import Database from 'better-sqlite3';

/** One row of the classic table. Values are stored as given (classic columns have affinity, not strict types). */
export interface ClassicRow {
  review: string | null;
  sentiment: number | string | null;
  /** Defaults to DATETIME('now'), as the classic app wrote it; pass null for a row without a date. */
  date?: string | null;
}

/** The exact DDL of the classic Python/Flask app. */
export const CLASSIC_REVIEW_DB_DDL = 'CREATE TABLE review_db (review TEXT, sentiment INTEGER, date TEXT)';

/**
 * Create a SQLite file in the classic schema (as the classic Python/Flask movieclassifier
 * makes it: rollback journal, user_version 0, no id column) holding `rows` in order.
 *
 * @param path file to create; it must not exist yet.
 * @param rows rows to insert, in rowid order.
 * @example
 *   createClassicDatabase(file, [{ review: 'I love this movie', sentiment: 1 }]);
 */
export function createClassicDatabase(path: string, rows: readonly ClassicRow[]): void {
  const db = new Database(path, { fileMustExist: false });
  try {
    db.exec(CLASSIC_REVIEW_DB_DDL);
    const insert = db.prepare<[string | null, number | string | null]>(
      "INSERT INTO review_db (review, sentiment, date) VALUES (?, ?, DATETIME('now'))",
    );
    const insertWithDate = db.prepare<[string | null, number | string | null, string | null]>(
      'INSERT INTO review_db (review, sentiment, date) VALUES (?, ?, ?)',
    );
    db.transaction(() => {
      for (const row of rows) {
        if (row.date === undefined) insert.run(row.review, row.sentiment);
        else insertWithDate.run(row.review, row.sentiment, row.date);
      }
    })();
  } finally {
    db.close();
  }
}
