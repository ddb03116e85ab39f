import type BetterSqlite3 from 'better-sqlite3';

/**
 * The hour a review_db date falls in, as 'YYYY-MM-DDTHH' (UTC, as the app writes dates), or ''
 * when the date is not one (classic rows may hold anything). The classic app wrote
 * 'YYYY-MM-DD HH:MM:SS' (datetime('now')); a bare day counts as its first hour. A code constant
 * spliced into the trigger bodies below: triggers cannot call a JavaScript function, because
 * every other tool that writes to the file (sqlite3, the classic app) would then fail.
 */
const hourOf = (date: string): string => `
  CASE
    WHEN ${date} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]*'
      THEN substr(${date}, 1, 10) || 'T' || substr(${date}, 12, 2)
    WHEN ${date} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(${date}, 1, 10) || 'T00'
    ELSE ''
  END`;

/** 0 or 1, or -1 for a classic row whose label is neither (kept as found). */
const labelOf = (sentiment: string): string => `CASE WHEN ${sentiment} IN (0, 1) THEN ${sentiment} ELSE -1 END`;

/** 0 the reader said Correct, 1 Incorrect, -1 no answer (imports). */
const answerOf = (correction: string): string => `COALESCE(${correction}, -1)`;

const countIn = (row: 'NEW' | 'OLD'): string => `
  INSERT INTO feedback_hourly (hour, verdict, sentiment, correction, n, min_id, max_id)
  VALUES (${hourOf(`${row}.date`)}, ${row}.verdict, ${labelOf(`${row}.sentiment`)}, ${answerOf(`${row}.correction`)}, 1, ${row}.id, ${row}.id)
  ON CONFLICT (hour, verdict, sentiment, correction) DO UPDATE SET
    n = n + 1, min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id);`;

// min_id/max_id are not narrowed when a row leaves a cell: they stay a bound that holds every
// row counted in it, which is all the date filter needs.
const countOut = (row: 'NEW' | 'OLD'): string => `
  UPDATE feedback_hourly SET n = n - 1
  WHERE hour = ${hourOf(`${row}.date`)} AND verdict = ${row}.verdict
    AND sentiment = ${labelOf(`${row}.sentiment`)} AND correction = ${answerOf(`${row}.correction`)};`;

const clientIn = (row: 'NEW' | 'OLD'): string => `
  INSERT INTO client_summary (client, rows, accepted, held, rejected, first_date, last_date)
  SELECT ${row}.client, 1, ${row}.verdict = 'accepted', ${row}.verdict = 'held', ${row}.verdict = 'rejected',
         COALESCE(${row}.date, ''), COALESCE(${row}.date, '')
  WHERE ${row}.client IS NOT NULL
  ON CONFLICT (client) DO UPDATE SET
    rows = rows + 1, accepted = accepted + excluded.accepted, held = held + excluded.held,
    rejected = rejected + excluded.rejected,
    first_date = min(first_date, excluded.first_date), last_date = max(last_date, excluded.last_date);`;

const clientOut = (row: 'NEW' | 'OLD'): string => `
  UPDATE client_summary SET
    rows = rows - 1, accepted = accepted - (${row}.verdict = 'accepted'),
    held = held - (${row}.verdict = 'held'), rejected = rejected - (${row}.verdict = 'rejected')
  WHERE client = ${row}.client;`;

/*
 * Migration 6: what the operator's console (/admin) reads, so that each of its pages answers in
 * milliseconds with a million log rows, and the model's history.
 *
 * - feedback_hourly: review_db rows counted by hour, verdict, label and the reader's answer, with
 *   the lowest and highest id in each cell (so a date range becomes an id range); prediction_hourly:
 *   predictions made per hour; client_summary: each client's rows by verdict. Triggers keep them
 *   exact on every insert, update and delete, whoever writes (the app, `npm run update`, the
 *   sqlite3 shell). A predictions row deleted later (expired) stays counted: it was made.
 * - review_fts: a full-text index of the review texts (FTS5, external content: the words are
 *   indexed, the text is not stored twice), for the log's text filter; LIKE '%…%' reads every
 *   text, ~1 GB for a million IMDb-sized reviews. It is filled in batches up to
 *   review_fts_position.through (src/store/sqlite/console-store.ts), not by a trigger: FTS5 writes a new
 *   segment per transaction, which cost ~370 µs on every feedback commit here (the summaries'
 *   triggers cost ~60 µs).
 * - review_db_client_id: a client's rows newest first (the log filtered by client).
 * - model_events: the model's timeline (trained, each update, each reload and rebuild) with its
 *   accuracy on the check set, written by the servers and `npm run update`; `key` makes an event
 *   that several processes see (every worker reloads the same file) recorded once.
 * - admin_login_failures: failed console sign-ins per client, shared by every worker, so the
 *   limit holds whatever worker a guess lands on; admin_signed_out: sessions ended by signing out
 *   before they expired (the session cookie is signed, not stored), so every worker refuses them.
 *
 * Existing rows are counted and indexed here, once: a few seconds per 100,000 rows.
 */
