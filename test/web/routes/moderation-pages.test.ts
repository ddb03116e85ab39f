import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

import { mulberry32, randomInt } from '../../../src/corpus/random.js';
import { DEFAULT_MODERATION } from '../../../src/moderation/index.js';
import type { LogStore } from '../../../src/store/index.js';
import {
  NEGATIVE_REVIEW,
  POSITIVE_REVIEW,
  submitReview,
  type MakeAppOptions,
  type TestApp,
  useApps,
} from '../../helpers/app.js';
import { testSpec, trainTestModel } from '../../helpers/model.js';
import { listLog, logRows, HTTP_STORE_KINDS } from '../../helpers/stores.js';

describe.each(HTTP_STORE_KINDS)('on %s', (kind) => {
  const makeApp = useApps(kind);

  const open = (config: MakeAppOptions['config'] = {}) => makeApp({ config });

  /** One correction per client per day: the second "Incorrect" from a reader is held. */
  const ONE_CORRECTION_A_DAY = { moderation: { ...DEFAULT_MODERATION, clientCorrectionsPerDay: 1 } };

  const OTHER_REVIEW = 'A charming little story about a family and their strange old house.';

  /** The sentence under the heading of the thanks page, without its markup. */
  function thanksDetail(html: string): string {
    const match = /<p data-qa="thanks-detail">([\s\S]*?)<\/p>/.exec(html);
    if (match === null) throw new Error('no thanks-detail paragraph in the page');
    return match[1]
      .replace(/<[^>]+>/g, '')
      .replace(/\s+/g, ' ')
      .trim();
  }

  /** Submit a review through the form and answer it, as a browser would. */
  async function answerThroughForm(app: Express, review: string, verdict: 'correct' | 'incorrect') {
    const { agent, predictionId, csrfToken } = await submitReview(app, review);
    const res = await agent.post('/thanks').type('form').send({ predictionId, _csrf: csrfToken, verdict });
    expect(res.status).toBe(200);
    return res;
  }

  interface FeedbackAnswer {
    label: string;
    reviewId: number;
    verdict: string;
    learned: boolean;
    reason?: string;
    reasonCode?: string;
  }

  /** Predict and answer through the JSON API, optionally from the address a proxy reports. */
  async function answerThroughApi(
    app: Express,
    review: string,
    correct: boolean,
    forwardedFor?: string,
  ): Promise<FeedbackAnswer> {
    const from = (req: request.Test) => (forwardedFor === undefined ? req : req.set('X-Forwarded-For', forwardedFor));
    const predicted = await from(request(app).post('/api/v1/predict')).send({ review }).expect(200);
    const { predictionId } = predicted.body as { predictionId: string };
    const res = await from(request(app).post('/api/v1/feedback')).send({ predictionId, correct });
    expect(res.status).toBe(201);
    return res.body as FeedbackAnswer;
  }

  const clientOfRow = async (t: TestApp<LogStore>, reviewId: number) => (await t.store.getReview(reviewId))!.client;

  describe('POST /thanks tells the truth about learning', () => {
    it('for an accepted answer, says the model has learnt from it, and it has', async () => {
      // Arrange
      const t = await open();
      const before = t.learner.positiveProbability(POSITIVE_REVIEW);

      // Act
      const res = await answerThroughForm(t.app, POSITIVE_REVIEW, 'incorrect');

      // Assert
      expect(thanksDetail(res.text)).toBe('The review was stored as negative and the model has learnt from it.');
      expect(await listLog(t.store, {}, { limit: 10 })).toMatchObject([{ verdict: 'accepted', sentiment: 0 }]);
      expect(t.learner.positiveProbability(POSITIVE_REVIEW)).toBeLessThan(before);
    });

    it('for a repeat of an earlier review, says the model did not learn from it and why, and it did not', async () => {
      // Arrange
      const t = await open();
      await answerThroughForm(t.app, POSITIVE_REVIEW, 'incorrect');
      const afterFirst = t.learner.positiveProbability(POSITIVE_REVIEW);

      // Act
      const res = await answerThroughForm(t.app, POSITIVE_REVIEW, 'incorrect');

      // Assert
      const detail = thanksDetail(res.text);
      expect(detail).toBe(
        'The review was stored as negative, but the model did not learn from it: it repeats a review we already have.',
      );
      expect(detail).not.toContain('has learnt');
      expect((await listLog(t.store, {}, { limit: 10 })).map((row) => row.verdict)).toEqual(['rejected', 'accepted']);
      expect(t.learner.positiveProbability(POSITIVE_REVIEW)).toBe(afterFirst);
    });

    it('for a near-identical wording of an earlier review, says it repeats one', async () => {
      const t = await open();
      await answerThroughForm(t.app, 'This movie was great, I really loved it.', 'incorrect');
      const afterFirst = t.learner.positiveProbability('This movie was great, I really loved it.');

      const res = await answerThroughForm(t.app, 'THIS movie was greeeat!!!!! I really LOVED it', 'incorrect');

      expect(thanksDetail(res.text)).toMatch(/did not learn from it: it repeats a review we already have\.$/);
      expect(t.learner.positiveProbability('This movie was great, I really loved it.')).toBe(afterFirst);
    });

    it('for a review with too few words, says the model did not learn from it because of that', async () => {
      const t = await open();
      const text = 'Great!!! ***** 10/10 !!!!!!';
      const before = t.learner.positiveProbability(text);

      const res = await answerThroughForm(t.app, text, 'correct');

      expect(thanksDetail(res.text)).toMatch(
        /but the model did not learn from it: it has too few words to learn from\.$/,
      );
      expect(t.learner.positiveProbability(text)).toBe(before);
    });

    it('for an answer over the reader’s corrections a day, says it will be checked first, and the model does not move', async () => {
      // Arrange
      const t = await open(ONE_CORRECTION_A_DAY);
      const first = await answerThroughForm(t.app, POSITIVE_REVIEW, 'incorrect');
      expect(thanksDetail(first.text)).toContain('the model has learnt from it');
      const before = t.learner.positiveProbability(NEGATIVE_REVIEW);

      // Act
      const res = await answerThroughForm(t.app, NEGATIVE_REVIEW, 'incorrect');

      // Assert
      const detail = thanksDetail(res.text);
      expect(detail).toBe(
        'The review was stored as positive. The model will learn from it once it has been checked: ' +
          'we have had many answers from your connection today.',
      );
      expect(detail).not.toContain('has learnt');
      expect((await listLog(t.store, {}, { limit: 10 })).map((row) => row.verdict)).toEqual(['held', 'accepted']);
      expect(t.learner.positiveProbability(NEGATIVE_REVIEW)).toBe(before);
    });

    it('still learns a confirmation from a reader whose corrections are used up', async () => {
      const t = await open(ONE_CORRECTION_A_DAY);
      await answerThroughForm(t.app, POSITIVE_REVIEW, 'incorrect');

      const res = await answerThroughForm(t.app, NEGATIVE_REVIEW, 'correct');

      expect(thanksDetail(res.text)).toBe('The review was stored as negative and the model has learnt from it.');
    });
  });

  describe('POST /api/v1/feedback tells the truth about learning', () => {
    it('for an accepted answer, answers verdict accepted and learned true, with no reason', async () => {
      const t = await open();
      const before = t.learner.positiveProbability(POSITIVE_REVIEW);

      const body = await answerThroughApi(t.app, POSITIVE_REVIEW, false);

      expect(body).toEqual({ label: 'negative', reviewId: expect.any(Number), verdict: 'accepted', learned: true });
      expect(t.learner.positiveProbability(POSITIVE_REVIEW)).toBeLessThan(before);
    });

    it('for a repeat of an earlier review, answers rejected, learned false and the reason, and the model does not move', async () => {
      // Arrange
      const t = await open();
      const first = await answerThroughApi(t.app, POSITIVE_REVIEW, false);
      const afterFirst = t.learner.positiveProbability(POSITIVE_REVIEW);

      // Act
      const second = await answerThroughApi(t.app, POSITIVE_REVIEW, false);

      // Assert
      expect(second).toEqual({
        label: 'negative',
        reviewId: first.reviewId + 1,
        verdict: 'rejected',
        learned: false,
        reason: `repeats row ${first.reviewId}`,
        reasonCode: 'repeat',
      });
      expect(t.learner.positiveProbability(POSITIVE_REVIEW)).toBe(afterFirst);
    });

    it('for an answer over the client’s corrections a day, answers held and learned false, and the model does not move', async () => {
      const t = await open(ONE_CORRECTION_A_DAY);
      await answerThroughApi(t.app, POSITIVE_REVIEW, false);
      const before = t.learner.positiveProbability(OTHER_REVIEW);

      const body = await answerThroughApi(t.app, OTHER_REVIEW, false);

      expect(body).toMatchObject({ verdict: 'held', learned: false, reason: 'client over its 1 corrections a day' });
      expect(t.learner.positiveProbability(OTHER_REVIEW)).toBe(before);
    });

    it('counts the form and the API against the same client budget', async () => {
      const t = await open(ONE_CORRECTION_A_DAY);
      await answerThroughForm(t.app, POSITIVE_REVIEW, 'incorrect');

      const body = await answerThroughApi(t.app, OTHER_REVIEW, false);

      expect(body).toMatchObject({ verdict: 'held', learned: false });
    });
  });

  describe('client identity', () => {
    it('stores a 16-hex-character keyed hash as the client, never the address', async () => {
      // Arrange
      const t = await open();

      // Act
      await answerThroughForm(t.app, POSITIVE_REVIEW, 'incorrect');
      await answerThroughApi(t.app, NEGATIVE_REVIEW, true);

      // Assert
      const rows = await logRows(t.store);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.client).toMatch(/^[0-9a-f]{16}$/);
        expect(row.client).not.toContain('127');
      }
      expect(rows[1].client).toBe(rows[0].client);
      const everything = JSON.stringify(await listLog(t.store, {}, { limit: 10 }));
      expect(everything).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
    });

    it('gives the same address the same client in another app sharing the secret', async () => {
      const a = await open();
      const b = await open();

      const fromA = await answerThroughApi(a.app, POSITIVE_REVIEW, false);
      const fromB = await answerThroughApi(b.app, POSITIVE_REVIEW, false);

      expect(await clientOfRow(b, fromB.reviewId)).toBe(await clientOfRow(a, fromA.reviewId));
    });

    it('with TRUST_PROXY, takes the client from X-Forwarded-For', async () => {
      // Arrange
      const t = await open({ trustProxy: 'loopback' });

      // Act
      const first = await answerThroughApi(t.app, POSITIVE_REVIEW, false, '203.0.113.7');
      const sameReader = await answerThroughApi(t.app, NEGATIVE_REVIEW, true, '203.0.113.7');
      const otherReader = await answerThroughApi(t.app, OTHER_REVIEW, true, '198.51.100.20');
      const direct = await answerThroughApi(
        t.app,
        'Terrible pacing, wooden dialogue, and a villain nobody could fear.',
        true,
      );

      // Assert
      const client = await clientOfRow(t, first.reviewId);
      expect(client).toMatch(/^[0-9a-f]{16}$/);
      expect(await clientOfRow(t, sameReader.reviewId)).toBe(client);
      expect(await clientOfRow(t, otherReader.reviewId)).not.toBe(client);
      expect(await clientOfRow(t, direct.reviewId)).not.toBe(client);
      expect(await clientOfRow(t, direct.reviewId)).not.toBe(await clientOfRow(t, otherReader.reviewId));
    });

    it('with TRUST_PROXY, gives each forwarded reader its own corrections budget', async () => {
      const t = await open({ ...ONE_CORRECTION_A_DAY, trustProxy: 'loopback' });
      await answerThroughApi(t.app, POSITIVE_REVIEW, false, '203.0.113.7');

      const sameReader = await answerThroughApi(t.app, OTHER_REVIEW, false, '203.0.113.7');
      const otherReader = await answerThroughApi(t.app, NEGATIVE_REVIEW, false, '198.51.100.20');

      expect(sameReader).toMatchObject({ verdict: 'held', learned: false });
      expect(otherReader).toMatchObject({ verdict: 'accepted', learned: true });
    });

    it('with TRUST_PROXY, counts every address of an IPv6 /64 as one client', async () => {
      const t = await open({ trustProxy: 'loopback' });

      const a = await answerThroughApi(t.app, POSITIVE_REVIEW, false, '2001:db8:1:2::1');
      const sameNetwork = await answerThroughApi(t.app, NEGATIVE_REVIEW, true, '2001:0db8:0001:0002:ffff:1:2:3');
      const otherNetwork = await answerThroughApi(t.app, OTHER_REVIEW, true, '2001:db8:1:3::1');

      expect(await clientOfRow(t, sameNetwork.reviewId)).toBe(await clientOfRow(t, a.reviewId));
      expect(await clientOfRow(t, otherNetwork.reviewId)).not.toBe(await clientOfRow(t, a.reviewId));
    });

    it('with TRUST_PROXY, counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
      const t = await open({ trustProxy: 'loopback' });

      const v4 = await answerThroughApi(t.app, POSITIVE_REVIEW, false, '203.0.113.7');
      const mapped = await answerThroughApi(t.app, NEGATIVE_REVIEW, true, '::ffff:203.0.113.7');

      expect(await clientOfRow(t, mapped.reviewId)).toBe(await clientOfRow(t, v4.reviewId));
    });

    it('without TRUST_PROXY, ignores X-Forwarded-For: a reader cannot pick a new client by sending it', async () => {
      // Arrange
      const t = await open(ONE_CORRECTION_A_DAY);

      // Act
      const first = await answerThroughApi(t.app, POSITIVE_REVIEW, false, '203.0.113.7');
      const spoofed = await answerThroughApi(t.app, OTHER_REVIEW, false, '198.51.100.20');
      const plain = await answerThroughApi(t.app, NEGATIVE_REVIEW, true);

      // Assert
      expect(await clientOfRow(t, spoofed.reviewId)).toBe(await clientOfRow(t, first.reviewId));
      expect(await clientOfRow(t, plain.reviewId)).toBe(await clientOfRow(t, first.reviewId));
      expect(spoofed).toMatchObject({ verdict: 'held', learned: false });
    });
  });
  describe('a group of clients behind a proxy', () => {
    const TARGET =
      'Excellent, wonderful, brilliant and superb: a perfect masterpiece that I loved and will watch again.';
    /** The target between four random words of five letters, new each time: under the near-duplicate similarity. */
    const wrapper = (seed: number) => {
      const rng = mulberry32(seed);
      const word = () => Array.from({ length: 5 }, () => String.fromCharCode(97 + randomInt(rng, 26))).join('');
      return () => `${word()} ${word()} ${TARGET} ${word()} ${word()}`;
    };
    // The test model is far less sure of anything than the shipped one (0.98 for the target, not
    // 0.99+), and at its online step of 0.5 five answers turn the target, after which the group's
    // "Incorrect" answers push the other way. At 0.02 the target stays positive through the budget,
    // so every answer is a correction toward negative, as in the attack on the shipped model
    // (`npm run moderation:bars` measures the bar, >= 0.9, there).
    let slowLearner: Buffer | undefined;
    const slowLearnerBytes = () => (slowLearner ??= trainTestModel({ ...testSpec(), onlineEta: 0.02 }));

    it('cannot turn a confident prediction: of five "Incorrect" answers from each of eight /64s of one /56, the budget is learned, the rest held', async () => {
      // Arrange: every client within its own daily limits (5 corrections); only the phrase budget binds.
      const budget = 7;
      const moderation = { ...DEFAULT_MODERATION, phraseCorrectionsPerDay: budget };
      const t = await makeApp({ config: { trustProxy: 'loopback', moderation }, modelBytes: slowLearnerBytes() });
      const addresses = Array.from({ length: 40 }, (_, i) => `2001:db8:7:ab0${Math.floor(i / 5)}::${(i % 5) + 1}`);
      const before = t.learner.positiveProbability(TARGET);
      const wrapped = wrapper(19);

      // Act
      const answers: FeedbackAnswer[] = [];
      const after: number[] = [];
      for (const address of addresses) {
        answers.push(await answerThroughApi(t.app, wrapped(), false, address));
        after.push(t.learner.positiveProbability(TARGET));
      }

      // Assert
      expect(before).toBeGreaterThan(0.95);
      expect(new Set(await Promise.all(answers.map((answer) => clientOfRow(t, answer.reviewId)))).size).toBe(8);
      // Each correction spends the probability its prediction had (about 0.98 here), so seven add
      // up to just under the budget of 7 and an eighth may be learned too.
      const learned = answers.findIndex((answer) => answer.verdict !== 'accepted');
      expect(learned).toBeGreaterThanOrEqual(budget);
      expect(learned).toBeLessThanOrEqual(budget + 1);
      expect(answers.slice(0, learned)).toEqual(
        answers.slice(0, learned).map(() => expect.objectContaining({ label: 'negative', verdict: 'accepted' })),
      );
      // The rest are held for the phrase budget, but for the few the near-duplicate rule rejects first
      // (a 16-word target in four new words is close to the 0.7 similarity): none is learned.
      const rest = answers.slice(learned).map((answer) => [answer.verdict, answer.reasonCode]);
      expect(rest.filter(([verdict]) => verdict === 'held').length).toBeGreaterThanOrEqual(20);
      for (const outcome of rest)
        expect([
          ['held', 'phrase-corrections'],
          ['rejected', 'near-duplicate'],
        ]).toContainEqual(outcome);
      // Held answers do not move the model: the target stays where the budget's last accepted answer left it.
      expect(after.at(-1)).toBe(after[learned - 1]);
      expect(after.at(-1)).toBeGreaterThan(0.5);
    });
  });
});
