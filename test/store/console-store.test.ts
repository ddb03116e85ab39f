import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { searchTerms, type ConsoleFilter, type LogStore } from '../../src/store/index.js';
import { logStores, type StoreKind, type TestLog } from '../helpers/log-stores.js';

const kinds = logStores();

const CLIENT_A = 'aaaaaaaaaaaaaaaa';
const CLIENT_B = 'bbbbbbbbbbbbbbbb';

/** A review long enough for the moderation rule, with `extra` words for the text filter to find. */
const text = (k: number, extra = ''): string =>
  `Review number ${k} about a film ${extra} with enough words to be a review.`;

/** A feedback row the way the app writes it: a prediction, then the reader's answer. */
async function answer(
  store: LogStore,
  k: number,
  opts: { predicted: 0 | 1; correct: boolean; date: string; client: string; extra?: string },
): Promise<number> {
  const id = `prediction-${k}`;
  await store.insertPrediction({
    id,
    review: text(k, opts.extra),
    sentiment: opts.predicted,
    probability: 0.8,
    modelVersion: 'v',
    createdAt: opts.date,
  });
  const sentiment = opts.correct ? opts.predicted : opts.predicted === 1 ? 0 : 1;
  const outcome = await store.recordFeedback(id, sentiment, 'feedback', { date: opts.date, client: opts.client });
  if (outcome.status !== 'recorded') throw new Error(outcome.status);
  return outcome.reviewId;
}

/** The hour a date counts in, as migration 6 says (written again here, independently of the SQL). */
function hourOf(date: unknown): string {
  if (typeof date !== 'string') return '';
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}/.test(date)) return `${date.slice(0, 10)}T${date.slice(11, 13)}`;
  return /^\d{4}-\d{2}-\d{2}/.test(date) ? `${date.slice(0, 10)}T00` : '';
}

const byKeys = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify(Object.values(a)).localeCompare(JSON.stringify(Object.values(b)));

/** What the summaries must equal, counted here from review_db's rows. */
async function recount({ sql }: TestLog) {
  const hourly = (await sql(`SELECT hour, verdict, sentiment, correction, n FROM feedback_hourly WHERE n > 0`)).sort(
    byKeys,
  );
  const clients = (await sql(`SELECT client, rows, accepted, held, rejected FROM client_summary WHERE rows > 0`)).sort(
    byKeys,
  );
  const cells = new Map<string, Record<string, unknown>>();
  const perClient = new Map<string, Record<string, number | string>>();
  for (const row of await sql(`SELECT date, verdict, sentiment, correction, client FROM review_db`)) {
    const cell = {
      hour: hourOf(row.date),
      verdict: row.verdict,
      sentiment: row.sentiment === 0 || row.sentiment === 1 ? row.sentiment : -1,
      correction: row.correction ?? -1,
    };
    const key = JSON.stringify(cell);
    cells.set(key, { ...cell, n: ((cells.get(key)?.n as number | undefined) ?? 0) + 1 });
    if (typeof row.client !== 'string') continue;
    const c = perClient.get(row.client) ?? { client: row.client, rows: 0, accepted: 0, held: 0, rejected: 0 };
    (c.rows as number)++;
    (c[row.verdict as string] as number)++;
    perClient.set(row.client, c);
  }
  return {
    hourly,
    truth: [...cells.values()].sort(byKeys),
    clients,
    clientTruth: [...perClient.values()].sort(byKeys),
  };
}

