import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { makeApp, POSITIVE_REVIEW, submitReview, type TestApp } from '../../helpers/app.js';

let t: TestApp;
beforeEach(() => {
  t = makeApp({ config: { healthDetails: true } });
});
afterEach(() => t.close());

describe('GET /healthz', () => {
  it('by default, reports the status only: no model version, training date or feedback count', async () => {
    const open = makeApp();

    const res = await request(open.app).get('/healthz');
    open.close();

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
    expect((res.body as { model: { appliedThrough: number } }).model.appliedThrough).toBe(t.store.maxReviewId());
  });

  it('answers POST with 405', async () => {
    const res = await request(t.app).post('/healthz');

    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});
