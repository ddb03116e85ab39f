import type { PostgresStep } from './step.js';
/*
 * Every upsert below takes its summary rows in key order (ORDER BY): two instances writing
 * predictions that span the same two hours then lock them in the same order and cannot deadlock.
 */

/**
 * Adds one review_db row's counts to the summaries (`sign` 1) or takes them out (-1), for every
 * row of `rows` (a transition table or a query with the columns id, date, verdict, sentiment,
 * correction, client, sign). min_id/max_id and the client's dates only widen: they stay bounds
 * that hold every row counted, which is all the date filter needs (as on SQLite).
 */
const countRows = (rows: string): string => `
  INSERT INTO feedback_hourly (hour, verdict, sentiment, correction, n, min_id, max_id)
  SELECT console_hour_of(date), verdict, console_label_of(sentiment), COALESCE(correction, -1), SUM(sign), MIN(id), MAX(id)
  FROM (${rows}) AS delta GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (hour, verdict, sentiment, correction) DO UPDATE SET
    n = feedback_hourly.n + excluded.n,
    min_id = LEAST(feedback_hourly.min_id, excluded.min_id), max_id = GREATEST(feedback_hourly.max_id, excluded.max_id);
  INSERT INTO client_summary (client, rows, accepted, held, rejected, first_date, last_date)
  SELECT client, SUM(sign), SUM(sign * (verdict = 'accepted')::int), SUM(sign * (verdict = 'held')::int),
         SUM(sign * (verdict = 'rejected')::int), MIN(COALESCE(date, '') COLLATE "C"), MAX(COALESCE(date, '') COLLATE "C")
  FROM (${rows}) AS delta WHERE client IS NOT NULL GROUP BY client ORDER BY client
  ON CONFLICT (client) DO UPDATE SET
    rows = client_summary.rows + excluded.rows, accepted = client_summary.accepted + excluded.accepted,
    held = client_summary.held + excluded.held, rejected = client_summary.rejected + excluded.rejected,
    first_date = LEAST(client_summary.first_date, excluded.first_date),
    last_date = GREATEST(client_summary.last_date, excluded.last_date);`;

const SUMMARY_COLUMNS = 'id, date, verdict, sentiment, correction, client';
/** The rows of an update whose counted columns changed (an update that changes none moves nothing). */
const movedBy = (side: 'o' | 'n', sign: number): string => `
  SELECT ${SUMMARY_COLUMNS.split(', ')
    .map((c) => `${side}.${c}`)
    .join(', ')}, ${sign} AS sign
  FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
  WHERE (o.date, o.verdict, o.sentiment, o.correction, o.client) IS DISTINCT FROM (n.date, n.verdict, n.sentiment, n.correction, n.client)`;

/**
 * Step 6, the operator's console: the same summaries as SQLite's migration 6
 * (src/store/sqlite/migrations/006-console.ts), kept exact the same way, by triggers on every insert,
 * update and delete whoever writes (here statement triggers over transition tables: one summary
 * update per statement, however many rows it writes). What differs:
 *
 * - The text filter's index is `review_words`: each row's words as src/store/sqlite/console-store.ts's
 *   `indexWords` reads them (lower case, accents dropped), as a tsvector with a GIN index, so a
 *   word and a word's start (`film:*`) are index lookups and match exactly what SQLite's FTS5
 *   index matches. The words are computed in JavaScript (PostgreSQL has no accent folding without
 *   an extension), so the servers fill it in batches (`indexText`), as on SQLite, up to
 *   `review_words_position.through`; rows newer than that are read and checked directly. Rows
 *   already in the log when this step runs are indexed by those batches.
 * - Texts compared as dates and hours are compared byte by byte (COLLATE "C"), as SQLite does.
 */
