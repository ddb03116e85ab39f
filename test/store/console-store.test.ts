import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MIGRATIONS, openStore, searchTerms, type ConsoleFilter, type Store } from '../../src/store/index.js';
import { registerReviewHash } from '../../src/store/migrations/003-review-hash.js';

let dir: string;
let stores: Store[] = [];
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-console-store-'));
});
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(file = path.join(dir, 'reviews.sqlite')): Store {
  const store = openStore(file);
  stores.push(store);
  return store;
}

const CLIENT_A = 'aaaaaaaaaaaaaaaa';
const CLIENT_B = 'bbbbbbbbbbbbbbbb';

/** A review long enough for the moderation rule, with `extra` words for the text filter to find. */
const text = (k: number, extra = ''): string => `Review number ${k} about a film ${extra} with enough words to be a review.`;

/** A feedback row the way the app writes it: a prediction, then the reader's answer. */
function answer(store: Store, k: number, opts: { predicted: 0 | 1; correct: boolean; date: string; client: string; extra?: string }): number {
  const id = `prediction-${k}`;
  store.insertPrediction({ id, review: text(k, opts.extra), sentiment: opts.predicted, probability: 0.8, modelVersion: 'v', createdAt: opts.date });
  const sentiment = opts.correct ? opts.predicted : opts.predicted === 1 ? 0 : 1;
  const outcome = store.recordFeedback(id, sentiment, 'feedback', { date: opts.date, client: opts.client });
  if (outcome.status !== 'recorded') throw new Error(outcome.status);
  return outcome.reviewId;
}

