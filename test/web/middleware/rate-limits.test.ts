import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

import { makeApp, POSITIVE_REVIEW, submitReview, testConfig, type TestApp } from '../../helpers/app.js';

let t: TestApp;
afterEach(() => t.close());

const limited = (predictPerMinute: number, feedbackPerMinute: number) =>
  makeApp({ config: { rateLimit: { enabled: true, predictPerMinute, feedbackPerMinute } } });

describe('rate limits', () => {
  it('answers the form over the prediction limit with a 429 page and Retry-After, and stores nothing more', async () => {
    t = await limited(2, 10);
    const agent = request.agent(t.app);
    await agent.post('/results').type('form').send({ review: POSITIVE_REVIEW }).expect(200);
    await agent.post('/results').type('form').send({ review: POSITIVE_REVIEW }).expect(200);

    const res = await agent.post('/results').type('form').send({ review: POSITIVE_REVIEW });

    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Too many requests');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.text).not.toContain('name="predictionId"');
  });

  it('counts the API and the form against one prediction budget and answers the API with JSON', async () => {
    t = await limited(2, 10);
    await request(t.app).post('/results').type('form').send({ review: POSITIVE_REVIEW }).expect(200);
    await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(200);

    const res = await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW });

    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/Too many predictions/) },
    });
  });

  it('limits feedback separately from predictions', async () => {
    t = await limited(3, 1);
    const first = await submitReview(t.app, POSITIVE_REVIEW);
    const second = await first.agent.post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(200);
    await first.agent
      .post('/thanks')
      .type('form')
      .send({ predictionId: first.predictionId, _csrf: first.csrfToken, verdict: 'correct' })
      .expect(200);

    const res = await request(t.app)
      .post('/api/v1/feedback')
      .send({ predictionId: (second.body as { predictionId: string }).predictionId, correct: true });

    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect(await t.store.countReviews()).toBe(1);
    // The prediction budget (3) still has room.
    await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(200);
  });

  it('does not limit GET pages or the health check', async () => {
    t = await limited(1, 1);

    for (let i = 0; i < 5; i += 1) {
      await request(t.app).get('/').expect(200);
      await request(t.app).get('/healthz').expect(200);
    }
  });

  it('lets any volume through when turned off', async () => {
    t = await makeApp({ config: { rateLimit: { ...testConfig().rateLimit, enabled: false, predictPerMinute: 1 } } });

    for (let i = 0; i < 5; i += 1) {
      await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(200);
    }
  });
});