describe.each(kinds)('the console store on $name', (kind: StoreKind) => {
  describe('the console summaries (migration 6 triggers)', () => {
    it('stay equal to counting review_db through inserts, verdict changes, an edited date, a deleted row and an odd one', async () => {
      // Arrange
      const log = await kind.open();
      const { store, sql } = log;
      const ids = [
        await answer(store, 1, { predicted: 1, correct: true, date: '2026-03-01T10:15:00.000Z', client: CLIENT_A }),
        await answer(store, 2, { predicted: 1, correct: false, date: '2026-03-01T10:45:00.000Z', client: CLIENT_A }),
        await answer(store, 3, { predicted: 0, correct: true, date: '2026-03-02T23:59:59.000Z', client: CLIENT_B }),
        await store.insertReview(text(4), 1, 'api', { date: '2026-03-02T08:00:00.000Z', client: null }),
      ];

      // Act: through the store, then as another tool would write (the sqlite3 shell, psql)
      await store.changeVerdicts([ids[1]], 'rejected', 'test');
      await store.changeVerdicts([ids[2]], 'held', 'test');
      await store.changeVerdicts([ids[2]], 'accepted', 'test');
      await sql(`UPDATE review_db SET date = '2026-03-05 07:00:00' WHERE id = ?`, [ids[0]]);
      await sql(`DELETE FROM review_bands WHERE review_id = ?`, [ids[3]]);
      await sql(`DELETE FROM review_db WHERE id = ?`, [ids[3]]);
      await sql(
        `INSERT INTO review_db (review, sentiment, date, source) VALUES ('an odd classic row', 2, NULL, 'classic-import')`,
      );
      await sql(`UPDATE review_db SET client = ? WHERE id = ?`, [CLIENT_B, ids[1]]);

      // Assert
      const { hourly, truth, clients, clientTruth } = await recount(log);
      expect(hourly).toEqual(truth);
      expect(clients).toEqual(clientTruth);
      expect(clients).toEqual([
        { client: CLIENT_A, rows: 1, accepted: 1, held: 0, rejected: 0 },
        { client: CLIENT_B, rows: 2, accepted: 1, held: 0, rejected: 1 },
      ]);
      expect(hourly).toContainEqual({ hour: '', verdict: 'accepted', sentiment: -1, correction: -1, n: 1 });
      expect(hourly).toContainEqual({ hour: '2026-03-05T07', verdict: 'accepted', sentiment: 1, correction: 0, n: 1 });
    });

    it('count by day and hour, with the reader’s answers, and predictions made even after they are deleted', async () => {
      // Arrange
      const { store, sql } = await kind.open();
      await answer(store, 1, { predicted: 1, correct: true, date: '2026-03-01T10:15:00.000Z', client: CLIENT_A });
      await answer(store, 2, { predicted: 1, correct: false, date: '2026-03-01T11:45:00.000Z', client: CLIENT_A });
      await answer(store, 3, { predicted: 0, correct: true, date: '2026-03-02T09:00:00.000Z', client: CLIENT_B });
      await store.insertPrediction({
        id: 'unanswered',
        review: 'x',
        sentiment: 1,
        probability: 0.7,
        modelVersion: 'v',
        createdAt: '2026-03-02T09:30:00.000Z',
      });
      await sql(`DELETE FROM predictions WHERE id = 'unanswered'`);

      // Act
      const byDay = await store.console.feedbackCounts({
        fromHour: '2026-03-01T00',
        toHour: '2026-03-03T00',
        by: 'day',
      });
      const byHour = await store.console.feedbackCounts({
        fromHour: '2026-03-01T11',
        toHour: '2026-03-01T12',
        by: 'hour',
      });
      const predictions = await store.console.predictionCounts({
        fromHour: '2026-03-01T00',
        toHour: '2026-03-03T00',
        by: 'day',
      });
      const totals = await store.console.feedbackTotals();

      // Assert
      expect(byDay).toEqual([
        { period: '2026-03-01', verdict: 'accepted', sentiment: 0, correction: 1, n: 1 },
        { period: '2026-03-01', verdict: 'accepted', sentiment: 1, correction: 0, n: 1 },
        { period: '2026-03-02', verdict: 'accepted', sentiment: 0, correction: 0, n: 1 },
      ]);
      expect(byHour).toEqual([{ period: '2026-03-01T11', verdict: 'accepted', sentiment: 0, correction: 1, n: 1 }]);
      expect(predictions).toEqual([
        { period: '2026-03-01', n: 2 },
        { period: '2026-03-02', n: 2 },
      ]);
      expect(totals).toEqual([
        { period: 'all', verdict: 'accepted', sentiment: 0, correction: 0, n: 1 },
        { period: 'all', verdict: 'accepted', sentiment: 0, correction: 1, n: 1 },
        { period: 'all', verdict: 'accepted', sentiment: 1, correction: 0, n: 1 },
      ]);
    });
  });

  describe('migration 6 on a log written before it', () => {
    it('counts the rows already there, and their words are found', async () => {
      // Arrange: a database at the schema before the console, with three rows.
      const old = await kind.beforeConsole();
      const rows: [string, number, string, string, string][] = [
        ['A luminous performance in a quiet film', 1, '2026-02-01T10:00:00.000Z', 'accepted', CLIENT_A],
        ['Dreadful pacing and a silly ending', 0, '2026-02-01T12:00:00.000Z', 'held', CLIENT_A],
        ['Luminously shot but hollow', 0, '2026-02-02T09:00:00.000Z', 'rejected', CLIENT_B],
      ];
      for (const row of rows)
        await old.sql(
          `INSERT INTO review_db (review, sentiment, date, source, verdict, client) VALUES (?, ?, ?, 'api', ?, ?)`,
          row,
        );

      // Act
      const log = await old.open();

      // Assert
      const { hourly, truth, clients, clientTruth } = await recount(log);
      expect(hourly).toEqual(truth);
      expect(clients).toEqual(clientTruth);
      const found = async (words: string[]) =>
        (await log.store.console.feedbackPage({ words }, { limit: 10, excerptChars: 100 })).map((row) => row.id);
      expect(await found(['luminous*'])).toEqual([3, 1]);
      expect(await found(['luminous'])).toEqual([1]);
      // SQLite's migration indexes the texts there; PostgreSQL's leaves them to the first batch
      // (their words are computed in JavaScript), and they are found meanwhile all the same.
      expect(await log.store.console.indexText(100)).toEqual({ indexed: kind.name === 'SQLite' ? 0 : 3, through: 3 });
      expect(await found(['luminous*'])).toEqual([3, 1]);
    });
  });

  describe('ConsoleStore.feedbackPage', () => {
    /** Eight rows over three days, two clients, both labels, every verdict. */
    async function withRows() {
      const { store } = await kind.open();
      const days = [
        '2026-04-01',
        '2026-04-01',
        '2026-04-02',
        '2026-04-02',
        '2026-04-02',
        '2026-04-03',
        '2026-04-03',
        '2026-04-03',
      ];
      const ids: number[] = [];
      for (const [k, day] of days.entries()) {
        ids.push(
          await answer(store, k, {
            predicted: (k % 2) as 0 | 1,
            correct: k % 3 !== 0,
            date: `${day}T${String(10 + k).padStart(2, '0')}:00:00.000Z`,
            client: k < 5 ? CLIENT_A : CLIENT_B,
            extra: k === 2 ? 'a Café scene' : k === 6 ? 'the cafeteria' : '',
          }),
        );
      }
      await store.changeVerdicts([ids[1], ids[6]], 'rejected', 'test');
      await store.changeVerdicts([ids[3]], 'held', 'test');
      return { store, ids };
    }
    const page = async (
      store: LogStore,
      filter: ConsoleFilter,
      p: { before?: number; after?: number; limit?: number } = {},
    ) =>
      (await store.console.feedbackPage(filter, { limit: p.limit ?? 50, excerptChars: 30, ...p })).map((row) => row.id);

    it('lists the log newest first with the prediction, its probability and the reader’s answer', async () => {
      const { store, ids } = await withRows();

      const rows = await store.console.feedbackPage({}, { limit: 2, excerptChars: 12 });

      expect(rows).toEqual([
        expect.objectContaining({
          id: ids[7],
          excerpt: 'Review numbe',
          predicted: 1,
          probability: 0.8,
          correction: 0,
          verdict: 'accepted',
          client: CLIENT_B,
        }),
        expect.objectContaining({
          id: ids[6],
          predicted: 0,
          correction: 1,
          sentiment: 1,
          verdict: 'rejected',
          reason: 'test',
        }),
      ]);
      expect(rows[0].length).toBe(text(7).length);
    });

    it.each<[string, ConsoleFilter, number[]]>([
      ['verdict', { verdict: 'rejected' }, [6, 1]],
      ['client', { client: CLIENT_B }, [7, 6, 5]],
      ['label', { sentiment: 0 }, [4, 3, 2]],
      ['one day', { fromDay: '2026-04-02', toDay: '2026-04-02' }, [4, 3, 2]],
      ['from a day on', { fromDay: '2026-04-03' }, [7, 6, 5]],
      ['up to a day', { toDay: '2026-04-01' }, [1, 0]],
      ['a day with no rows', { fromDay: '2026-05-01', toDay: '2026-05-09' }, []],
      // The last day there is: the day after it would be written +010000-01-01, before every date.
      ['up to 9999-12-31', { toDay: '9999-12-31' }, [7, 6, 5, 4, 3, 2, 1, 0]],
      ['a word, ignoring case and accents', { words: ['cafe'] }, [2]],
      ['the start of a word', { words: ['cafe*'] }, [6, 2]],
      ['three word starts', { words: ['caf*', 'num*', 'wor*'] }, [6, 2]],
      ['two words', { words: ['cafe', 'scene'] }, [2]],
      [
        'everything at once',
        {
          verdict: 'accepted',
          client: CLIENT_A,
          sentiment: 0,
          fromDay: '2026-04-01',
          toDay: '2026-04-02',
          words: ['review'],
        },
        [4, 2],
      ],
    ])('filters by %s', async (_name, filter, expected) => {
      const { store, ids } = await withRows();
      // The full-text index holds the first five rows; the rest are newer than it, as between two runs of the indexer.
      await store.console.indexText(5);

      expect(await page(store, filter)).toEqual(expected.map((k) => ids[k]));
    });

    it('pages older with `before` and newer with `after`, text filter included', async () => {
      const { store, ids } = await withRows();
      await store.console.indexText(4);

      expect(await page(store, {}, { limit: 3 })).toEqual([ids[7], ids[6], ids[5]]);
      expect(await page(store, {}, { limit: 3, before: ids[5] })).toEqual([ids[4], ids[3], ids[2]]);
      expect(await page(store, {}, { limit: 3, after: ids[2] })).toEqual([ids[5], ids[4], ids[3]]);
      expect(await page(store, { words: ['review'] }, { limit: 3, before: ids[5] })).toEqual([ids[4], ids[3], ids[2]]);
      expect(await page(store, { words: ['review'] }, { limit: 3, after: ids[1] })).toEqual([ids[4], ids[3], ids[2]]);
    });
  });

  describe('ConsoleStore.exportChunks', () => {
    it('hands out every matching row once, oldest first, in chunks, and lets the store write between them', async () => {
      // Arrange
      const { store } = await kind.open();
      const ids: number[] = [];
      for (let k = 0; k < 7; k++)
        ids.push(await store.insertReview(text(k), (k % 2) as 0 | 1, 'api', { date: '2026-04-01T10:00:00.000Z' }));
      await store.console.indexText(3);

      // Act
      const chunks: number[][] = [];
      const added: number[] = [];
      for await (const rows of store.console.exportChunks({}, 3)) {
        chunks.push(rows.map((row) => row.id));
        added.push(await store.insertReview(text(100 + chunks.length), 1, 'api')); // a reader's feedback while the export waits for the socket
      }
      const positives = [];
      for await (const rows of store.console.exportChunks({ sentiment: 1, words: ['review'] }, 2))
        positives.push(...rows);

      // Assert: the rows written during the first export are not in it, and are in the next
      expect(chunks).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
      expect(positives.map((row) => row.id)).toEqual([ids[1], ids[3], ids[5], ...added]);
      expect(positives[0]).toEqual({
        id: ids[1],
        review: text(1),
        sentiment: 1,
        date: '2026-04-01T10:00:00.000Z',
        verdict: 'accepted',
        client: null,
      });
    });
  });

  describe('ConsoleStore.indexText', () => {
    it('indexes new rows in batches, once each', async () => {
      const { store } = await kind.open();
      for (let k = 0; k < 5; k++) await store.insertReview(text(k, 'zebra'), 1, 'api');

      expect(await store.console.indexText(2)).toEqual({ indexed: 2, through: 2 });
      expect(await store.console.indexText(10)).toEqual({ indexed: 3, through: 5 });
      expect(await store.console.indexText(10)).toEqual({ indexed: 0, through: 5 });
      expect(await store.console.feedbackPage({ words: ['zebra'] }, { limit: 10, excerptChars: 5 })).toHaveLength(5);
    });
  });

  describe('ConsoleStore clients and rollback counts', () => {
    it('ranks clients by rows, held or rejected, and counts what a rollback would reject', async () => {
      const { store } = await kind.open();
      const a: number[] = [];
      for (const k of [0, 1, 2]) a.push(await store.insertReview(text(k), 1, 'api', { client: CLIENT_A }));
      const b: number[] = [];
      for (const k of [3, 4]) b.push(await store.insertReview(text(k), 1, 'api', { client: CLIENT_B }));
      await store.changeVerdicts([b[0], b[1]], 'held', 'test');
      await store.changeVerdicts([a[0]], 'rejected', 'test');

      expect((await store.console.topClients('rows', 10)).map((c) => [c.client, c.rows])).toEqual([
        [CLIENT_A, 3],
        [CLIENT_B, 2],
      ]);
      expect((await store.console.topClients('held', 10)).map((c) => c.client)).toEqual([CLIENT_B]);
      expect(await store.console.client(CLIENT_A)).toMatchObject({ rows: 3, accepted: 2, held: 0, rejected: 1 });
      expect(await store.console.client('cccccccccccccccc')).toBeUndefined();
      expect(await store.console.acceptedCountAfter(1)).toBe(2);
      expect(await store.console.acceptedIdsAfter(1)).toEqual([a[1], a[2]]);
      expect(await store.console.verdictChangesBetween(0, 3)).toEqual({ count: 3, lastReason: 'test' });
    });
  });

  describe('ConsoleStore login failures, sessions and the model timeline', () => {
    it('counts failures per client since a time and forgets them', async () => {
      const { store } = await kind.open();
      await store.console.recordLoginFailure(CLIENT_A, '2026-04-01T10:00:00.000Z');
      await store.console.recordLoginFailure(CLIENT_A, '2026-04-01T10:05:00.000Z');
      await store.console.recordLoginFailure(CLIENT_B, '2026-04-01T10:06:00.000Z');

      expect(await store.console.loginFailuresSince(CLIENT_A, '2026-04-01T10:01:00.000Z')).toEqual({
        count: 1,
        oldest: '2026-04-01T10:05:00.000Z',
      });
      await store.console.clearLoginFailures(CLIENT_A);
      expect(await store.console.loginFailuresSince(CLIENT_A, '2000-01-01')).toEqual({ count: 0, oldest: null });
      await store.console.clearLoginFailures(null, '2026-04-01T10:07:00.000Z');
      expect((await store.console.loginFailuresSince(CLIENT_B, '2000-01-01')).count).toBe(0);
    });

    it('remembers a signed-out session until it would have expired', async () => {
      const { store } = await kind.open();
      await store.console.endSession('old-session', '2000-01-01T00:00:00.000Z');
      await store.console.endSession('session-a', '2999-01-01T00:00:00.000Z');
      await store.console.endSession('session-a', '2999-01-01T00:00:00.000Z');

      expect(await store.console.isSessionEnded('session-a')).toBe(true);
      expect(await store.console.isSessionEnded('session-b')).toBe(false);
      // Forgotten once expired (when the next one ends): the cookie is refused by its expiry then.
      await store.console.endSession('session-c', '2999-01-01T00:00:00.000Z');
      expect(await store.console.isSessionEnded('old-session')).toBe(false);
    });

    it('records each event once by its key and lists the newest first', async () => {
      const { store } = await kind.open();
      const event = {
        key: 'file:abc',
        kind: 'update' as const,
        at: '2026-04-01T10:00:00.000Z',
        modelVersion: 'abc+5.0',
        watermark: 5,
        verdictChanges: 0,
        checkAccuracy: 0.9,
        checkSize: 40,
        detail: 'folded 5',
      };

      expect(await store.modelEvents.record(event)).toBe(true);
      expect(await store.modelEvents.record({ ...event, at: '2026-04-01T10:00:01.000Z' })).toBe(false);
      expect(
        await store.modelEvents.record({ ...event, key: 'rebuild:3', kind: 'rebuild', at: '2026-04-02T10:00:00.000Z' }),
      ).toBe(true);

      expect(await store.modelEvents.has('file:abc')).toBe(true);
      expect(await store.modelEvents.has('file:other')).toBe(false);
      expect((await store.modelEvents.list(10)).map((e) => e.key)).toEqual(['rebuild:3', 'file:abc']);
      expect((await store.modelEvents.list(10))[1]).toEqual({ id: 1, ...event });
    });
  });
});

