import Database from 'better-sqlite3';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

import { createLearner } from '../../../src/learner/index.js';
import { openStore, type LogStore } from '../../../src/store/index.js';
import { createWriteGate } from '../../../src/store/write-gate.js';
import { makeApp, POSITIVE_REVIEW, submitReview, useAppPerTest, useApps } from '../../helpers/app.js';
import { makeTestModel } from '../../helpers/model.js';
import { HTTP_STORE_KINDS } from '../../helpers/stores.js';
import { asUnavailable } from '../../../src/store/sqlite/unavailable.js';

describe.each(HTTP_STORE_KINDS)('on %s', (kind) => {
  const makeApp = useApps(kind);
  const t = useAppPerTest(makeApp, { config: { healthDetails: true } });

  describe('GET /healthz', () => {
    it('by default, reports the status only: no model version, training date or feedback count', async () => {
      const open = await makeApp();

      const res = await request(open.app).get('/healthz');
      await open.close();

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('with HEALTH_DETAILS on, reports ok, the model facts and the number of stored reviews', async () => {
      const res = await request(t.app).get('/healthz');

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ status: 'ok', model: t.learner.modelInfo(), reviews: 0 });
    });

    it('counts a review stored through the feedback form', async () => {
      const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);
      await agent.post('/thanks').type('form').send({ predictionId, _csrf: csrfToken, verdict: 'correct' }).expect(200);

      const res = await request(t.app).get('/healthz');

      expect(res.body).toMatchObject({ status: 'ok', reviews: 1 });
      expect((res.body as { model: { appliedThrough: number } }).model.appliedThrough).toBe(
        await t.store.maxReviewId(),
      );
    });

    it('answers POST with 405', async () => {
      const res = await request(t.app).post('/healthz');

      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
    });
  });
});

/** The real store, with its writes failing as SQLite's do on a full disk while `full` is set. */
function diskFullSwitch(store: LogStore): { store: LogStore; setFull: (full: boolean) => void } {
  let full = false;
  const fail = (): void => {
    if (full) throw asUnavailable(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), 'test.sqlite');
  };
  return {
    setFull: (value) => void (full = value),
    store: {
      ...store,
      insertPredictions(rows) {
        fail();
        return store.insertPredictions(rows);
      },
      recordFeedback(...args) {
        fail();
        return store.recordFeedback(...args);
      },
      checkWritable() {
        fail();
        return store.checkWritable();
      },
    },
  };
}

// SQLite only: its full-disk error; PostgreSQL being away is test/durability/postgres.test.ts.
describe('while database writes fail (disk full)', () => {
  async function appOnFullDisk() {
    const real = openStore(':memory:');
    const disk = diskFullSwitch(real);
    const lines: { level: number; msg: string }[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    const writes = createWriteGate({ waitMs: 100, probe: () => disk.store.checkWritable(), probeMs: 50, log: logger });
    const learner = await createLearner({ model: makeTestModel(), store: disk.store, writes });
    const app = await makeApp({ store: disk.store, learner, logger });
    const stop = async () => {
      writes.stop();
      await real.close();
    };
    return { app, disk, lines, stop };
  }

  it('answers predictions and feedback 503 with Retry-After, storing nothing; /healthz says why; one warning, not one per request', async () => {
    // Arrange
    const full = await appOnFullDisk();
    const { predictionId } = (await request(full.app.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }))
      .body as { predictionId: string };
    full.disk.setFull(true);

    // Act
    const predictions = await Promise.all(
      Array.from({ length: 20 }, () => request(full.app.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW })),
    );
    const page = await request(full.app.app).post('/results').type('form').send({ review: POSITIVE_REVIEW });
    const answer = await request(full.app.app).post('/api/v1/feedback').send({ predictionId, correct: true });
    const health = await request(full.app.app).get('/healthz');
    const stored = await full.app.store.countReviews();
    await full.stop();

    // Assert
    for (const res of [...predictions, answer]) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toEqual({
        error: { code: 'unavailable', message: expect.stringMatching(/nothing was stored/) },
      });
    }
    expect(page.status).toBe(503);
    expect(page.text).toContain('nothing was stored');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({
      status: 'unavailable',
      reason: expect.stringMatching(/disk or the database is full/),
    });
    expect(stored).toBe(0);
    expect(full.lines.filter((line) => line.level >= 40).map((line) => line.msg)).toEqual([
      expect.stringMatching(/^database writes are failing: the disk or the database is full/),
    ]);
  });

  it('recovers on its own once space is back: /healthz says ok again without traffic, and predictions are stored', async () => {
    // Arrange
    const full = await appOnFullDisk();
    full.disk.setFull(true);
    await request(full.app.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(503);
    expect((await request(full.app.app).get('/healthz')).status).toBe(503);

    // Act
    full.disk.setFull(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const health = await request(full.app.app).get('/healthz');
    const predicted = await request(full.app.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW });
    await full.stop();

    // Assert
    expect(health.status).toBe(200);
    expect(predicted.status).toBe(200);
    expect(full.lines.map((line) => line.msg)).toContainEqual(expect.stringMatching(/^database writes succeed again/));
  });
});