export function consoleStep(): string {
  return `
    -- The hour a date falls in ('YYYY-MM-DDTHH'; a bare day is its first hour; '' for what is not a date).
    CREATE FUNCTION console_hour_of(d TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN d ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}' THEN substr(d, 1, 10) || 'T' || substr(d, 12, 2)
        WHEN d ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN substr(d, 1, 10) || 'T00'
        ELSE ''
      END
    $$;
    -- 0 or 1, or -1 for a label that is neither.
    CREATE FUNCTION console_label_of(s INTEGER) RETURNS INTEGER LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE WHEN s IN (0, 1) THEN s ELSE -1 END
    $$;

    CREATE TABLE feedback_hourly (
      hour TEXT COLLATE "C" NOT NULL,
      verdict TEXT NOT NULL,
      sentiment INTEGER NOT NULL,
      correction INTEGER NOT NULL,
      n BIGINT NOT NULL,
      min_id BIGINT NOT NULL,
      max_id BIGINT NOT NULL,
      PRIMARY KEY (hour, verdict, sentiment, correction)
    );
    CREATE TABLE prediction_hourly (
      hour TEXT COLLATE "C" PRIMARY KEY,
      n BIGINT NOT NULL
    );
    CREATE TABLE client_summary (
      client TEXT COLLATE "C" PRIMARY KEY,
      rows BIGINT NOT NULL,
      accepted BIGINT NOT NULL,
      held BIGINT NOT NULL,
      rejected BIGINT NOT NULL,
      first_date TEXT COLLATE "C" NOT NULL,
      last_date TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE model_events (
      id BIGSERIAL PRIMARY KEY,
      key TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL CHECK (kind IN ('trained', 'update', 'reload', 'rebuild')),
      at TEXT COLLATE "C" NOT NULL,
      model_version TEXT NOT NULL,
      watermark BIGINT NOT NULL,
      verdict_changes BIGINT NOT NULL,
      check_accuracy DOUBLE PRECISION NULL,
      check_size INTEGER NOT NULL,
      detail TEXT NULL
    );
    CREATE INDEX model_events_at ON model_events (at);
    CREATE TABLE admin_login_failures (
      client TEXT NOT NULL,
      at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX admin_login_failures_client_at ON admin_login_failures (client, at);
    CREATE TABLE admin_signed_out (
      session TEXT PRIMARY KEY,
      expires_at TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE review_words (
      review_id BIGINT PRIMARY KEY,
      words TSVECTOR NOT NULL
    );
    CREATE INDEX review_words_words ON review_words USING gin (words);
    CREATE TABLE review_words_position (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      through BIGINT NOT NULL
    );
    INSERT INTO review_words_position (id, through) VALUES (1, 0);

    ${countRows(`SELECT ${SUMMARY_COLUMNS}, 1 AS sign FROM review_db`)}
    INSERT INTO prediction_hourly (hour, n) SELECT substr(created_at, 1, 13), COUNT(*) FROM predictions GROUP BY 1;
    CREATE INDEX client_summary_rows ON client_summary (rows DESC, client);
    CREATE INDEX review_db_client_id ON review_db (client, id) WHERE client IS NOT NULL;

    CREATE FUNCTION console_review_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${countRows(`SELECT ${SUMMARY_COLUMNS}, 1 AS sign FROM new_rows`)}
      RETURN NULL;
    END $$;
    CREATE FUNCTION console_review_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${countRows(`${movedBy('o', -1)} UNION ALL ${movedBy('n', 1)}`)}
      RETURN NULL;
    END $$;
    CREATE FUNCTION console_review_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${countRows(`SELECT ${SUMMARY_COLUMNS}, -1 AS sign FROM old_rows`)}
      RETURN NULL;
    END $$;
    CREATE FUNCTION console_predictions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO prediction_hourly (hour, n) SELECT substr(created_at, 1, 13), COUNT(*) FROM new_rows GROUP BY 1 ORDER BY 1
      ON CONFLICT (hour) DO UPDATE SET n = prediction_hourly.n + excluded.n;
      RETURN NULL;
    END $$;
    CREATE TRIGGER review_db_console_insert AFTER INSERT ON review_db
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION console_review_inserted();
    -- No column list: PostgreSQL allows none with transition tables; console_review_updated
    -- counts only the rows whose counted columns changed.
    CREATE TRIGGER review_db_console_update AFTER UPDATE ON review_db
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION console_review_updated();
    CREATE TRIGGER review_db_console_delete AFTER DELETE ON review_db
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION console_review_deleted();
    CREATE TRIGGER predictions_console_insert AFTER INSERT ON predictions
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION console_predictions_inserted();`;
}

export const step6: PostgresStep = { version: 6, name: '006-console', sql: consoleStep() };