/** The filters whose log pages must walk an index in id order, whatever the log's size. */
const PLANNED_FILTERS: [string, ConsoleFilter][] = [
  ['no filter', {}],
  ['verdict', { verdict: 'held' }],
  ['client', { client: CLIENT_A }],
  ['client and verdict', { client: CLIENT_A, verdict: 'held' }],
  ['label', { sentiment: 1 }],
  ['dates', { fromDay: '2026-04-01', toDay: '2026-04-02' }],
  ['dates and verdict', { fromDay: '2026-04-01', toDay: '2026-04-02', verdict: 'accepted' }],
  ['words', { words: ['film'] }],
  ['the start of a word', { words: ['fil*'] }],
  ['words and client', { words: ['film'], client: CLIENT_B }],
];

/** A small log for the plan tests: eight rows over two days, two clients, a third of them indexed. */
async function plannedLog(kind: StoreKind): Promise<TestLog> {
  const log = await kind.open();
  for (let k = 0; k < 8; k++) {
    await answer(log.store, k, {
      predicted: (k % 2) as 0 | 1,
      correct: true,
      date: `2026-04-0${1 + (k % 2)}T10:00:00.000Z`,
      client: k < 4 ? CLIENT_A : CLIENT_B,
    });
  }
  await log.store.console.indexText(3);
  return log;
}

