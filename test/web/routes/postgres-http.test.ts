import request from 'supertest';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLearner, databaseCheckpoints, moderationRule } from '../../../src/learner/index.js';
import { openPostgresStore, type PostgresStore } from '../../../src/store/postgres/index.js';
import { createApp } from '../../../src/web/app.js';
import { NEGATIVE_REVIEW, POSITIVE_REVIEW, submitReview, testConfig } from '../../helpers/app.js';
import { makeTestModel, testModelBytes } from '../../helpers/model.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

const TOKEN = 'admin-token-for-the-postgres-http-test';
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.destroy();
});

/** The whole app, as src/server.ts composes it with DATABASE_URL, on a fresh database. */
async function appOnPostgres(): Promise<{ app: ReturnType<typeof createApp>; store: PostgresStore }> {
  const config = testConfig({ adminToken: TOKEN });
  const store = await openPostgresStore(await postgres.createDatabase(), { verdictRule: moderationRule(config.moderation) });
  const checkpoints = databaseCheckpoints(store);
  const model = makeTestModel();
  await checkpoints.keep(testModelBytes(), model.header);
  const learner = await createLearner({ model, store, checkpoints });
  return { app: createApp({ learner, store, config, logger: pino({ level: 'silent' }) }), store };
}

describe('the HTTP interface on PostgreSQL', { timeout: 30_000 }, () => {
  it('serves the form flow: results, thanks, a repeat rejected, and the prediction stored server-side', async () => {
    const { app, store } = await appOnPostgres();
    try {
      const first = await submitReview(app, POSITIVE_REVIEW);
      const thanks = await first.agent.post('/thanks').type('form').send({ predictionId: first.predictionId, verdict: 'incorrect', _csrf: first.csrfToken });
      const again = await submitReview(app, POSITIVE_REVIEW);
      const repeat = await again.agent.post('/thanks').type('form').send({ predictionId: again.predictionId, verdict: 'correct', _csrf: again.csrfToken });

      expect(thanks.status).toBe(200);
      expect(thanks.text).toContain('the model has learnt from it');
      expect(repeat.text).toContain('the model did not learn from it: it repeats a review we already have');
      expect(await store.getPrediction(first.predictionId)).toMatchObject({ review: POSITIVE_REVIEW, feedbackReviewId: 1 });
    } finally {
      await store.close();
    }
  });

  it('serves the API and the admin API: feedback learned, then rejected by an operator, the model back where it was', async () => {
    const { app, store } = await appOnPostgres();
    try {
      const predicted = await request(app).post('/api/v1/predict').send({ review: NEGATIVE_REVIEW }).expect(200);
      const before = (await request(app).post('/api/v1/predict').send({ review: NEGATIVE_REVIEW })).body.positiveProbability as number;
      const answered = await request(app).post('/api/v1/feedback').send({ predictionId: predicted.body.predictionId, correct: false });
      const moved = (await request(app).post('/api/v1/predict').send({ review: NEGATIVE_REVIEW })).body.positiveProbability as number;
      const listed = await request(app).get('/api/v1/admin/feedback').set('authorization', `Bearer ${TOKEN}`);
      const rejected = await request(app).post(`/api/v1/admin/feedback/${answered.body.reviewId}/reject`).set('authorization', `Bearer ${TOKEN}`);
      const after = (await request(app).post('/api/v1/predict').send({ review: NEGATIVE_REVIEW })).body.positiveProbability as number;

      expect(answered.status).toBe(201);
      expect(answered.body).toMatchObject({ label: 'positive', verdict: 'accepted', learned: true });
      expect(moved).toBeGreaterThan(before);
      expect(listed.body.rows).toMatchObject([{ id: answered.body.reviewId, review: NEGATIVE_REVIEW, verdict: 'accepted' }]);
      expect(rejected.status).toBe(200);
      expect(after).toBe(before);
      expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    } finally {
      await store.close();
    }
  });
});
