import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { makeApp, POSITIVE_REVIEW, submitReview, type TestApp } from '../../helpers/app.js';
import { logRows } from '../../helpers/stores.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

const rows = () => logRows(t.store);

describe('form bodies', () => {
  it('when the verdict is sent twice, answers 400 and stores nothing, and a single answer still counts', async () => {
    // Arrange
    const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);
    const twice = `predictionId=${predictionId}&_csrf=${csrfToken}&verdict=correct&verdict=correct`;

    // Act
    const res = await agent.post('/thanks').type('form').send(twice);
    const single = await agent
      .post('/thanks')
      .type('form')
      .send({ predictionId, _csrf: csrfToken, verdict: 'correct' });

    // Assert
    expect(res.status).toBe(400);
    expect(res.text).toContain('was sent more than once');
    expect(single.status).toBe(200);
    expect(await rows()).toMatchObject([{ review: POSITIVE_REVIEW, sentiment: 1, predictionId }]);
  });

  it('when the review is sent twice, answers 400 and predicts nothing', async () => {
    const res = await request(t.app)
      .post('/results')
      .type('form')
      .send(`review=${encodeURIComponent(POSITIVE_REVIEW)}&review=x`);

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('&quot;review&quot; was sent more than once');
  });

  it('refuses a 64 KB form of 32,767 repeated fields with 400, before the CSRF check', async () => {
    // The form that took 5.5 s of the event loop to decode when repeats were gathered by copying.
    const body = Array.from({ length: 32_767 }, () => 'a').join('&');

    const res = await request(t.app).post('/thanks').type('form').send(body);

    expect(res.status).toBe(400);
  });

  it('keeps a field named __proto__ as a plain field', async () => {
    const res = await request(t.app)
      .post('/results')
      .type('form')
      .send(`__proto__=x&review=${encodeURIComponent(POSITIVE_REVIEW)}`);

    expect(res.status).toBe(200);
  });
});
