import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';

import { percent } from '../../../src/web/view-models.js';
import { hiddenField, NEGATIVE_REVIEW, POSITIVE_REVIEW, useAppPerTest, useApps } from '../../helpers/app.js';
import { HTTP_STORE_KINDS } from '../../helpers/stores.js';

describe.each(HTTP_STORE_KINDS)('on %s', (kind) => {
  const t = useAppPerTest(useApps(kind));

  describe('GET /', () => {
    it('shows the review form with a labelled textarea and a Submit review button', async () => {
      const res = await request(t.app).get('/');

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
      expect(res.text).toContain('<h1>Please enter your movie review</h1>');
      expect(res.text).toMatch(/<label for="review">[^<]+<\/label>/);
      expect(res.text).toMatch(/<textarea id="review" name="review"/);
      expect(res.text).toMatch(/<button type="submit"[^>]*>Submit review<\/button>/);
      expect(res.text).toContain('action="/results"');
    });

    it('answers HEAD like GET, without a body', async () => {
      const res = await request(t.app).head('/');

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toBeUndefined();
    });

    it('links the stylesheet and nothing else: no script at all', async () => {
      const res = await request(t.app).get('/');

      expect(res.text).toMatch(/<link rel="stylesheet" href="\/static\/styles\.css\?v=[0-9a-f]{12}">/);
      expect(res.text).not.toContain('<script');
      expect(res.text).not.toContain('style=');
    });
  });

  describe('POST /results', () => {
    it('shows the prediction, its probability as a percentage and a meter, and stores the prediction server-side', async () => {
      const res = await request(t.app).post('/results').type('form').send({ review: POSITIVE_REVIEW });

      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const label = /data-qa="prediction-label">(positive|negative)</.exec(res.text)?.[1];
      const shownPercent = /data-qa="prediction-probability">(\d{1,3})%</.exec(res.text)?.[1];
      const meterValue = /<meter[^>]*value="([0-9.]+)"/.exec(res.text)?.[1];
      expect(label).toBe('positive');
      expect(Number(shownPercent)).toBeGreaterThanOrEqual(50);
      expect(Number(meterValue)).toBeGreaterThanOrEqual(0.5);

      const stored = await t.store.getPrediction(hiddenField(res.text, 'predictionId'));
      expect(stored).toMatchObject({ review: POSITIVE_REVIEW, sentiment: 1, feedbackReviewId: null });
      expect(`${shownPercent}%`).toBe(percent(stored!.probability));
    });

    it('highlights the words that pushed the decision each way, with a legend and the top terms', async () => {
      const res = await request(t.app)
        .post('/results')
        .type('form')
        .send({ review: `${POSITIVE_REVIEW} Only the ending was a bit dull.` });

      expect(res.status).toBe(200);
      expect(res.text).toContain('data-qa="legend"');
      expect(res.text).toMatch(/<mark class="push push--positive push--(strong|weak)" data-qa="push-positive">/);
      expect(res.text).toMatch(/<mark class="push push--negative push--(strong|weak)" data-qa="push-negative">/);
      expect(res.text).toMatch(/<ol class="terms" data-qa="top-terms">\s*<li/);
      // Highlighting wraps stretches of the text and adds nothing to it.
      const highlighted = /data-qa="highlighted-review">([\s\S]*?)<\/blockquote>/.exec(res.text)![1];
      expect(highlighted.replace(/<[^>]+>/g, '')).toBe(`${POSITIVE_REVIEW} Only the ending was a bit dull.`);
    });

    it('gives the feedback form only the prediction id and a CSRF token, with Correct and Incorrect buttons', async () => {
      const res = await request(t.app).post('/results').type('form').send({ review: NEGATIVE_REVIEW });

      const form = /<form method="post" action="\/thanks"[\s\S]*?<\/form>/.exec(res.text)![0];
      const inputs = [...form.matchAll(/<input type="hidden" name="([^"]+)"/g)].map((m) => m[1]);
      expect(inputs).toEqual(['predictionId', '_csrf']);
      expect(form).toMatch(/<button type="submit" name="verdict" value="correct"[^>]*>Correct<\/button>/);
      expect(form).toMatch(/<button type="submit" name="verdict" value="incorrect"[^>]*>Incorrect<\/button>/);
      expect(form).not.toContain(NEGATIVE_REVIEW);
      expect(res.text).toMatch(/<a href="\/"[^>]*>Submit another review<\/a>/);
      expect(res.headers['set-cookie']?.[0]).toMatch(/^mc_csrf=[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; SameSite=Strict$/);
    });

    it('renders markup and template syntax in a review as plain escaped text', async () => {
      const review = 'A wonderful film. <script>alert(1)</script> {{ 7*7 }} {% raw %} <b>bold</b>';

      const res = await request(t.app).post('/results').type('form').send({ review });

      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<script>alert(1)</script>');
      expect(res.text).not.toContain('<b>bold</b>');
      const highlighted = /data-qa="highlighted-review">([\s\S]*?)<\/blockquote>/.exec(res.text)![1];
      expect(highlighted.replace(/<\/?mark[^>]*>/g, '')).toBe(
        'A wonderful film. &lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% raw %} &lt;b&gt;bold&lt;/b&gt;',
      );
      expect(res.text).not.toMatch(/\b49\b/);
      const stored = await t.store.getPrediction(hiddenField(res.text, 'predictionId'));
      expect(stored?.review).toBe(review);
    });

    it('classifies the trimmed review', async () => {
      const res = await request(t.app)
        .post('/results')
        .type('form')
        .send({ review: `   ${POSITIVE_REVIEW}\n\n  ` });

      expect(res.status).toBe(200);
      expect((await t.store.getPrediction(hiddenField(res.text, 'predictionId')))?.review).toBe(POSITIVE_REVIEW);
    });

    describe('when the review is not acceptable', () => {
      it.each([
        ['shorter than 15 characters', 'Too short.', 'at least 15 characters'],
        ['only spaces around a short text', `     ${'a'.repeat(14)}      `, 'at least 15 characters'],
        ['empty', '', 'at least 15 characters'],
        ['longer than 10,000 characters', 'great '.repeat(1700), 'at most 10,000 characters'],
        ['holding a NUL character', 'This film was great \u0000 and I loved it.', 'NUL character'],
      ])(
        'answers 422 for a review %s, with the message under the field and the text kept',
        async (_case, review, message) => {
          const predict = vi.spyOn(t.learner, 'predict');

          const res = await request(t.app).post('/results').type('form').send({ review });

          expect(res.status).toBe(422);
          expect(res.text).toContain('<h1>Please enter your movie review</h1>');
          expect(res.text).toMatch(new RegExp(`data-qa="review-error">[\\s\\S]*${message}`));
          expect(res.text).toContain('aria-invalid="true"');
          const kept = /data-qa="review-input">([\s\S]*?)<\/textarea>/.exec(res.text)![1];
          expect(kept).toBe(review.trim());
          expect(res.text.indexOf('data-qa="review-error"')).toBeLessThan(res.text.indexOf('<textarea'));
          expect(predict).not.toHaveBeenCalled();
        },
      );

      it('answers 422 when the review field is missing, 400 when it is sent twice', async () => {
        const predict = vi.spyOn(t.learner, 'predict');

        const missing = await request(t.app).post('/results').type('form').send({ other: 'x' });
        const twice = await request(t.app)
          .post('/results')
          .type('form')
          .send('review=first+review+text+here&review=second+review+text');

        expect(missing.status).toBe(422);
        expect(twice.status).toBe(400);
        expect(predict).not.toHaveBeenCalled();
      });

      it('escapes the typed text when it comes back in the form', async () => {
        const res = await request(t.app).post('/results').type('form').send({ review: '</textarea><b>' });

        expect(res.status).toBe(422);
        expect(res.text).not.toContain('</textarea><b>');
        expect(res.text).toContain('&lt;/textarea&gt;&lt;b&gt;</textarea>');
      });
    });

    it('answers GET /results with 405 and an Allow header', async () => {
      const res = await request(t.app).get('/results');

      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.text).toContain('Method not allowed');
    });
  });
});
