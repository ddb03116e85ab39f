import request from 'supertest';
import { describe, expect, it } from 'vitest';

import { NEGATIVE_REVIEW, POSITIVE_REVIEW, submitReview, useAppPerTest, useApps } from '../../helpers/app.js';
import { logRows, HTTP_STORE_KINDS } from '../../helpers/stores.js';

describe.each(HTTP_STORE_KINDS)('on %s', (kind) => {
  const t = useAppPerTest(useApps(kind));

  const rows = () => logRows(t.store);

  describe('POST /thanks', () => {
    it('when the reader says Correct, thanks them, stores the review with the predicted label and learns it', async () => {
      const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);
      const before = t.learner.positiveProbability(POSITIVE_REVIEW);

      const res = await agent.post('/thanks').type('form').send({ predictionId, _csrf: csrfToken, verdict: 'correct' });

      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toContain('Thank you for your feedback!');
      expect(res.text).toMatch(/<a href="\/"[^>]*>Submit another review<\/a>/);
      expect(await rows()).toMatchObject([{ review: POSITIVE_REVIEW, sentiment: 1, predictionId }]);
      expect((await t.store.getPrediction(predictionId))?.feedbackReviewId).toBe((await rows())[0].id);
      // Learned at once: the row is applied and the model changed. Not necessarily more confident:
      // the review's unseen n-grams join the NB-scaled features (weight ~0, they only add to the
      // norm), which can pull an already confident prediction slightly towards 0.5.
      expect(t.learner.modelInfo().appliedThrough).toBe((await rows())[0].id);
      expect(t.learner.positiveProbability(POSITIVE_REVIEW)).not.toBe(before);
    });

    it('when the reader says Incorrect, stores the flipped label and moves the model towards it at once', async () => {
      const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);
      const before = t.learner.positiveProbability(POSITIVE_REVIEW);

      const res = await agent
        .post('/thanks')
        .type('form')
        .send({ predictionId, _csrf: csrfToken, verdict: 'incorrect' });

      expect(res.status).toBe(200);
      expect(res.text).toContain('Thank you for your feedback!');
      expect(await rows()).toMatchObject([{ review: POSITIVE_REVIEW, sentiment: 0, predictionId }]);
      expect(t.learner.positiveProbability(POSITIVE_REVIEW)).toBeLessThan(before);
    });

    it('when the same answer is posted again, says feedback already recorded and trains nothing', async () => {
      const { agent, predictionId, csrfToken } = await submitReview(t.app, NEGATIVE_REVIEW);
      const answer = { predictionId, _csrf: csrfToken, verdict: 'incorrect' };
      await agent.post('/thanks').type('form').send(answer).expect(200);
      const afterFirst = { rows: await rows(), p: t.learner.positiveProbability(NEGATIVE_REVIEW) };

      const again = await agent.post('/thanks').type('form').send(answer);
      const flipped = await agent
        .post('/thanks')
        .type('form')
        .send({ ...answer, verdict: 'correct' });

      for (const res of [again, flipped]) {
        expect(res.status).toBe(200);
        expect(res.text).toContain('Feedback already recorded');
        expect(res.text).not.toContain('Thank you for your feedback!');
      }
      expect(await rows()).toEqual(afterFirst.rows);
      expect(t.learner.positiveProbability(NEGATIVE_REVIEW)).toBe(afterFirst.p);
    });

    it('stores the answer with source feedback', async () => {
      const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);

      await agent.post('/thanks').type('form').send({ predictionId, _csrf: csrfToken, verdict: 'correct' }).expect(200);

      expect(await rows()).toMatchObject([{ predictionId, source: 'feedback' }]);
    });

    it('answers 404 with the error page for a well-formed id that names no prediction', async () => {
      const { agent, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);

      const res = await agent
        .post('/thanks')
        .type('form')
        .send({ predictionId: '00000000-0000-4000-8000-000000000000', _csrf: csrfToken, verdict: 'correct' });

      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('Page not found');
      expect(await rows()).toEqual([]);
    });

    it.each([
      ['with spaces and quotes', `1' OR '1'='1`],
      ['too long', 'a'.repeat(65)],
      ['empty', ''],
    ])('answers 404 for a malformed prediction id (%s) and stores nothing', async (_case, predictionId) => {
      const { agent, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);

      const res = await agent.post('/thanks').type('form').send({ predictionId, _csrf: csrfToken, verdict: 'correct' });

      expect(res.status).toBe(404);
      expect(await rows()).toEqual([]);
    });

    it('answers 400 when the verdict is neither correct nor incorrect, and stores nothing', async () => {
      const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);

      const res = await agent
        .post('/thanks')
        .type('form')
        .send({ predictionId, _csrf: csrfToken, verdict: 'positive' });

      expect(res.status).toBe(400);
      expect(res.text).toContain('Correct or Incorrect');
      expect(await rows()).toEqual([]);
      expect((await t.store.getPrediction(predictionId))?.feedbackReviewId).toBeNull();
    });

    describe('CSRF protection', () => {
      async function expectRefusedAndUnchanged(res: request.Response, predictionId: string, p: number) {
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.text).toContain('did not come from this site');
        expect(await rows()).toEqual([]);
        expect((await t.store.getPrediction(predictionId))?.feedbackReviewId).toBeNull();
        expect(t.learner.positiveProbability(POSITIVE_REVIEW)).toBe(p);
      }

      it('refuses an answer without a CSRF token with 403 and changes nothing', async () => {
        const { agent, predictionId } = await submitReview(t.app, POSITIVE_REVIEW);
        const p = t.learner.positiveProbability(POSITIVE_REVIEW);

        const res = await agent.post('/thanks').type('form').send({ predictionId, verdict: 'incorrect' });

        await expectRefusedAndUnchanged(res, predictionId, p);
      });

      it('refuses a wrong CSRF token with 403 and changes nothing', async () => {
        const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);
        const p = t.learner.positiveProbability(POSITIVE_REVIEW);
        const wrong = `${csrfToken.slice(0, -1)}${csrfToken.endsWith('A') ? 'B' : 'A'}`;

        const res = await agent.post('/thanks').type('form').send({ predictionId, _csrf: wrong, verdict: 'incorrect' });

        await expectRefusedAndUnchanged(res, predictionId, p);
      });

      it('refuses a valid token posted without its cookie (a cross-site post) with 403', async () => {
        const { predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);
        const p = t.learner.positiveProbability(POSITIVE_REVIEW);

        const res = await request(t.app)
          .post('/thanks')
          .type('form')
          .send({ predictionId, _csrf: csrfToken, verdict: 'incorrect' });

        await expectRefusedAndUnchanged(res, predictionId, p);
      });

      it("refuses another client's token with 403: a token is bound to its own cookie", async () => {
        const mine = await submitReview(t.app, POSITIVE_REVIEW);
        const theirs = await submitReview(t.app, NEGATIVE_REVIEW);
        const p = t.learner.positiveProbability(POSITIVE_REVIEW);

        const res = await mine.agent
          .post('/thanks')
          .type('form')
          .send({ predictionId: mine.predictionId, _csrf: theirs.csrfToken, verdict: 'incorrect' });

        await expectRefusedAndUnchanged(res, mine.predictionId, p);
      });

      it('still accepts the proper answer after a refused one', async () => {
        const { agent, predictionId, csrfToken } = await submitReview(t.app, POSITIVE_REVIEW);
        await agent.post('/thanks').type('form').send({ predictionId, verdict: 'incorrect' }).expect(403);

        const res = await agent
          .post('/thanks')
          .type('form')
          .send({ predictionId, _csrf: csrfToken, verdict: 'incorrect' });

        expect(res.status).toBe(200);
        expect(await rows()).toMatchObject([{ sentiment: 0, predictionId }]);
      });

      it('keeps one cookie per client: a second review reuses it and the first token stays valid', async () => {
        const first = await submitReview(t.app, POSITIVE_REVIEW);
        const second = await first.agent.post('/results').type('form').send({ review: NEGATIVE_REVIEW }).expect(200);

        expect(second.headers['set-cookie']).toBeUndefined();
        expect(second.text).toContain(`name="_csrf" value="${first.csrfToken}"`);
      });
    });

    it('answers GET /thanks with 405', async () => {
      const res = await request(t.app).get('/thanks');

      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });
  });
});