describe('log pages on SQLite', () => {
  it.each(PLANNED_FILTERS)('walk an index in id order with %s, never sorting the log', async (_name, filter) => {
    // Arrange: capture the plan of every statement the page runs.
    const { store, sql } = await plannedLog(kinds[0]);
    const file = ((await sql('PRAGMA database_list')) as { file: string }[])[0].file;
    const db = new Database(file, { readonly: true });
    db.function('review_has_words', (_review: unknown, _terms: unknown) => 1);
    const plans: string[] = [];
    const original = Database.prototype.prepare;
    Database.prototype.prepare = function (this: Database.Database, text: string) {
      if (text.includes('LIMIT @limit'))
        plans.push(
          original
            .call(db, `EXPLAIN QUERY PLAN ${text}`)
            .all(sqlitePlanParams(text))
            .map((r) => (r as { detail: string }).detail)
            .join(' | '),
        );
      return original.call(this, text);
    } as typeof original;
    try {
      await store.console.feedbackPage(filter, { limit: 50, excerptChars: 30 });
    } finally {
      Database.prototype.prepare = original;
      db.close();
    }

    // Assert
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) {
      expect(plan, plan).not.toMatch(/TEMP B-TREE/);
      expect(plan, plan).not.toMatch(/SCAN r\b/);
    }
  });
});

