import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

import { clientWindowStart } from '../../../src/moderation/client-window.js';
import { fingerprint } from '../../../src/moderation/fingerprint.js';
import { ACCEPT_EVERY_ROW, openStore, type NewPrediction, type LogStore } from '../../../src/store/index.js';
import type { LogHistory, VerdictRule, WriteCandidate } from '../../../src/store/types.js';
import { startPredictionExpiry, sweepExpiredPredictions } from '../../../src/store/jobs/prediction-expiry.js';
import { POSITIVE_REVIEW, submitReview, useApps } from '../../helpers/app.js';
import { waitFor } from '../../helpers/server-process.js';
import { STORE_KINDS, useLogStores } from '../../helpers/stores.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const HOUR = 3600_000;
const ago = (hours: number): string => new Date(Date.now() - hours * HOUR).toISOString();

function fileStore(): { store: LogStore; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prediction-expiry-'));
  const file = path.join(dir, 'reviews.sqlite');
  const store = openStore(file);
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => store.close());
  return { store, file };
}

let counter = 0;
function prediction(createdAt: string, review = `a stored review, number ${counter}`): NewPrediction {
  counter += 1;
  return { id: `expiry-${counter}`, review, sentiment: 1, probability: 0.9, modelVersion: 'abc+0', createdAt };
}

/** Pages in use and free in the main database file, read through another connection after a checkpoint. */
function pages(file: string): { used: number; free: number } {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const count = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    return { used: count - free, free };
  } finally {
    db.close();
  }
}

