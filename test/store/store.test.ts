import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { openStore, type Store, type StoredPrediction } from '../../src/store/index.js';

let dir: string;
const opened: Store[] = [];
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'movieclassifier-store-'));
});
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Open a store that afterEach closes. */
function open(file = ':memory:', options?: Parameters<typeof openStore>[1]): Store {
  const store = openStore(file, options);
  opened.push(store);
  return store;
}

let counter = 0;
function prediction(overrides: Partial<Omit<StoredPrediction, 'feedbackReviewId'>> = {}) {
  counter += 1;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    review: `review number ${counter}`,
    sentiment: 1 as const,
    probability: 0.87,
    modelVersion: 'abc123@0',
    createdAt: '2024-05-01T12:00:00.000Z',
    ...overrides,
  };
}

describe('predictions', () => {
  it('returns an inserted prediction as it was stored, with no feedback yet', () => {
    // Arrange
    const store = open();
    const input = prediction({ sentiment: 0, probability: 0.61 });

    // Act
    store.insertPrediction(input);

    // Assert
    expect(store.getPrediction(input.id)).toEqual({ ...input, feedbackReviewId: null });
  });

  it('returns undefined for an id it never stored', () => {
    expect(open().getPrediction('no-such-id')).toBeUndefined();
  });

  it('refuses a label other than 0/1 or a probability outside [0, 1]', () => {
    const store = open();
    expect(() => store.insertPrediction({ ...prediction(), sentiment: 2 as never })).toThrow(InvalidInputError);
    expect(() => store.insertPrediction(prediction({ probability: 1.5 }))).toThrow(InvalidInputError);
    expect(() => store.insertPrediction(prediction({ probability: Number.NaN }))).toThrow(InvalidInputError);
  });
});