export function updateToSchemaVersion6(db: BetterSqlite3.Database): void {
  db.exec(`
    CREATE TABLE feedback_hourly (
      hour TEXT NOT NULL,
      verdict TEXT NOT NULL,
      sentiment INTEGER NOT NULL,
      correction INTEGER NOT NULL,
      n INTEGER NOT NULL,
      min_id INTEGER NOT NULL,
      max_id INTEGER NOT NULL,
      PRIMARY KEY (hour, verdict, sentiment, correction)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE prediction_hourly (
      hour TEXT PRIMARY KEY NOT NULL,
      n INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE client_summary (
      client TEXT PRIMARY KEY NOT NULL,
      rows INTEGER NOT NULL,
      accepted INTEGER NOT NULL,
      held INTEGER NOT NULL,
      rejected INTEGER NOT NULL,
      first_date TEXT NOT NULL,
      last_date TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE model_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      key TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL CHECK (kind IN ('trained', 'update', 'reload', 'rebuild')),
      at TEXT NOT NULL,
      model_version TEXT NOT NULL,
      watermark INTEGER NOT NULL,
      verdict_changes INTEGER NOT NULL,
      check_accuracy REAL NULL,
      check_size INTEGER NOT NULL,
      detail TEXT NULL
    ) STRICT;
    CREATE INDEX model_events_at ON model_events (at);

    CREATE TABLE admin_login_failures (
      client TEXT NOT NULL,
      at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX admin_login_failures_client_at ON admin_login_failures (client, at);

    CREATE TABLE admin_signed_out (
      session TEXT PRIMARY KEY NOT NULL,
      expires_at TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;

    INSERT INTO feedback_hourly (hour, verdict, sentiment, correction, n, min_id, max_id)
    SELECT ${hourOf('date')}, verdict, ${labelOf('sentiment')}, ${answerOf('correction')}, COUNT(*), MIN(id), MAX(id)
    FROM review_db GROUP BY 1, 2, 3, 4;

    INSERT INTO prediction_hourly (hour, n)
    SELECT substr(created_at, 1, 13), COUNT(*) FROM predictions GROUP BY 1;

    INSERT INTO client_summary (client, rows, accepted, held, rejected, first_date, last_date)
    SELECT client, COUNT(*), SUM(verdict = 'accepted'), SUM(verdict = 'held'), SUM(verdict = 'rejected'),
           MIN(COALESCE(date, '')), MAX(COALESCE(date, ''))
    FROM review_db WHERE client IS NOT NULL GROUP BY client;
    CREATE INDEX client_summary_rows ON client_summary (rows DESC, client);

    CREATE INDEX review_db_client_id ON review_db (client, id) WHERE client IS NOT NULL;

    CREATE VIRTUAL TABLE review_fts USING fts5(
      review, content = 'review_db', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2',
      -- Which rows hold a word, not where in them: the console asks for words, never phrases or
      -- ranks, and the index is then a fraction of the size and quicker to fill.
      detail = 'none', columnsize = 0
    );
    INSERT INTO review_fts (review_fts) VALUES ('rebuild');
    CREATE TABLE review_fts_position (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      through INTEGER NOT NULL
    ) STRICT;
    INSERT INTO review_fts_position (id, through) SELECT 1, COALESCE(MAX(id), 0) FROM review_db;

    CREATE TRIGGER review_db_console_insert AFTER INSERT ON review_db BEGIN
      ${countIn('NEW')}
      ${clientIn('NEW')}
    END;

    CREATE TRIGGER review_db_console_update AFTER UPDATE OF verdict, date, sentiment, correction, client ON review_db
    WHEN OLD.verdict IS NOT NEW.verdict OR OLD.date IS NOT NEW.date OR OLD.sentiment IS NOT NEW.sentiment
      OR OLD.correction IS NOT NEW.correction OR OLD.client IS NOT NEW.client
    BEGIN
      ${countOut('OLD')}
      ${countIn('NEW')}
      ${clientOut('OLD')}
      ${clientIn('NEW')}
    END;

    -- The app never edits or deletes a review text; if another tool does, review_fts keeps the
    -- old words of that row, and a search joins back to review_db, which has the truth.
    CREATE TRIGGER review_db_console_delete AFTER DELETE ON review_db BEGIN
      ${countOut('OLD')}
      ${clientOut('OLD')}
    END;

    CREATE TRIGGER predictions_console_insert AFTER INSERT ON predictions BEGIN
      INSERT INTO prediction_hourly (hour, n) VALUES (substr(NEW.created_at, 1, 13), 1)
      ON CONFLICT (hour) DO UPDATE SET n = n + 1;
    END;
  `);
}