describe.each(STORE_KINDS)('on %s', (kind) => {
  const logs = useLogStores(kind);
  const makeApp = useApps(logs);

  describe('sweepExpiredPredictions', () => {
    it('deletes unanswered predictions older than the cutoff and keeps recent ones and answered ones', async () => {
      // Arrange
      const store = await logs.openNew();
      const old = [prediction(ago(30)), prediction(ago(25))];
      const answered = prediction(ago(30));
      const recent = prediction(ago(1));
      await store.insertPredictions([...old, answered, recent]);
      await store.recordFeedback(answered.id, 1, 'api');

      // Act
      const result = await sweepExpiredPredictions(store, ago(24));

      // Assert
      expect(result.deleted).toBe(2);
      for (const row of old) expect(await store.getPrediction(row.id)).toBeUndefined();
      expect(await store.getPrediction(answered.id)).toMatchObject({ feedbackReviewId: 1 });
      expect(await store.getPrediction(recent.id)).toMatchObject({ id: recent.id });
      expect(await store.countReviews()).toBe(1);
    });

    it('with PREDICTION_MAX_TOTAL, also deletes the oldest unanswered predictions beyond it, however recent; answered ones stay', async () => {
      // Arrange: 1,200 recent unanswered predictions (more than a delete batch), the oldest answered.
      const store = await logs.openNew();
      const made = Array.from({ length: 1200 }, (_, k) =>
        prediction(new Date(Date.now() - (1200 - k) * 1000).toISOString()),
      );
      await store.insertPredictions(made);
      await store.recordFeedback(made[0].id, 1, 'api');

      // Act
      const result = await sweepExpiredPredictions(store, ago(24), 100);

      // Assert: the newest 100 unanswered are kept, with the answered one.
      expect(result.deleted).toBe(1099);
      for (const row of made.slice(1, 1100)) expect(await store.getPrediction(row.id)).toBeUndefined();
      for (const row of made.slice(1100)) expect(await store.getPrediction(row.id)).toMatchObject({ id: row.id });
      expect(await store.getPrediction(made[0].id)).toMatchObject({ feedbackReviewId: 1 });
    });
  });

  describe('startPredictionExpiry', () => {
    it('sweeps on its own, at start and then on its interval', async () => {
      const store = await logs.openNew();
      const early = prediction(ago(3));
      await store.insertPrediction(early);
      const expiry = startPredictionExpiry({ store, ttlHours: 2, intervalMs: 20 });
      cleanups.push(expiry.stop);

      await waitFor('the first sweep', async () => (await store.getPrediction(early.id)) === undefined, 2000);
      const late = prediction(ago(2.5));
      await store.insertPrediction(late);
      await waitFor('a later sweep', async () => (await store.getPrediction(late.id)) === undefined, 2000);
      expiry.stop(); // before the store closes (afterEach), not after
    });

    it("deletes the phrase budget's rows once they are older than the 24 hours it reads (and an hour)", async () => {
      // Arrange: a rule that accepts every row and records the budget's sums for the phrase the
      // rows share; an answer of 30 hours ago (push 0.9) and one of now (push 0.6).
      const phrase = fingerprint('the ending felt rushed').phraseKeys[1];
      const seen: number[] = [];
      const verdictRule: VerdictRule = Object.assign(
        (row: WriteCandidate, history: LogHistory) => {
          if (row.push !== null) {
            const sums = history.feedbackWithPhrasesSince(row.fingerprint.phraseKeys, clientWindowStart(row.date));
            seen.push(sums.find((found) => found.phrase === phrase)?.toNegative ?? 0);
          }
          return ACCEPT_EVERY_ROW(row, history);
        },
        { asksPhrases: true },
      );
      const store = await logs.openNew({ verdictRule });
      const answer = async (k: number, date: string, probability: number) => {
        const made = { ...prediction(date, `word${k}x said the ending felt rushed to me${k}y`), probability };
        await store.insertPrediction(made);
        await store.recordFeedback(made.id, 0, 'api', { date });
      };
      await answer(1, ago(30), 0.9);
      await answer(2, ago(0), 0.6);
      // A confirmation of a sure prediction (push 0) dated 29.5 hours ago: its window holds both rows.
      const sumSeenNow = async () => {
        await answer(counter + 100, ago(29.5), 1);
        return seen[seen.length - 1];
      };
      expect(await sumSeenNow()).toBeCloseTo(0.9 + 0.6, 6);

      // Act
      const expiry = startPredictionExpiry({ store, ttlHours: 48, intervalMs: 20 });
      cleanups.push(expiry.stop);

      // Assert: the row of 30 hours ago no longer counts; the one of now still does.
      await waitFor('the old phrase rows deleted', async () => Math.abs((await sumSeenNow()) - 0.6) < 1e-6, 2000);
      expiry.stop();
    });
  });

  describe('feedback on an expired prediction', () => {
    it('is answered 404 with a page that says it may have expired', async () => {
      const t = await makeApp();
      const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);
      await sweepExpiredPredictions(t.store, new Date(Date.now() + 1000).toISOString());

      const res = await agent.post('/thanks').type('form').send({ predictionId, _csrf: csrfToken, verdict: 'correct' });

      expect(res.status).toBe(404);
      expect(res.text).toContain('it may have expired');
      expect(await t.store.countReviews()).toBe(0);
      await request(t.app).get('/healthz').expect(200);
    });
  });
});

// SQLite only: the pages of its database file (PostgreSQL's autovacuum gives space back by itself).
describe('sweepExpiredPredictions on a SQLite file', () => {
  it('gives the space of the deleted texts back to the file system', async () => {
    // Arrange: 2,000 predictions of 10,000 emoji (40 KB each), as in the issue.
    const { store, file } = fileStore();
    const text = '😀'.repeat(10_000);
    for (let k = 0; k < 4; k++)
      await store.insertPredictions(Array.from({ length: 500 }, () => prediction(ago(48), text)));
    const before = pages(file);
    const sizeBefore = fs.statSync(file).size;

    // Act
    const result = await sweepExpiredPredictions(store, ago(24));
    const after = pages(file);

    // Assert
    expect(result.deleted).toBe(2000);
    expect(result.pagesFreed).toBeGreaterThan(before.used * 0.9);
    expect(after.free).toBe(0);
    expect(fs.statSync(file).size).toBeLessThan(sizeBefore / 10);
  });
});