describe('recordFeedback', () => {
  it('stores a review_db row with the prediction text and links the prediction to it', () => {
    // Arrange
    const store = open();
    const input = prediction({ review: 'Stored server-side, not taken from the form' });
    store.insertPrediction(input);

    // Act
    const outcome = store.recordFeedback(input.id, 0, 'feedback', { date: '2024-05-01T12:01:00.000Z' });

    // Assert
    expect(outcome).toEqual({ status: 'recorded', reviewId: 1, sentiment: 0, verdict: 'accepted', reason: null });
    expect([...store.reviewsAfter(0)]).toEqual([
      {
        id: 1,
        review: 'Stored server-side, not taken from the form',
        sentiment: 0,
        date: '2024-05-01T12:01:00.000Z',
        predictionId: input.id,
        source: 'feedback',
        verdict: 'accepted',
        verdictReason: null,
        client: null,
      },
    ]);
    expect(store.getPrediction(input.id)?.feedbackReviewId).toBe(1);
  });

  it('dates the row now when no date is given', () => {
    const store = open();
    const input = prediction();
    store.insertPrediction(input);
    const before = Date.now();

    store.recordFeedback(input.id, 1, 'feedback');

    const [row] = [...store.reviewsAfter(0)];
    expect(Date.parse(row!.date)).toBeGreaterThanOrEqual(before - 1000);
    expect(row!.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('answers a second call on the same prediction with duplicate and the first answer, writing nothing', () => {
    // Arrange
    const store = open();
    const input = prediction();
    store.insertPrediction(input);
    const first = store.recordFeedback(input.id, 1, 'feedback');

    // Act
    const second = store.recordFeedback(input.id, 0, 'api');

    // Assert
    expect(first).toEqual({ status: 'recorded', reviewId: 1, sentiment: 1, verdict: 'accepted', reason: null });
    expect(second).toEqual({ status: 'duplicate', reviewId: 1, sentiment: 1, verdict: 'accepted', reason: null });
    expect(store.countReviews()).toBe(1);
    expect([...store.reviewsAfter(0)].map((row) => [row.sentiment, row.source])).toEqual([[1, 'feedback']]);
  });

  it('answers unknown for a prediction id it never stored, writing nothing', () => {
    const store = open();

    const outcome = store.recordFeedback('forged-id', 1, 'feedback');

    expect(outcome).toEqual({ status: 'unknown' });
    expect(store.countReviews()).toBe(0);
  });

  it('refuses a sentiment other than 0/1 or an empty source before touching the database', () => {
    const store = open();
    const input = prediction();
    store.insertPrediction(input);

    expect(() => store.recordFeedback(input.id, 2 as never, 'feedback')).toThrow(InvalidInputError);
    expect(() => store.recordFeedback(input.id, 1, '')).toThrow(InvalidInputError);
    expect(store.countReviews()).toBe(0);
    expect(store.getPrediction(input.id)?.feedbackReviewId).toBeNull();
  });
});

describe('reviewsAfter', () => {
  it('streams rows after afterId and up to upTo, in id order', () => {
    // Arrange
    const store = open();
    const ids = ['one', 'two', 'three', 'four', 'five'].map((text, i) =>
      store.insertReview(text, (i % 2) as 0 | 1, 'api', { date: `2024-01-0${i + 1}` }),
    );

    // Act
    const all = [...store.reviewsAfter(0)].map((row) => row.id);
    const tail = [...store.reviewsAfter(2)].map((row) => row.review);
    const window = [...store.reviewsAfter(1, 3)].map((row) => row.review);
    const none = [...store.reviewsAfter(5)];

    // Assert
    expect(ids).toEqual([1, 2, 3, 4, 5]);
    expect(all).toEqual([1, 2, 3, 4, 5]);
    expect(tail).toEqual(['three', 'four', 'five']);
    expect(window).toEqual(['two', 'three']);
    expect(none).toEqual([]);
  });

  it('starts nothing until read, and lets the store write again after a loop breaks early', () => {
    // Arrange
    const store = open();
    store.insertReview('a', 1, 'api');
    store.insertReview('b', 0, 'api');
    const unread = store.reviewsAfter(0);

    // Act
    store.insertReview('written while an unread iterator exists', 1, 'api');
    for (const row of store.reviewsAfter(0)) {
      if (row.id === 1) break;
    }
    const id = store.insertReview('written after break', 0, 'api');

    // Assert
    expect(id).toBe(4);
    expect([...unread].map((row) => row.id)).toEqual([1, 2, 3, 4]);
  });

  it('reports 0 as max id and count on an empty log', () => {
    const store = open();
    expect(store.maxReviewId()).toBe(0);
    expect(store.countReviews()).toBe(0);
  });

  it('reports the largest id and the number of rows', () => {
    const store = open();
    store.insertReview('a', 1, 'api');
    store.insertReview('b', 0, 'api');
    expect(store.maxReviewId()).toBe(2);
    expect(store.countReviews()).toBe(2);
  });
});

describe('feedbackLinksAfter', () => {
  it('lists the rows after the id with their prediction ids, and counts only the links to those rows', () => {
    // Arrange
    const store = open();
    const [first, second, third] = [prediction(), prediction(), prediction()];
    for (const p of [first, second, third]) store.insertPrediction(p);
    store.recordFeedback(first.id, 1, 'api');
    store.insertReview('not from a prediction', 0, 'api');
    store.recordFeedback(second.id, 0, 'feedback');
    store.recordFeedback(third.id, 1, 'api');

    // Act
    const links = store.feedbackLinksAfter(1);

    // Assert
    expect(links).toEqual({
      rows: [
        { id: 2, predictionId: null },
        { id: 3, predictionId: second.id },
        { id: 4, predictionId: third.id },
      ],
      linkedPredictions: 2,
    });
    expect(store.feedbackLinksAfter(4)).toEqual({ rows: [], linkedPredictions: 0 });
  });
});

describe('bound parameters', () => {
  it('round-trips quotes, SQL and template syntax verbatim', () => {
    // Arrange
    const store = open();
    const nasty = `It's "great"'); DROP TABLE review_db; -- {{ 7*7 }} {% raw %} \\ \u0000 end`;
    const input = prediction({ id: `id'); DROP TABLE predictions; --`, review: nasty, modelVersion: "v'1" });

    // Act
    store.insertPrediction(input);
    const outcome = store.recordFeedback(input.id, 1, "feed'back", { date: "2024'); --", client: "c'); DROP TABLE review_db; --" });
    store.insertReview(nasty, 0, 'api');

    // Assert
    expect(store.getPrediction(input.id)).toMatchObject({ review: nasty, modelVersion: "v'1" });
    expect(outcome).toMatchObject({ status: 'recorded' });
    expect([...store.reviewsAfter(0)]).toEqual([
      {
        id: 1,
        review: nasty,
        sentiment: 1,
        date: "2024'); --",
        predictionId: input.id,
        source: "feed'back",
        verdict: 'accepted',
        verdictReason: null,
        client: "c'); DROP TABLE review_db; --",
      },
      expect.objectContaining({ id: 2, review: nasty, source: 'api' }),
    ]);
  });
});

describe('files on disk', () => {
  it('creates the parent folder and uses WAL journaling for a file database', () => {
    // Arrange
    const file = path.join(dir, 'nested', 'deeper', 'reviews.sqlite');

    // Act
    const store = open(file);
    store.insertReview('durable', 1, 'api');

    // Assert
    expect(store.path).toBe(file);
    expect(fs.existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps rows across close and reopen', () => {
    const file = path.join(dir, 'reviews.sqlite');
    const first = openStore(file);
    const input = prediction();
    first.insertPrediction(input);
    first.recordFeedback(input.id, 1, 'feedback');
    first.close();

    const second = open(file);

    expect(second.getPrediction(input.id)?.feedbackReviewId).toBe(1);
    expect(second.recordFeedback(input.id, 0, 'feedback')).toMatchObject({ status: 'duplicate', reviewId: 1, sentiment: 1 });
  });

  it('gives distinct, gap-free, increasing ids when two stores on one file interleave feedback', () => {
    // Arrange
    const file = path.join(dir, 'shared.sqlite');
    const a = open(file, { busyTimeoutMs: 2000 });
    const b = open(file, { busyTimeoutMs: 2000 });
    const predictions = Array.from({ length: 20 }, () => prediction());
    predictions.forEach((p, i) => (i % 2 === 0 ? a : b).insertPrediction(p));

    // Act
    const outcomes = predictions.map((p, i) => (i % 2 === 0 ? b : a).recordFeedback(p.id, (i % 2) as 0 | 1, 'feedback'));

    // Assert
    const ids = outcomes.map((outcome) => (outcome.status === 'recorded' ? outcome.reviewId : -1));
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect([...a.reviewsAfter(0)].map((row) => row.predictionId)).toEqual(predictions.map((p) => p.id));
    expect(b.countReviews()).toBe(20);
    expect(a.recordFeedback(predictions[0]!.id, 1, 'feedback')).toMatchObject({ status: 'duplicate', reviewId: 1 });
  });

  it('lets two processes record feedback on one file at the same time without errors or lost rows', async () => {
    // Arrange
    const file = path.join(dir, 'processes.sqlite');
    const setup = openStore(file);
    const predictions = Array.from({ length: 200 }, () => prediction());
    predictions.forEach((p) => setup.insertPrediction(p));
    setup.close();
    const worker = path.join(import.meta.dirname, 'concurrent-writer.ts');
    const startAt = String(Date.now() + 2000);
    const run = (ids: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', worker, file, startAt, ...ids]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });

    // Act
    const results = await Promise.all([
      run(predictions.filter((_, i) => i % 2 === 0).map((p) => p.id)),
      run(predictions.filter((_, i) => i % 2 === 1).map((p) => p.id)),
    ]);

    // Assert
    for (const result of results) {
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual(Array(100).fill('recorded'));
    }
    const store = open(file);
    const rows = [...store.reviewsAfter(0)];
    expect(rows.map((row) => row.id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(rows.map((row) => row.predictionId)).size).toBe(200);
    for (const p of predictions) {
      const linked = store.getPrediction(p.id)?.feedbackReviewId;
      expect(rows.find((row) => row.id === linked)?.predictionId).toBe(p.id);
    }
  });

  it('opens an existing database read-only for reading, and refuses writes', () => {
    const file = path.join(dir, 'reviews.sqlite');
    const writer = open(file);
    writer.insertReview('readable', 1, 'api');

    const reader = open(file, { readonly: true });

    expect([...reader.reviewsAfter(0)].map((row) => row.review)).toEqual(['readable']);
    expect(() => reader.insertReview('nope', 1, 'api')).toThrow(/readonly/i);
  });

  it('refuses a negative busy timeout', () => {
    expect(() => openStore(':memory:', { busyTimeoutMs: -1 })).toThrow(InvalidInputError);
  });
});

describe('verdicts', () => {
  it('writes each row with the verdict its rule decides from the rows before it, and reads it back', () => {
    // Arrange: a rule that rejects a text seen before and holds a client's third row.
    const seen: string[] = [];
    const store = openStore(':memory:', {
      verdictRule: (row, history) => {
        seen.push(row.fingerprint.normalizedHash);
        const same = history.firstWithNormalizedHash(row.fingerprint.normalizedHash);
        if (same !== null) return { verdict: 'rejected', reason: `repeats row ${same}` };
        if (row.client !== null && history.acceptedFromClientSince(row.client, '2024-01-01').rows >= 2) {
          return { verdict: 'held', reason: 'budget' };
        }
        return { verdict: 'accepted', reason: null };
      },
    });
    opened.push(store);

    // Act
    store.insertReview('The same words, posted again and again', 1, 'api', { client: 'a', date: '2024-01-02' });
    store.insertReview('THE SAME words... posted again and AGAIN!!', 0, 'api', { client: 'b', date: '2024-01-02' });
    store.insertReview('Different words entirely, only once', 1, 'api', { client: 'a', date: '2024-01-02' });
    store.insertReview('A third text from the first client', 1, 'api', { client: 'a', date: '2024-01-02' });

    // Assert
    expect([...store.reviewsAfter(0)].map((row) => [row.verdict, row.verdictReason, row.client])).toEqual([
      ['accepted', null, 'a'],
      ['rejected', 'repeats row 1', 'b'],
      ['accepted', null, 'a'],
      ['held', 'budget', 'a'],
    ]);
    expect(seen).toHaveLength(4);
  });
});

describe('prediction writes', () => {
  it('commits a prediction on insert, so another connection sees it at once', () => {
    // Arrange
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-insert-'));
    const file = path.join(dir, 'insert.sqlite');
    const writer = openStore(file);
    const reader = openStore(file);
    const p = prediction();

    // Act
    writer.insertPrediction(p);

    // Assert
    expect(reader.getPrediction(p.id)).toMatchObject({ id: p.id, review: p.review, feedbackReviewId: null });
    writer.close();
    reader.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a batch of predictions all or none', () => {
    // Arrange
    const store = openStore(':memory:');
    const stored = prediction();
    store.insertPrediction(stored);
    const fresh = prediction();

    // Act + Assert: the repeated id fails the whole batch, so `fresh` is not written either.
    expect(() => store.insertPredictions([fresh, stored])).toThrow(/already stored/);
    expect(store.getPrediction(fresh.id)).toBeUndefined();
    store.insertPredictions([fresh]);
    expect(store.getPrediction(fresh.id)).toMatchObject({ id: fresh.id });
    store.close();
  });

  it('refuses a prediction id that is already stored', () => {
    // Arrange
    const store = openStore(':memory:');
    const p = prediction();
    store.insertPrediction(p);

    // Act + Assert
    expect(() => store.insertPrediction(p)).toThrow(/already stored/);
    store.close();
  });
});
