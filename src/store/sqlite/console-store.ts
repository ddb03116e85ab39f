import type Database from 'better-sqlite3';

import {
  dayRange,
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

/**
 * `review_has_words(review, terms)`: 1 when the review holds every term (a JSON array from
 * {@link searchTerms}); {@link reviewHasWords} in SQL, for rows the full-text index does not hold
 * yet and for walking a small client's rows: an FTS5 lookup of one row by id still reads the
 * word's whole list of rows.
 */
function registerHasWords(db: Database.Database): void {
  let cachedJson = '';
  let cachedTerms: string[] = [];
  db.function('review_has_words', { deterministic: true }, (review: unknown, json: unknown) => {
    if (typeof review !== 'string' || typeof json !== 'string') return 0;
    if (json !== cachedJson) [cachedJson, cachedTerms] = [json, JSON.parse(json) as string[]];
    return reviewHasWords(review, cachedTerms) ? 1 : 0;
  });
}

/** The FTS5 query of search terms: all of them, each a word or (`word*`) the start of one. */
function ftsQuery(terms: readonly string[]): string {
  return terms.map((term) => (term.endsWith('*') ? `"${term.slice(0, -1)}"*` : `"${term}"`)).join(' ');
}

/**
 * A client with at most this many rows is searched by walking its rows and reading each text
 * (~10 µs for 1 KB) rather than walking the words' rows and checking the client.
 */
const CLIENT_DRIVEN_MAX_ROWS = 5_000;

const PAGE_COLUMNS = `r.id, substr(COALESCE(r.review, ''), 1, @excerptChars) AS excerpt, length(COALESCE(r.review, '')) AS length,
  r.sentiment, COALESCE(r.date, '') AS date, r.verdict, r.verdict_reason AS reason, r.client, r.source, r.prediction_id AS predictionId, r.correction,
  p.label AS predicted, p.probability`;
const PAGE_FROM = `review_db AS r LEFT JOIN predictions AS p ON p.id = r.prediction_id`;
const EXPORT_COLUMNS = `r.id, COALESCE(r.review, '') AS review, r.sentiment, COALESCE(r.date, '') AS date, r.verdict, r.client`;

/**
 * The console's queries. Each is a few indexed lookups whatever the log's size: the charts read
 * the hourly summaries, the log pages walk an index in id order and stop after a page, a date
 * range becomes an id range through the summaries, and text goes through the full-text index
 * (rows newer than the index are few, and compared directly).
 */
export function createConsoleStore(db: Database.Database): ConsoleStore {
  registerHasWords(db);
  const CLIENT_COLUMNS = `client, rows, accepted, held, rejected, first_date AS firstDate, last_date AS lastDate`;
  const clientStmt = db.prepare<[string], ClientSummary>(
    `SELECT ${CLIENT_COLUMNS} FROM client_summary WHERE client = ?`,
  );
  const textThrough = db.prepare<[], number>(`SELECT through FROM review_fts_position WHERE id = 1`).pluck();
  const idRangeOfHours = db.prepare<[string, string], { lo: number | null; hi: number | null }>(`
    SELECT MIN(min_id) AS lo, MAX(max_id) AS hi FROM feedback_hourly WHERE hour >= ? AND hour < ? AND n > 0
  `);

  /**
   * The id bounds and SQL conditions of a filter, without the text; null when nothing can match.
   * `walk: 'id'` writes the column tests so that no index serves them (`+r.verdict`): the query
   * then walks ids (or the full-text index) in order and stops after a page, instead of collecting
   * every row of the verdict or the client and sorting them.
   */
  const narrow = (
    filter: ConsoleFilter,
    params: Record<string, unknown>,
    bounds: Bounds,
    walk: 'id' | 'any' = 'any',
  ): string[] | null => {
    const where: string[] = [];
    const col = (name: string) => (walk === 'id' ? `+r.${name}` : `r.${name}`);
    for (const name of ['verdict', 'client', 'sentiment'] as const) {
      if (filter[name] === undefined) continue;
      where.push(`${col(name)} = @${name}`);
      params[name] = filter[name];
    }
    const days = dayRange(filter);
    if (days !== undefined) {
      // Rows are appended as they are dated, so the rows of a day range lie in a narrow id range,
      // which the hourly summaries know. The exact date test below still decides.
      const range = idRangeOfHours.get(days.fromHour, days.toHour)!;
      if (range.lo === null || range.hi === null) return null;
      bounds.above = Math.max(bounds.above, range.lo - 1);
      bounds.below = Math.min(bounds.below, range.hi + 1);
      where.push('r.date >= @fromDate AND r.date < @toDate');
      params.fromDate = days.from;
      params.toDate = days.to;
    }
    return where;
  };

  /**
   * The rows matching `filter` strictly between `bounds`, at most `limit`, newest or oldest first.
   * With words, two queries: the indexed rows, and the few rows newer than the index, whose text
   * is read (review_has_words). The indexed rows are found by walking the full-text index in id order (it stops
   * after `limit`), except for a small client: then its rows are walked and each is looked up in
   * its text is read, which beats walking a common word's every row to find a few of them.
   */
  const select = <Row extends { id: number }>(
    columns: string,
    filter: ConsoleFilter,
    limit: number,
    direction: Direction,
    bounds: Bounds,
    extra: Record<string, unknown> = {},
  ): Row[] => {
    const words = filter.words ?? [];
    const clientDriven =
      filter.client !== undefined && (clientStmt.get(filter.client)?.rows ?? 0) <= CLIENT_DRIVEN_MAX_ROWS;
    const params: Record<string, unknown> = { ...extra, limit };
    const where = narrow(filter, params, bounds, words.length > 0 && !clientDriven ? 'id' : 'any');
    if (where === null || bounds.below - bounds.above <= 1) return [];
    const order = direction === 'newest' ? 'DESC' : 'ASC';
    const inBounds = (column: string, b: Bounds, name: string) => {
      params[`${name}Above`] = b.above;
      params[`${name}Below`] = b.below;
      return `${column} > @${name}Above AND ${column} < @${name}Below`;
    };
    const run = (sql: string): Row[] => db.prepare<[Record<string, unknown>], Row>(sql).all(params);
    if (words.length === 0) {
      return run(`SELECT ${columns} FROM ${PAGE_FROM}
        WHERE ${[inBounds('r.id', bounds, 'id'), ...where].join(' AND ')} ORDER BY r.id ${order} LIMIT @limit`);
    }
    params.match = ftsQuery(words);
    params.words = JSON.stringify(words);
    const through = textThrough.get() ?? 0;
    const indexedBounds = { above: bounds.above, below: Math.min(bounds.below, through + 1) };
    const recentBounds = { above: Math.max(bounds.above, through), below: bounds.below };
    let indexed: Row[] = [];
    if (indexedBounds.below - indexedBounds.above > 1) {
      indexed = clientDriven
        ? run(`SELECT ${columns} FROM review_db AS r INDEXED BY review_db_client_id LEFT JOIN predictions AS p ON p.id = r.prediction_id
            WHERE ${[inBounds('r.id', indexedBounds, 'indexed'), ...where].join(' AND ')}
              AND review_has_words(r.review, @words)
            ORDER BY r.id ${order} LIMIT @limit`)
        : run(`SELECT ${columns}
            FROM review_fts AS f JOIN review_db AS r ON r.id = f.rowid LEFT JOIN predictions AS p ON p.id = r.prediction_id
            WHERE review_fts MATCH @match AND ${[inBounds('f.rowid', indexedBounds, 'indexed'), ...where].join(' AND ')}
            ORDER BY f.rowid ${order} LIMIT @limit`);
    }
    let recent: Row[] = [];
    if (recentBounds.below - recentBounds.above > 1) {
      recent = run(`SELECT ${columns} FROM ${PAGE_FROM}
        WHERE ${[inBounds('r.id', recentBounds, 'recent'), ...where].join(' AND ')} AND review_has_words(r.review, @words)
        ORDER BY r.id ${order} LIMIT @limit`);
    }
    return mergeWalks(direction, indexed, recent, limit);
  };

  const feedbackByHour = db.prepare<[string, string], FeedbackCount>(`
    SELECT hour AS period, verdict, sentiment, correction, n FROM feedback_hourly
    WHERE hour >= ? AND hour < ? AND n > 0 ORDER BY 1, 2, 3, 4
  `);
  const feedbackByDay = db.prepare<[string, string], FeedbackCount>(`
    SELECT substr(hour, 1, 10) AS period, verdict, sentiment, correction, SUM(n) AS n FROM feedback_hourly
    WHERE hour >= ? AND hour < ? AND n > 0 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  `);
  const feedbackTotals = db.prepare<[], FeedbackCount>(`
    SELECT 'all' AS period, verdict, sentiment, correction, SUM(n) AS n FROM feedback_hourly
    WHERE n > 0 GROUP BY 2, 3, 4 ORDER BY 2, 3, 4
  `);
  const predictionsByHour = db.prepare<[string, string], PeriodCount>(`
    SELECT hour AS period, n FROM prediction_hourly WHERE hour >= ? AND hour < ? ORDER BY hour
  `);
  const predictionsByDay = db.prepare<[string, string], PeriodCount>(`
    SELECT substr(hour, 1, 10) AS period, SUM(n) AS n FROM prediction_hourly WHERE hour >= ? AND hour < ? GROUP BY 1 ORDER BY 1
  `);
  const topClients: Record<ClientOrder, Database.Statement<[number], ClientSummary>> = {
    rows: db.prepare(`SELECT ${CLIENT_COLUMNS} FROM client_summary WHERE rows > 0 ORDER BY rows DESC, client LIMIT ?`),
    held: db.prepare(`SELECT ${CLIENT_COLUMNS} FROM client_summary WHERE held > 0 ORDER BY held DESC, client LIMIT ?`),
    rejected: db.prepare(
      `SELECT ${CLIENT_COLUMNS} FROM client_summary WHERE rejected > 0 ORDER BY rejected DESC, client LIMIT ?`,
    ),
  };
  const acceptedCount = db
    .prepare<[number], number>(`SELECT COUNT(*) FROM review_db WHERE verdict = 'accepted' AND id > ?`)
    .pluck();
  const acceptedIds = db
    .prepare<[number], number>(`SELECT id FROM review_db WHERE verdict = 'accepted' AND id > ? ORDER BY id`)
    .pluck();
  const changesBetween = db.prepare<
    [{ after: number; through: number }],
    { count: number; lastReason: string | null }
  >(`
    SELECT COUNT(*) AS count,
           (SELECT reason FROM verdict_changes WHERE id > @after AND id <= @through ORDER BY id DESC LIMIT 1) AS lastReason
    FROM verdict_changes WHERE id > @after AND id <= @through
  `);
  const indexBatch = db.prepare<[number, number]>(`
    INSERT INTO review_fts (rowid, review) SELECT id, COALESCE(review, '') FROM review_db WHERE id > ? ORDER BY id LIMIT ?
  `);
  const lastIdUpTo = db
    .prepare<[number, number], number | null>(
      `
    SELECT MAX(id) FROM (SELECT id FROM review_db WHERE id > ? ORDER BY id LIMIT ?)
  `,
    )
    .pluck();
  const setTextThrough = db.prepare<[number]>(`UPDATE review_fts_position SET through = ? WHERE id = 1`);
  const indexTextTx = db.transaction((maxRows: number) => {
    const through = textThrough.get() ?? 0;
    const last = lastIdUpTo.get(through, maxRows) ?? null;
    if (last === null) return { indexed: 0, through };
    const { changes } = indexBatch.run(through, maxRows);
    setTextThrough.run(last);
    return { indexed: changes, through: last };
  });
  const failuresSince = db.prepare<[string, string], { count: number; oldest: string | null }>(`
    SELECT COUNT(*) AS count, MIN(at) AS oldest FROM admin_login_failures WHERE client = ? AND at >= ?
  `);
  const addFailure = db.prepare<[string, string]>(`INSERT INTO admin_login_failures (client, at) VALUES (?, ?)`);
  const claimTry = db.transaction((client: string, at: string, since: string, max: number): LoginTry => {
    const { count, oldest } = failuresSince.get(client, since)!;
    if (count >= max) return { allowed: false, oldest: oldest! };
    addFailure.run(client, at);
    return { allowed: true, failuresBefore: count };
  });
  const clearClientFailures = db.prepare<[string]>(`DELETE FROM admin_login_failures WHERE client = ?`);
  const clearOldFailures = db.prepare<[string]>(`DELETE FROM admin_login_failures WHERE at < ?`);
  const endSession = db.prepare<[string, string]>(
    `INSERT OR IGNORE INTO admin_signed_out (session, expires_at) VALUES (?, ?)`,
  );
  const forgetExpiredSessions = db.prepare<[string]>(`DELETE FROM admin_signed_out WHERE expires_at < ?`);
  const sessionEnded = db.prepare<[string], number>(`SELECT 1 FROM admin_signed_out WHERE session = ?`).pluck();
  const lastId = db.prepare<[], number>(`SELECT COALESCE(MAX(id), 0) FROM review_db`).pluck();

  return {
    feedbackCounts: ({ fromHour, toHour, by }) =>
      (by === 'hour' ? feedbackByHour : feedbackByDay).all(fromHour, toHour),
    feedbackTotals: () => feedbackTotals.all(),
    predictionCounts: ({ fromHour, toHour, by }) =>
      (by === 'hour' ? predictionsByHour : predictionsByDay).all(fromHour, toHour),

    feedbackPage(filter, page) {
      const { direction, bounds, turn } = pageWalk(page);
      const rows = select<ConsoleRow>(PAGE_COLUMNS, filter, page.limit, direction, bounds, {
        excerptChars: page.excerptChars,
      });
      return turn ? rows.reverse() : rows;
    },

    *exportChunks(filter, chunk) {
      // Rows written while the export runs are left for the next one: it ends where the log ended
      // when it began.
      const end = lastId.get() ?? 0;
      let cursor = 0;
      for (;;) {
        const rows = select<ExportRow>(EXPORT_COLUMNS, filter, chunk, 'oldest', { above: cursor, below: end + 1 });
        if (rows.length === 0) return;
        cursor = rows[rows.length - 1].id;
        yield rows;
        if (rows.length < chunk) return;
      }
    },

    topClients: (order, limit) => topClients[order].all(limit),
    client: (client) => clientStmt.get(client),
    acceptedCountAfter: (watermark) => acceptedCount.get(watermark) ?? 0,
    acceptedIdsAfter: (watermark) => acceptedIds.all(watermark),
    verdictChangesBetween: (after, through) => changesBetween.get({ after, through })!,
    indexText(maxRows) {
      // Looked at first without the write lock: most calls find nothing to do and take no lock.
      const through = textThrough.get() ?? 0;
      if ((lastId.get() ?? 0) <= through) return { indexed: 0, through };
      return indexTextTx.immediate(maxRows);
    },

    loginFailuresSince: (client, since) => failuresSince.get(client, since)!,
    recordLoginFailure: (client, at) => void addFailure.run(client, at),
    // IMMEDIATE: the write lock is taken before the count, so workers on the same file take turns.
    claimLoginTry: (client, at, since, max) => claimTry.immediate(client, at, since, max),
    clearLoginFailures(client, before) {
      if (client !== null) clearClientFailures.run(client);
      if (before !== undefined) clearOldFailures.run(before);
    },
    endSession(session, expiresAt) {
      forgetExpiredSessions.run(new Date().toISOString());
      endSession.run(session, expiresAt);
    },
    isSessionEnded: (session) => sessionEnded.get(session) !== undefined,
  };
}

/** The model's timeline, over model_events. */
export function createModelEventLog(db: Database.Database): ModelEventLog {
  const insert = db.prepare<[Omit<ModelEvent, 'id'>]>(`
    INSERT INTO model_events (key, kind, at, model_version, watermark, verdict_changes, check_accuracy, check_size, detail)
    VALUES (@key, @kind, @at, @modelVersion, @watermark, @verdictChanges, @checkAccuracy, @checkSize, @detail)
    ON CONFLICT (key) DO NOTHING
  `);
  const has = db.prepare<[string], number>(`SELECT 1 FROM model_events WHERE key = ?`).pluck();
  const list = db.prepare<[number], ModelEvent>(`
    SELECT id, key, kind, at, model_version AS modelVersion, watermark, verdict_changes AS verdictChanges,
           check_accuracy AS checkAccuracy, check_size AS checkSize, detail
    FROM model_events ORDER BY at DESC, id DESC LIMIT ?
  `);
  return {
    record: (event) =>
      insert.run({
        key: event.key,
        kind: event.kind,
        at: event.at,
        modelVersion: event.modelVersion,
        watermark: event.watermark,
        verdictChanges: event.verdictChanges,
        checkAccuracy: event.checkAccuracy,
        checkSize: event.checkSize,
        detail: event.detail,
      }).changes === 1,
    has: (key) => has.get(key) !== undefined,
    list: (limit) => list.all(limit),
  };
}
