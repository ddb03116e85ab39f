import pg from 'pg';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

import type { LogStore, NewPrediction } from '../../src/store/index.js';
import { POSITIVE_REVIEW, submitReview, useApps } from '../helpers/app.js';
import { STORE_KINDS, useLogStores } from '../helpers/stores.js';

const START = Date.parse('2026-05-01T12:00:00.000Z');
let counter = 0;

/** A prediction by `client`, made `second` seconds after START (distinct times: the oldest is clear). */
function prediction(client: string | null, second: number): NewPrediction {
  counter += 1;
  return {
    id: `bound-${counter}`,
    review: `a stored review, number ${counter}`,
    sentiment: 1,
    probability: 0.9,
    modelVersion: 'abc+0',
    createdAt: new Date(START + second * 1000).toISOString(),
    client,
  };
}

/** Which of `rows` the store still holds, by id. */
async function kept(store: LogStore, rows: readonly NewPrediction[]): Promise<string[]> {
  const found: string[] = [];
  for (const row of rows) if ((await store.getPrediction(row.id)) !== undefined) found.push(row.id);
  return found;
}

describe.each(STORE_KINDS)('the bound on unanswered predictions per client, on %s', (kind) => {
  const logs = useLogStores(kind);
  const makeApp = useApps(logs);

  it("keeps a client's newest N unanswered predictions as new ones arrive, and leaves its answered ones, other clients' and client-less ones alone", async () => {
    // Arrange: client A's oldest prediction is answered; B's and a client-less one are older than all of A's.
    const store = await logs.openNew({ maxUnansweredPerClient: 3 });
    const answered = prediction('a', 0);
    const others = [prediction('b', 1), prediction('b', 2), prediction(null, 3)];
    await store.insertPredictions([answered, ...others]);
    await store.recordFeedback(answered.id, 1, 'feedback', { client: 'a' });
    const open = [prediction('a', 10), prediction('a', 11), prediction('a', 12), prediction('a', 13)];

    // Act: one at a time, as readers' requests arrive, then two in one batch.
    for (const row of open) await store.insertPredictions([row]);
    const batch = [prediction('a', 14), prediction('a', 15)];
    await store.insertPredictions(batch);

    // Assert: A keeps its newest three unanswered (13, 14, 15) and the answered one.
    expect(await kept(store, [...open, ...batch])).toEqual([open[3].id, batch[0].id, batch[1].id]);
    expect(await store.getPrediction(answered.id)).toMatchObject({ feedbackReviewId: 1 });
    expect(await kept(store, others)).toEqual(others.map((row) => row.id));
  });

  it('trims a client at a large bound once per bound/20 of its predictions: it never holds more than 5% over', async () => {
    // Arrange: a bound of 100 trims a client on its first batch, then after every 5 more.
    const store = await logs.openNew({ maxUnansweredPerClient: 100 });
    const sent: NewPrediction[] = [];

    // Act: 300 predictions, one a batch, as one address loading the server sends them.
    const held: number[] = [];
    for (let second = 0; second < 300; second++) {
      const row = prediction('a', second);
      sent.push(row);
      await store.insertPredictions([row]);
      if (second >= 100) held.push((await kept(store, sent.slice(-110))).length);
    }

    // Assert: between 100 and 104 held at every step past the bound, and the newest 100 always among them.
    expect(Math.min(...held)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...held)).toBeLessThanOrEqual(104);
    expect(await kept(store, sent.slice(-100))).toHaveLength(100);
  });

  it.runIf(kind === 'PostgreSQL')(
    'leaves a prediction another transaction holds (being answered) and does not wait for it; it goes on a later write',
    async () => {
      // Arrange: client A at its bound of 2; another connection holds A's oldest row, as recordFeedback does.
      const url = await logs.newLog();
      const store = await logs.open(url, { maxUnansweredPerClient: 2 });
      const older = [prediction('a', 0), prediction('a', 1)];
      await store.insertPredictions(older);
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query('SELECT id FROM predictions WHERE id = $1 FOR UPDATE', [older[0].id]);

        // Act: a new prediction of A while the row is held, then another after it is let go.
        const during = prediction('a', 2);
        await store.insertPredictions([during]);
        const keptWhileHeld = await kept(store, older);
        await other.query('COMMIT');
        const after = prediction('a', 3);
        await store.insertPredictions([after]);

        // Assert
        // The held one was due to go (A had 3); it was skipped, not waited for.
        expect(keptWhileHeld).toEqual([older[0].id, older[1].id]);
        expect(await kept(store, [...older, during, after])).toEqual([during.id, after.id]);
      } finally {
        await other.end();
      }
    },
  );

  it('deletes nothing with the bound off (0), as before the bound existed', async () => {
    const store = await logs.openNew({ maxUnansweredPerClient: 0 });
    const rows = Array.from({ length: 5 }, (_, k) => prediction('a', k));

    for (const row of rows) await store.insertPredictions([row]);

    expect(await kept(store, rows)).toEqual(rows.map((row) => row.id));
  });

  it('refuses a bound that is not a whole number >= 0, saying what it got', async () => {
    await expect(logs.openNew({ maxUnansweredPerClient: -1 })).rejects.toThrow(
      'maxUnansweredPerClient must be a whole number >= 0 (0: no bound); got -1',
    );
  });

  it('answers feedback on a prediction the bound deleted as on an expired one (404), and takes it on the newer one', async () => {
    // Arrange: one reader (one address) asks twice with PREDICTION_MAX_PER_CLIENT=1; another asks once between.
    const t = await makeApp({ config: { predictionMaxPerClient: 1, trustProxy: 'loopback' } });
    const first = await submitReview(t.app, POSITIVE_REVIEW);
    const other = await request(t.app)
      .post('/api/v1/predict')
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ review: POSITIVE_REVIEW })
      .expect(200);
    const second = await submitReview(t.app, POSITIVE_REVIEW);

    // Act
    const late = await first.agent
      .post('/thanks')
      .type('form')
      .send({ predictionId: first.predictionId, _csrf: first.csrfToken, verdict: 'correct' });
    const onTime = await second.agent
      .post('/thanks')
      .type('form')
      .send({ predictionId: second.predictionId, _csrf: second.csrfToken, verdict: 'correct' });
    const otherAnswer = await request(t.app)
      .post('/api/v1/feedback')
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ predictionId: other.body.predictionId, correct: true });

    // Assert
    expect(late.status).toBe(404);
    expect(late.text).toContain('it may have expired');
    expect(onTime.status).toBe(200);
    expect(otherAnswer.status).toBe(201);
    expect(await t.store.countReviews()).toBe(2);
  });

  it("counts the API's predictions by client too: feedback on a client's older one beyond the bound is a 404 not_found", async () => {
    const t = await makeApp({ config: { predictionMaxPerClient: 1 } });
    const predict = () => request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(200);
    const first = await predict();
    const second = await predict();

    const late = await request(t.app)
      .post('/api/v1/feedback')
      .send({ predictionId: first.body.predictionId, correct: true });
    const onTime = await request(t.app)
      .post('/api/v1/feedback')
      .send({ predictionId: second.body.predictionId, correct: true });

    expect(late.status).toBe(404);
    expect(late.body).toMatchObject({
      error: { code: 'not_found', message: expect.stringContaining('predict again') },
    });
    expect(onTime.status).toBe(201);
  });
});