/** Placeholder values for EXPLAIN: only the parameters a statement names. */
function sqlitePlanParams(text: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [, name] of text.matchAll(/@(\w+)/g))
    params[name] = name === 'match' ? '"film"*' : name.startsWith('word') ? '%film%' : 1;
  return params;
}

describe('log pages on PostgreSQL', () => {
  it('can walk an index in id order with every filter: no sequential scan of review_db, no sort', async () => {
    // Arrange: one log for every filter (a database each would be most of the test's time).
    const { store, url } = await plannedLog(kinds[1]);
    const sent: { filter: string; text: string; values: unknown[] }[] = [];
    let asking = '';
    const original = pg.Pool.prototype.query;
    pg.Pool.prototype.query = function (this: pg.Pool, ...args: unknown[]) {
      if (typeof args[0] === 'string' && args[0].includes('ORDER BY r.id'))
        sent.push({ filter: asking, text: args[0], values: (args[1] as unknown[]) ?? [] });
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      for (const [name, filter] of PLANNED_FILTERS) {
        asking = name;
        await store.console.feedbackPage(filter, { limit: 50, excerptChars: 30 });
      }
    } finally {
      pg.Pool.prototype.query = original;
    }

    // Act: a log of eight rows is read fastest by a sequential scan, so the plans are asked for
    // with scans and sorts priced out of reach: what is left shows that an index gives the rows
    // in id order, as a large log needs.
    const plans: { filter: string; plan: string }[] = [];
    for (const { filter, text, values } of sent) plans.push({ filter, plan: await explain(url!, text, values) });

    // Assert
    expect(new Set(plans.map((p) => p.filter))).toEqual(new Set(PLANNED_FILTERS.map(([name]) => name)));
    for (const { filter, plan } of plans) {
      expect(plan, `${filter}: ${plan}`).not.toMatch(/Seq Scan on review_db/);
      expect(plan, `${filter}: ${plan}`).not.toMatch(/\bSort\b/);
    }
  });
});

/** PostgreSQL's plan of a statement with its values, with sequential scans and sorts disabled. */
async function explain(url: string, text: string, values: unknown[]): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET enable_seqscan = off');
    await client.query('SET enable_sort = off');
    const rows = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)).rows;
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

describe('searchTerms', () => {
  it.each([
    ['Café  FILM', ['cafe', 'film']],
    ['film* noir', ['film*', 'noir']],
    ['naïve', ['naive']],
    ['na\u0308ive', ['naive']],
    ["don't", ['don', 't']],
    ['!!! *', []],
  ])('reads %j as %j', (text, terms) => {
    expect(searchTerms(text)).toEqual(terms);
  });
});