/** What the summaries must equal, counted from review_db itself. */
function recount(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const hourly = db
      .prepare(
        `SELECT hour, verdict, sentiment, correction, n FROM feedback_hourly WHERE n > 0 ORDER BY 1, 2, 3, 4`,
      )
      .all();
    const truth = db
      .prepare(
        `SELECT CASE WHEN date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]*' THEN substr(date, 1, 10) || 'T' || substr(date, 12, 2)
                     WHEN date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(date, 1, 10) || 'T00' ELSE '' END AS hour,
                verdict, CASE WHEN sentiment IN (0, 1) THEN sentiment ELSE -1 END AS sentiment, COALESCE(correction, -1) AS correction, COUNT(*) AS n
         FROM review_db GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      )
      .all();
    const clients = db.prepare(`SELECT client, rows, accepted, held, rejected FROM client_summary WHERE rows > 0 ORDER BY client`).all();
    const clientTruth = db
      .prepare(
        `SELECT client, COUNT(*) AS rows, SUM(verdict = 'accepted') AS accepted, SUM(verdict = 'held') AS held, SUM(verdict = 'rejected') AS rejected
         FROM review_db WHERE client IS NOT NULL GROUP BY client ORDER BY client`,
      )
      .all();
    return { hourly, truth, clients, clientTruth };
  } finally {
    db.close();
  }
}

describe('the console summaries (migration 6 triggers)', () => {
  it('stay equal to counting review_db through inserts, verdict changes, an edited date and a deleted row', () => {
    // Arrange
    const file = path.join(dir, 'reviews.sqlite');
    const store = open(file);
    const ids = [
      answer(store, 1, { predicted: 1, correct: true, date: '2026-03-01T10:15:00.000Z', client: CLIENT_A }),
      answer(store, 2, { predicted: 1, correct: false, date: '2026-03-01T10:45:00.000Z', client: CLIENT_A }),
      answer(store, 3, { predicted: 0, correct: true, date: '2026-03-02T23:59:59.000Z', client: CLIENT_B }),
      store.insertReview(text(4), 1, 'api', { date: '2026-03-02T08:00:00.000Z', client: null }),
    ];

    // Act
    store.changeVerdicts([ids[1]!], 'rejected', 'test');
    store.changeVerdicts([ids[2]!], 'held', 'test');
    store.changeVerdicts([ids[2]!], 'accepted', 'test');
    const raw = new Database(file);
    raw.prepare(`UPDATE review_db SET date = '2026-03-05 07:00:00' WHERE id = ?`).run(ids[0]);
    raw.prepare(`DELETE FROM review_bands WHERE review_id = ?`).run(ids[3]);
    raw.prepare(`DELETE FROM review_db WHERE id = ?`).run(ids[3]);
    raw.prepare(`INSERT INTO review_db (review, sentiment, date, source) VALUES ('an odd classic row', 'maybe', NULL, 'classic-import')`).run();
    raw.close();

    // Assert
    const { hourly, truth, clients, clientTruth } = recount(file);
    expect(hourly).toEqual(truth);
    expect(clients).toEqual(clientTruth);
    expect(clients).toEqual([
      { client: CLIENT_A, rows: 2, accepted: 1, held: 0, rejected: 1 },
      { client: CLIENT_B, rows: 1, accepted: 1, held: 0, rejected: 0 },
    ]);
  });

  it('count by day and hour, with the reader’s answers, and predictions made even after they are deleted', () => {
    // Arrange
    const file = path.join(dir, 'reviews.sqlite');
    const store = open(file);
    answer(store, 1, { predicted: 1, correct: true, date: '2026-03-01T10:15:00.000Z', client: CLIENT_A });
    answer(store, 2, { predicted: 1, correct: false, date: '2026-03-01T11:45:00.000Z', client: CLIENT_A });
    answer(store, 3, { predicted: 0, correct: true, date: '2026-03-02T09:00:00.000Z', client: CLIENT_B });
    store.insertPrediction({ id: 'unanswered', review: 'x', sentiment: 1, probability: 0.7, modelVersion: 'v', createdAt: '2026-03-02T09:30:00.000Z' });
    const raw = new Database(file);
    raw.prepare(`DELETE FROM predictions WHERE id = 'unanswered'`).run();
    raw.close();

    // Act
    const byDay = store.console.feedbackCounts({ fromHour: '2026-03-01T00', toHour: '2026-03-03T00', by: 'day' });
    const byHour = store.console.feedbackCounts({ fromHour: '2026-03-01T11', toHour: '2026-03-01T12', by: 'hour' });
    const predictions = store.console.predictionCounts({ fromHour: '2026-03-01T00', toHour: '2026-03-03T00', by: 'day' });

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
    expect(store.console.feedbackTotals().reduce((sum, cell) => sum + cell.n, 0)).toBe(3);
  });
});

describe('migration 6 on a log written before it', () => {
  it('counts the rows already there and indexes their text', () => {
    // Arrange: a version-4 database with three rows.
    const file = path.join(dir, 'old.sqlite');
    const db = new Database(file);
    registerReviewHash(db);
    for (const migration of MIGRATIONS.filter((m) => m.version <= 4)) migration.up(db);
    db.pragma('user_version = 4');
    const insert = db.prepare(`INSERT INTO review_db (review, sentiment, date, source, verdict, client) VALUES (?, ?, ?, 'api', ?, ?)`);
    insert.run('A luminous performance in a quiet film', 1, '2026-02-01T10:00:00.000Z', 'accepted', CLIENT_A);
    insert.run('Dreadful pacing and a silly ending', 0, '2026-02-01T12:00:00.000Z', 'held', CLIENT_A);
    insert.run('Luminously shot but hollow', 0, '2026-02-02T09:00:00.000Z', 'rejected', CLIENT_B);
    db.close();

    // Act
    const store = open(file);

    // Assert
    const { hourly, truth, clients, clientTruth } = recount(file);
    expect(hourly).toEqual(truth);
    expect(clients).toEqual(clientTruth);
    const found = store.console.feedbackPage({ words: ['luminous*'] }, { limit: 10, excerptChars: 100 });
    expect(found.map((row) => row.id)).toEqual([3, 1]);
    expect(store.console.feedbackPage({ words: ['luminous'] }, { limit: 10, excerptChars: 100 }).map((row) => row.id)).toEqual([1]);
    expect(store.console.indexText(100)).toEqual({ indexed: 0, through: 3 });
  });
});

describe('ConsoleStore.feedbackPage', () => {
  /** Eight rows over three days, two clients, both labels, every verdict. */
  function withRows() {
    const store = open();
    const days = ['2026-04-01', '2026-04-01', '2026-04-02', '2026-04-02', '2026-04-02', '2026-04-03', '2026-04-03', '2026-04-03'];
    const ids = days.map((day, k) =>
      answer(store, k, {
        predicted: (k % 2) as 0 | 1,
        correct: k % 3 !== 0,
        date: `${day}T${String(10 + k).padStart(2, '0')}:00:00.000Z`,
        client: k < 5 ? CLIENT_A : CLIENT_B,
        extra: k === 2 ? 'a Café scene' : k === 6 ? 'the cafeteria' : '',
      }),
    );
    store.changeVerdicts([ids[1]!, ids[6]!], 'rejected', 'test');
    store.changeVerdicts([ids[3]!], 'held', 'test');
    return { store, ids };
  }
  const page = (store: Store, filter: ConsoleFilter, p: { before?: number; after?: number; limit?: number } = {}) =>
    store.console.feedbackPage(filter, { limit: p.limit ?? 50, excerptChars: 30, ...p }).map((row) => row.id);

  it('lists the log newest first with the prediction, its probability and the reader’s answer', () => {
    const { store, ids } = withRows();

    const rows = store.console.feedbackPage({}, { limit: 2, excerptChars: 12 });

    expect(rows).toEqual([
      expect.objectContaining({ id: ids[7], excerpt: 'Review numbe', predicted: 1, probability: 0.8, correction: 0, verdict: 'accepted', client: CLIENT_B }),
      expect.objectContaining({ id: ids[6], predicted: 0, correction: 1, sentiment: 1, verdict: 'rejected', reason: 'test' }),
    ]);
    expect(rows[0]!.length).toBe(text(7).length);
  });

  it.each<[string, ConsoleFilter, number[]]>([
    ['verdict', { verdict: 'rejected' }, [6, 1]],
    ['client', { client: CLIENT_B }, [7, 6, 5]],
    ['label', { sentiment: 0 }, [4, 3, 2]],
    ['one day', { fromDay: '2026-04-02', toDay: '2026-04-02' }, [4, 3, 2]],
    ['from a day on', { fromDay: '2026-04-03' }, [7, 6, 5]],
    ['up to a day', { toDay: '2026-04-01' }, [1, 0]],
    ['a day with no rows', { fromDay: '2026-05-01', toDay: '2026-05-09' }, []],
    ['a word, ignoring case and accents', { words: ['cafe'] }, [2]],
    ['the start of a word', { words: ['cafe*'] }, [6, 2]],
    ['two words', { words: ['cafe', 'scene'] }, [2]],
    ['everything at once', { verdict: 'accepted', client: CLIENT_A, sentiment: 0, fromDay: '2026-04-01', toDay: '2026-04-02', words: ['review'] }, [4, 2]],
  ])('filters by %s', (_name, filter, expected) => {
    const { store, ids } = withRows();
    // The full-text index holds the first five rows; the rest are newer than it, as between two runs of the indexer.
    store.console.indexText(5);

    expect(page(store, filter)).toEqual(expected.map((k) => ids[k]));
  });

  it('pages older with `before` and newer with `after`, text filter included', () => {
    const { store, ids } = withRows();
    store.console.indexText(4);

    expect(page(store, {}, { limit: 3 })).toEqual([ids[7], ids[6], ids[5]]);
    expect(page(store, {}, { limit: 3, before: ids[5] })).toEqual([ids[4], ids[3], ids[2]]);
    expect(page(store, {}, { limit: 3, after: ids[2] })).toEqual([ids[5], ids[4], ids[3]]);
    expect(page(store, { words: ['review'] }, { limit: 3, before: ids[5] })).toEqual([ids[4], ids[3], ids[2]]);
    expect(page(store, { words: ['review'] }, { limit: 3, after: ids[1] })).toEqual([ids[4], ids[3], ids[2]]);
  });

  it.each<[string, ConsoleFilter]>([
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
  ])('walks an index in id order with %s, never sorting the log', (_name, filter) => {
    // Arrange: capture every statement the page runs.
    const file = path.join(dir, 'reviews.sqlite');
    const { store } = withRows();
    store.console.indexText(3);
    const db = new Database(file, { readonly: true });
    db.function('review_has_words', (_review: unknown, _terms: unknown) => 1);
    const plans: string[] = [];
    const traced = openStore(file);
    stores.push(traced);
    const original = Database.prototype.prepare;
    Database.prototype.prepare = function (this: Database.Database, sql: string) {
      if (sql.includes('LIMIT @limit')) plans.push(original.call(db, `EXPLAIN QUERY PLAN ${sql}`).all(planParams(sql)).map((r) => (r as { detail: string }).detail).join(' | '));
      return original.call(this, sql);
    } as typeof original;
    try {
      traced.console.feedbackPage(filter, { limit: 50, excerptChars: 30 });
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
function planParams(sql: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [, name] of sql.matchAll(/@(\w+)/g)) params[name!] = name === 'match' ? '"film"*' : name!.startsWith('word') ? '%film%' : 1;
  return params;
}

describe('ConsoleStore.exportChunks', () => {
  it('hands out every matching row once, oldest first, in chunks, and lets the store write between them', () => {
    // Arrange
    const store = open();
    const ids = Array.from({ length: 7 }, (_, k) => store.insertReview(text(k), (k % 2) as 0 | 1, 'api', { date: '2026-04-01T10:00:00.000Z' }));
    store.console.indexText(3);

    // Act
    const chunks: number[][] = [];
    const added: number[] = [];
    for (const rows of store.console.exportChunks({}, 3)) {
      chunks.push(rows.map((row) => row.id));
      added.push(store.insertReview(text(100 + chunks.length), 1, 'api')); // a reader's feedback while the export waits for the socket
    }
    const positives = [...store.console.exportChunks({ sentiment: 1, words: ['review'] }, 2)].flat();

    // Assert: the rows written during the first export are not in it, and are in the next
    expect(chunks).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
    expect(positives.map((row) => row.id)).toEqual([ids[1], ids[3], ids[5], ...added]);
    expect(positives[0]).toEqual({ id: ids[1], review: text(1), sentiment: 1, date: '2026-04-01T10:00:00.000Z', verdict: 'accepted', client: null });
  });
});

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

describe('ConsoleStore.indexText', () => {
  it('indexes new rows in batches, once each', () => {
    const store = open();
    for (let k = 0; k < 5; k++) store.insertReview(text(k, 'zebra'), 1, 'api');

    expect(store.console.indexText(2)).toEqual({ indexed: 2, through: 2 });
    expect(store.console.indexText(10)).toEqual({ indexed: 3, through: 5 });
    expect(store.console.indexText(10)).toEqual({ indexed: 0, through: 5 });
    expect(store.console.feedbackPage({ words: ['zebra'] }, { limit: 10, excerptChars: 5 })).toHaveLength(5);
  });
});

describe('ConsoleStore clients and rollback counts', () => {
  it('ranks clients by rows, held or rejected, and counts what a rollback would reject', () => {
    const store = open();
    const a = [0, 1, 2].map((k) => store.insertReview(text(k), 1, 'api', { client: CLIENT_A }));
    const b = [3, 4].map((k) => store.insertReview(text(k), 1, 'api', { client: CLIENT_B }));
    store.changeVerdicts([b[0]!, b[1]!], 'held', 'test');
    store.changeVerdicts([a[0]!], 'rejected', 'test');

    expect(store.console.topClients('rows', 10).map((c) => [c.client, c.rows])).toEqual([[CLIENT_A, 3], [CLIENT_B, 2]]);
    expect(store.console.topClients('held', 10).map((c) => c.client)).toEqual([CLIENT_B]);
    expect(store.console.client(CLIENT_A)).toMatchObject({ rows: 3, accepted: 2, held: 0, rejected: 1 });
    expect(store.console.acceptedCountAfter(1)).toBe(2);
    expect(store.console.acceptedIdsAfter(1)).toEqual([a[1], a[2]]);
    expect(store.console.verdictChangesBetween(0, 3)).toEqual({ count: 3, lastReason: 'test' });
  });
});

describe('ConsoleStore login failures and the model timeline', () => {
  it('counts failures per client since a time and forgets them', () => {
    const store = open();
    store.console.recordLoginFailure(CLIENT_A, '2026-04-01T10:00:00.000Z');
    store.console.recordLoginFailure(CLIENT_A, '2026-04-01T10:05:00.000Z');
    store.console.recordLoginFailure(CLIENT_B, '2026-04-01T10:06:00.000Z');

    expect(store.console.loginFailuresSince(CLIENT_A, '2026-04-01T10:01:00.000Z')).toEqual({ count: 1, oldest: '2026-04-01T10:05:00.000Z' });
    store.console.clearLoginFailures(CLIENT_A);
    expect(store.console.loginFailuresSince(CLIENT_A, '2000-01-01')).toEqual({ count: 0, oldest: null });
    store.console.clearLoginFailures(null, '2026-04-01T10:07:00.000Z');
    expect(store.console.loginFailuresSince(CLIENT_B, '2000-01-01').count).toBe(0);
  });

  it('records each event once by its key and lists the newest first', () => {
    const store = open();
    const event = { key: 'file:abc', kind: 'update' as const, at: '2026-04-01T10:00:00.000Z', modelVersion: 'abc+5.0', watermark: 5, verdictChanges: 0, checkAccuracy: 0.9, checkSize: 40, detail: 'folded 5' };

    expect(store.modelEvents.record(event)).toBe(true);
    expect(store.modelEvents.record({ ...event, at: '2026-04-01T10:00:01.000Z' })).toBe(false);
    expect(store.modelEvents.record({ ...event, key: 'rebuild:3', kind: 'rebuild', at: '2026-04-02T10:00:00.000Z' })).toBe(true);

    expect(store.modelEvents.has('file:abc')).toBe(true);
    expect(store.modelEvents.list(10).map((e) => e.key)).toEqual(['rebuild:3', 'file:abc']);
    expect(store.modelEvents.list(10)[1]).toEqual({ id: 1, ...event });
  });
});
