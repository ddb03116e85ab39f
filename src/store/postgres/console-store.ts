import type pg from 'pg';

import { InvalidInputError } from '../../errors.js';

import {
  dayRange,
  indexWords,
  mergeWalks,
  pageWalk,
  reviewHasWords,
  type Bounds,
  type ClientOrder,
  type ClientSummary,
  type ConsoleFilter,
  type ConsoleRow,
  type ConsoleStore,
  type Direction,
  type ExportRow,
  type FeedbackCount,
  type LoginTry,
  type ModelEvent,
  type ModelEventLog,
  type PeriodCount,
} from '../console.js';
import { LOGIN_LOCK } from './migrations/index.js';

/** The store's query helpers (src/store/postgres/store.ts): connection failures become DatabaseUnavailableError. */
export interface PostgresAccess {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

/** Rows read per query when rows newer than the text index are read and checked one by one. */
const RECENT_PAGE = 500;

/**
 * Longest word kept in the text index, in characters: PostgreSQL refuses a lexeme over 2,046
 * bytes. The console takes at most 200 characters of search text, so a longer word is still found
 * by its start (`word*`), and no whole word the console can ask for is that long.
 */
const INDEXED_WORD_CHARS = 500;

const PAGE_COLUMNS = (excerpt: string): string => `r.id, substr(COALESCE(r.review, ''), 1, ${excerpt}) AS excerpt,
  char_length(COALESCE(r.review, '')) AS length, r.sentiment, COALESCE(r.date, '') AS date, r.verdict,
  r.verdict_reason AS reason, r.client, r.source, r.prediction_id AS "predictionId", r.correction, p.label AS predicted, p.probability`;
const EXPORT_COLUMNS = `r.id, COALESCE(r.review, '') AS review, r.sentiment, COALESCE(r.date, '') AS date, r.verdict, r.client`;
const CLIENT_COLUMNS = `client, rows, accepted, held, rejected, first_date AS "firstDate", last_date AS "lastDate"`;
const EVENT_COLUMNS = `id, key, kind, at, model_version AS "modelVersion", watermark, verdict_changes AS "verdictChanges",
  check_accuracy AS "checkAccuracy", check_size AS "checkSize", detail`;

/** The column each order of the clients page sorts by (never the caller's text in the SQL). */
const CLIENT_ORDER_COLUMNS: Record<ClientOrder, string> = { rows: 'rows', held: 'held', rejected: 'rejected' };

/** Positional parameters ($1, $2, ...) collected while a statement is written. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The tsquery of search terms: every term, each a word or (`word*`) the start of one, taken as written. */
function tsQuery(terms: readonly string[]): string {
  // Terms are letters and digits only (searchTerms), so quoting them is enough.
  return terms.map((term) => (term.endsWith('*') ? `'${term.slice(0, -1)}':*` : `'${term}'`)).join(' & ');
}

/** A review's distinct index words, space-separated, for array_to_tsvector(string_to_array(...)). */
function indexedWords(review: string): string {
  return [...new Set(indexWords(review).map((word) => word.slice(0, INDEXED_WORD_CHARS)))].join(' ');
}

/**
 * The console's queries on PostgreSQL (step 6 of src/store/postgres/migrations.ts), giving the
 * same answers as SQLite's (src/store/sqlite/console-store.ts) for the same log: the charts read the
 * hourly summaries, a log page walks an index in id order and stops after a page, a date range
 * becomes an id range through the summaries, words go through review_words (rows newer than it
 * are read and checked with the same rule), and the export pages through the id index.
 *
 * @example
 *   const store = await openPostgresStore(process.env.DATABASE_URL!); // store.console is one of these
 *   await store.console.indexText(2_000);
 *   const rows = await store.console.feedbackPage({ words: searchTerms('café*'), verdict: 'held' }, { limit: 50, excerptChars: 160 });
 */
export function createPostgresConsoleStore({ query, transaction }: PostgresAccess): ConsoleStore {
  const textThrough = async (): Promise<number> =>
    (await query<{ through: number }>('SELECT through FROM review_words_position WHERE id = 1'))[0].through;

  /** Narrows `bounds` to the ids of a day range (null: no row can match), as on SQLite. */
  const narrowToDays = async (filter: ConsoleFilter, bounds: Bounds): Promise<Bounds | null> => {
    const days = dayRange(filter);
    if (days === undefined) return bounds;
    const range = (
      await query<{ lo: number | null; hi: number | null }>(
        'SELECT MIN(min_id) AS lo, MAX(max_id) AS hi FROM feedback_hourly WHERE hour >= $1 AND hour < $2 AND n > 0',
        [days.fromHour, days.toHour],
      )
    )[0];
    if (range.lo === null || range.hi === null) return null;
    return { above: Math.max(bounds.above, range.lo - 1), below: Math.min(bounds.below, range.hi + 1) };
  };

  /** The filter's tests on review_db (without the words), and the id bounds. */
  const conditions = (filter: ConsoleFilter, bounds: Bounds, p: Params): string => {
    const where = [`r.id > ${p.add(bounds.above)}`, `r.id < ${p.add(bounds.below)}`];
    if (filter.verdict !== undefined) where.push(`r.verdict = ${p.add(filter.verdict)}`);
    if (filter.client !== undefined) where.push(`r.client = ${p.add(filter.client)}`);
    if (filter.sentiment !== undefined) where.push(`r.sentiment = ${p.add(filter.sentiment)}`);
    const days = dayRange(filter);
    // Byte order, as SQLite compares text.
    if (days !== undefined)
      where.push(`r.date COLLATE "C" >= ${p.add(days.from)} AND r.date COLLATE "C" < ${p.add(days.to)}`);
    return where.join(' AND ');
  };

  /**
   * The rows matching `filter` strictly between `bounds`, at most `limit`, newest or oldest first.
   * With words, two walks: the rows review_words holds (an index lookup of the words), and the
   * few rows newer than it, read a page at a time and checked with the index's own rule.
   */
  const select = async <Row extends { id: number }>(
    columns: (p: Params) => string,
    filter: ConsoleFilter,
    limit: number,
    direction: Direction,
    asked: Bounds,
  ): Promise<Row[]> => {
    const bounds = await narrowToDays(filter, { ...asked });
    if (bounds === null || bounds.below - bounds.above <= 1) return [];
    const order = direction === 'newest' ? 'DESC' : 'ASC';
    const from = 'review_db AS r LEFT JOIN predictions AS p ON p.id = r.prediction_id';
    const words = filter.words ?? [];
    if (words.length === 0) {
      const p = new Params();
      return query<Row>(
        `SELECT ${columns(p)} FROM ${from} WHERE ${conditions(filter, bounds, p)} ORDER BY r.id ${order} LIMIT ${p.add(limit)}`,
        p.values,
      );
    }
    const through = await textThrough();
    const indexedBounds = { above: bounds.above, below: Math.min(bounds.below, through + 1) };
    let indexed: Row[] = [];
    if (indexedBounds.below - indexedBounds.above > 1) {
      const p = new Params();
      indexed = await query<Row>(
        `SELECT ${columns(p)} FROM review_words AS w JOIN ${from} ON r.id = w.review_id
         WHERE w.words @@ ${p.add(tsQuery(words))}::tsquery AND ${conditions(filter, indexedBounds, p)}
         ORDER BY r.id ${order} LIMIT ${p.add(limit)}`,
        p.values,
      );
    }
    const recent: Row[] = [];
    const recentBounds = { above: Math.max(bounds.above, through), below: bounds.below };
    while (recent.length < limit && recentBounds.below - recentBounds.above > 1) {
      const p = new Params();
      const rows = await query<Row & { wholeText: string }>(
        `SELECT ${columns(p)}, COALESCE(r.review, '') AS "wholeText" FROM ${from}
         WHERE ${conditions(filter, recentBounds, p)} ORDER BY r.id ${order} LIMIT ${RECENT_PAGE}`,
        p.values,
      );
      for (const { wholeText, ...row } of rows)
        if (reviewHasWords(wholeText, words) && recent.length < limit) recent.push(row as unknown as Row);
      if (rows.length < RECENT_PAGE) break;
      const last = rows[rows.length - 1].id;
      if (direction === 'newest') recentBounds.below = last;
      else recentBounds.above = last;
    }
    return mergeWalks(direction, indexed, recent, limit);
  };

  const periodQuery = (table: 'feedback_hourly' | 'prediction_hourly', by: 'hour' | 'day') => {
    const cells = table === 'feedback_hourly' ? ', verdict, sentiment, correction' : '';
    const filter = table === 'feedback_hourly' ? ' AND n > 0' : '';
    return by === 'hour'
      ? `SELECT hour AS period${cells}, n FROM ${table} WHERE hour >= $1 AND hour < $2${filter} ORDER BY 1${cells}`
      : `SELECT substr(hour, 1, 10) AS period${cells}, SUM(n)::bigint AS n FROM ${table}
         WHERE hour >= $1 AND hour < $2${filter} GROUP BY 1${cells} ORDER BY 1${cells}`;
  };

  return {
    feedbackCounts: ({ fromHour, toHour, by }) =>
      query<FeedbackCount>(periodQuery('feedback_hourly', by), [fromHour, toHour]),
    feedbackTotals: () =>
      query<FeedbackCount>(`SELECT 'all' AS period, verdict, sentiment, correction, SUM(n)::bigint AS n FROM feedback_hourly
        WHERE n > 0 GROUP BY 2, 3, 4 ORDER BY 2, 3, 4`),
    predictionCounts: ({ fromHour, toHour, by }) =>
      query<PeriodCount>(periodQuery('prediction_hourly', by), [fromHour, toHour]),

    async feedbackPage(filter, page) {
      const { direction, bounds, turn } = pageWalk(page);
      const rows = await select<ConsoleRow>(
        (p) => PAGE_COLUMNS(p.add(page.excerptChars)),
        filter,
        page.limit,
        direction,
        bounds,
      );
      return turn ? rows.reverse() : rows;
    },

    async *exportChunks(filter, chunk) {
      // Keyset pages through the id index, not one long cursor: no transaction stays open while
      // the client reads. Rows written meanwhile are left for the next export, as on SQLite.
      const end = (await query<{ m: number }>('SELECT COALESCE(MAX(id), 0) AS m FROM review_db'))[0].m;
      let cursor = 0;
      for (;;) {
        const rows = await select<ExportRow>(() => EXPORT_COLUMNS, filter, chunk, 'oldest', {
          above: cursor,
          below: end + 1,
        });
        if (rows.length === 0) return;
        cursor = rows[rows.length - 1].id;
        yield rows;
        if (rows.length < chunk) return;
      }
    },

    topClients: (order, limit) => {
      const column = Object.hasOwn(CLIENT_ORDER_COLUMNS, order) ? CLIENT_ORDER_COLUMNS[order] : undefined;
      if (column === undefined)
        throw new InvalidInputError(`clients are ordered by rows, held or rejected; got ${String(order)}`);
      return query<ClientSummary>(
        `SELECT ${CLIENT_COLUMNS} FROM client_summary WHERE ${column} > 0 ORDER BY ${column} DESC, client LIMIT $1`,
        [limit],
      );
    },
    client: async (client) =>
      (await query<ClientSummary>(`SELECT ${CLIENT_COLUMNS} FROM client_summary WHERE client = $1`, [client]))[0],
    acceptedCountAfter: async (watermark) =>
      (
        await query<{ n: number }>(`SELECT COUNT(*) AS n FROM review_db WHERE verdict = 'accepted' AND id > $1`, [
          watermark,
        ])
      )[0].n,
    acceptedIdsAfter: async (watermark) =>
      (
        await query<{ id: number }>(`SELECT id FROM review_db WHERE verdict = 'accepted' AND id > $1 ORDER BY id`, [
          watermark,
        ])
      ).map((r) => r.id),
    verdictChangesBetween: async (after, through) =>
      (
        await query<{ count: number; lastReason: string | null }>(
          `SELECT COUNT(*) AS count,
                  (SELECT reason FROM verdict_changes WHERE id > $1 AND id <= $2 ORDER BY id DESC LIMIT 1) AS "lastReason"
           FROM verdict_changes WHERE id > $1 AND id <= $2`,
          [after, through],
        )
      )[0],

    async indexText(maxRows) {
      // Looked at first without a lock: most calls find nothing to do.
      const through = await textThrough();
      const last = (await query<{ m: number }>('SELECT COALESCE(MAX(id), 0) AS m FROM review_db'))[0].m;
      if (last <= through) return { indexed: 0, through };
      // Every instance runs the indexer: the position row's lock makes them take turns.
      return transaction(async (client) => {
        let position = (
          await client.query<{ through: number }>('SELECT through FROM review_words_position WHERE id = 1 FOR UPDATE')
        ).rows[0].through;
        let indexed = 0;
        while (indexed < maxRows) {
          const rows = (
            await client.query<{ id: number; review: string }>(
              `SELECT id, COALESCE(review, '') AS review FROM review_db WHERE id > $1 ORDER BY id LIMIT $2`,
              [position, Math.min(maxRows - indexed, 1000)],
            )
          ).rows;
          if (rows.length === 0) break;
          const written = await client.query(
            `INSERT INTO review_words (review_id, words)
             SELECT id, array_to_tsvector(string_to_array(words, ' ')) FROM unnest($1::bigint[], $2::text[]) AS t (id, words)
             ON CONFLICT (review_id) DO NOTHING`,
            [rows.map((r) => r.id), rows.map((r) => indexedWords(r.review))],
          );
          indexed += written.rowCount ?? 0;
          position = rows[rows.length - 1].id;
        }
        await client.query('UPDATE review_words_position SET through = $1 WHERE id = 1', [position]);
        return { indexed, through: position };
      });
    },

    loginFailuresSince: async (client, since) =>
      (
        await query<{ count: number; oldest: string | null }>(
          'SELECT COUNT(*) AS count, MIN(at) AS oldest FROM admin_login_failures WHERE client = $1 AND at >= $2',
          [client, since],
        )
      )[0],
    async recordLoginFailure(client, at) {
      await query('INSERT INTO admin_login_failures (client, at) VALUES ($1, $2)', [client, at]);
    },
    claimLoginTry: (client, at, since, max) =>
      transaction(async (connection): Promise<LoginTry> => {
        // Without the lock two tries read the same count before either inserts (READ COMMITTED).
        await connection.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOGIN_LOCK, client]);
        const { count, oldest } = (
          await connection.query<{ count: number; oldest: string | null }>(
            'SELECT COUNT(*)::int AS count, MIN(at) AS oldest FROM admin_login_failures WHERE client = $1 AND at >= $2',
            [client, since],
          )
        ).rows[0];
        if (count >= max) return { allowed: false, oldest: oldest! };
        await connection.query('INSERT INTO admin_login_failures (client, at) VALUES ($1, $2)', [client, at]);
        return { allowed: true, failuresBefore: count };
      }),
    async clearLoginFailures(client, before) {
      if (client !== null) await query('DELETE FROM admin_login_failures WHERE client = $1', [client]);
      if (before !== undefined) await query('DELETE FROM admin_login_failures WHERE at < $1', [before]);
    },
    async endSession(session, expiresAt) {
      await query('DELETE FROM admin_signed_out WHERE expires_at < $1', [new Date().toISOString()]);
      await query(
        'INSERT INTO admin_signed_out (session, expires_at) VALUES ($1, $2) ON CONFLICT (session) DO NOTHING',
        [session, expiresAt],
      );
    },
    isSessionEnded: async (session) =>
      (await query('SELECT 1 FROM admin_signed_out WHERE session = $1', [session])).length > 0,
  };
}

/** The model's timeline in PostgreSQL (model_events, step 6). */
export function createPostgresModelEventLog({ query }: Pick<PostgresAccess, 'query'>): ModelEventLog {
  return {
    record: async (event) =>
      (
        await query(
          `INSERT INTO model_events (key, kind, at, model_version, watermark, verdict_changes, check_accuracy, check_size, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO NOTHING RETURNING id`,
          [
            event.key,
            event.kind,
            event.at,
            event.modelVersion,
            event.watermark,
            event.verdictChanges,
            event.checkAccuracy,
            event.checkSize,
            event.detail,
          ],
        )
      ).length === 1,
    has: async (key) => (await query('SELECT 1 FROM model_events WHERE key = $1', [key])).length > 0,
    list: (limit) =>
      query<ModelEvent>(`SELECT ${EVENT_COLUMNS} FROM model_events ORDER BY at DESC, id DESC LIMIT $1`, [limit]),
  };
}
