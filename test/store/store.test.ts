import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { clientWindowStart } from '../../src/moderation/client-window.js';
import { DEFAULT_MODERATION, moderationRule } from '../../src/moderation/index.js';
import {
  ACCEPT_EVERY_ROW,
  openStore,
  searchTerms,
  type ConsoleFilter,
  type LogStore,
  type StoredPrediction,
  type VerdictRule,
} from '../../src/store/index.js';
import { CANDIDATES_PER_BAND, LEAN_PUSH_WEIGHT } from '../../src/store/rows.js';
import { fingerprint } from '../../src/moderation/fingerprint.js';
import type { PhraseFeedback } from '../../src/store/types.js';
import { listLog, logRows, STORE_KINDS, useLogStores } from '../helpers/stores.js';

let counter = 0;
function prediction(overrides: Partial<Omit<StoredPrediction, 'feedbackReviewId'>> = {}) {
  counter += 1;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    review: `review number ${counter}`,
    sentiment: 1 as const,
    probability: 0.87,
    modelVersion: 'abc123@0',
    createdAt: '2024-05-01T12:00:00.000Z',
    ...overrides,
  };
}

describe.each(STORE_KINDS)('the log on %s', (kind) => {
  const logs = useLogStores(kind);
  const open = logs.openNew;

  describe('predictions', () => {
    it('returns an inserted prediction as it was stored, with no feedback yet', async () => {
      // Arrange
      const store = await open();
      const input = prediction({ sentiment: 0, probability: 0.61 });

      // Act
      await store.insertPrediction(input);

      // Assert
      expect(await store.getPrediction(input.id)).toEqual({ ...input, feedbackReviewId: null });
    });

    it('returns undefined for an id it never stored', async () => {
      expect(await (await open()).getPrediction('no-such-id')).toBeUndefined();
    });

    it('refuses a label other than 0/1 or a probability outside [0, 1]', async () => {
      const store = await open();
      await expect(async () => store.insertPrediction({ ...prediction(), sentiment: 2 as never })).rejects.toThrow(
        InvalidInputError,
      );
      await expect(async () => store.insertPrediction(prediction({ probability: 1.5 }))).rejects.toThrow(
        InvalidInputError,
      );
      await expect(async () => store.insertPrediction(prediction({ probability: Number.NaN }))).rejects.toThrow(
        InvalidInputError,
      );
    });
  });

  describe('recordFeedback', () => {
    it('stores a review_db row with the prediction text and links the prediction to it', async () => {
      // Arrange
      const store = await open();
      const input = prediction({ review: 'Stored server-side, not taken from the form' });
      await store.insertPrediction(input);

      // Act
      const outcome = await store.recordFeedback(input.id, 0, 'feedback', { date: '2024-05-01T12:01:00.000Z' });

      // Assert
      expect(outcome).toEqual({ status: 'recorded', reviewId: 1, sentiment: 0, verdict: 'accepted', reason: null });
      expect(await logRows(store)).toEqual([
        {
          id: 1,
          review: 'Stored server-side, not taken from the form',
          sentiment: 0,
          date: '2024-05-01T12:01:00.000Z',
          predictionId: input.id,
          source: 'feedback',
          verdict: 'accepted',
          verdictReason: null,
          client: null,
        },
      ]);
      expect((await store.getPrediction(input.id))?.feedbackReviewId).toBe(1);
    });

    it('dates the row now when no date is given', async () => {
      const store = await open();
      const input = prediction();
      await store.insertPrediction(input);
      const before = Date.now();

      await store.recordFeedback(input.id, 1, 'feedback');

      const [row] = await logRows(store);
      expect(Date.parse(row.date)).toBeGreaterThanOrEqual(before - 1000);
      expect(row.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('answers a second call on the same prediction with duplicate and the first answer, writing nothing', async () => {
      // Arrange
      const store = await open();
      const input = prediction();
      await store.insertPrediction(input);
      const first = await store.recordFeedback(input.id, 1, 'feedback');

      // Act
      const second = await store.recordFeedback(input.id, 0, 'api');

      // Assert
      expect(first).toEqual({ status: 'recorded', reviewId: 1, sentiment: 1, verdict: 'accepted', reason: null });
      expect(second).toEqual({ status: 'duplicate', reviewId: 1, sentiment: 1, verdict: 'accepted', reason: null });
      expect(await store.countReviews()).toBe(1);
      expect((await logRows(store)).map((row) => [row.sentiment, row.source])).toEqual([[1, 'feedback']]);
    });

    it('answers unknown for a prediction id it never stored, writing nothing', async () => {
      const store = await open();

      const outcome = await store.recordFeedback('forged-id', 1, 'feedback');

      expect(outcome).toEqual({ status: 'unknown' });
      expect(await store.countReviews()).toBe(0);
    });

    it('checks under its lock what a caller-read prediction cannot say: answered meanwhile, or gone', async () => {
      // Arrange: the caller read the prediction (as the learner does), then another request answered it.
      const store = await open();
      const input = prediction();
      await store.insertPrediction(input);
      const read = (await store.getPrediction(input.id))!;
      await store.recordFeedback(input.id, 1, 'feedback');

      // Act
      const late = await store.recordFeedback(input.id, 0, 'api', { prediction: read });
      const forged = await store.recordFeedback('forged-id', 1, 'api', { prediction: read });

      // Assert
      expect(late).toEqual({ status: 'duplicate', reviewId: 1, sentiment: 1, verdict: 'accepted', reason: null });
      expect(forged).toEqual({ status: 'unknown' });
      expect(await store.countReviews()).toBe(1);
    });

    it('refuses a sentiment other than 0/1 or an empty source before touching the database', async () => {
      const store = await open();
      const input = prediction();
      await store.insertPrediction(input);

      await expect(async () => store.recordFeedback(input.id, 2 as never, 'feedback')).rejects.toThrow(
        InvalidInputError,
      );
      await expect(async () => store.recordFeedback(input.id, 1, '')).rejects.toThrow(InvalidInputError);
      expect(await store.countReviews()).toBe(0);
      expect((await store.getPrediction(input.id))?.feedbackReviewId).toBeNull();
    });
  });

  describe('reviewsAfter', () => {
    it('streams rows after afterId and up to upTo, in id order', async () => {
      // Arrange
      const store = await open();
      const ids: number[] = [];
      for (const [i, text] of ['one', 'two', 'three', 'four', 'five'].entries()) {
        ids.push(await store.insertReview(text, (i % 2) as 0 | 1, 'api', { date: `2024-01-0${i + 1}` }));
      }

      // Act
      const all = (await logRows(store, 0)).map((row) => row.id);
      const tail = (await logRows(store, 2)).map((row) => row.review);
      const window = (await logRows(store, 1, 3)).map((row) => row.review);
      const none = await logRows(store, 5);

      // Assert
      expect(ids).toEqual([1, 2, 3, 4, 5]);
      expect(all).toEqual([1, 2, 3, 4, 5]);
      expect(tail).toEqual(['three', 'four', 'five']);
      expect(window).toEqual(['two', 'three']);
      expect(none).toEqual([]);
    });

    it('starts nothing until read, and lets the store write again after a loop breaks early', async () => {
      // Arrange
      const store = await open();
      await store.insertReview('a', 1, 'api');
      await store.insertReview('b', 0, 'api');
      const unread = store.reviewsAfter(0);

      // Act
      await store.insertReview('written while an unread iterator exists', 1, 'api');
      for await (const row of store.reviewsAfter(0)) {
        if (row.id === 1) break;
      }
      const id = await store.insertReview('written after break', 0, 'api');

      // Assert
      expect(id).toBe(4);
      expect((await logRows({ reviewsAfter: () => unread })).map((row) => row.id)).toEqual([1, 2, 3, 4]);
    });

    it('reports 0 as max id and count on an empty log', async () => {
      const store = await open();
      expect(await store.maxReviewId()).toBe(0);
      expect(await store.countReviews()).toBe(0);
    });

    it('reports the largest id and the number of rows', async () => {
      const store = await open();
      await store.insertReview('a', 1, 'api');
      await store.insertReview('b', 0, 'api');
      expect(await store.maxReviewId()).toBe(2);
      expect(await store.countReviews()).toBe(2);
    });
  });

  describe('feedbackLinksAfter', () => {
    it('lists the rows after the id with their prediction ids, and counts only the links to those rows', async () => {
      // Arrange
      const store = await open();
      const [first, second, third] = [prediction(), prediction(), prediction()];
      await store.insertPredictions([first, second, third]);
      await store.recordFeedback(first.id, 1, 'api');
      await store.insertReview('not from a prediction', 0, 'api');
      await store.recordFeedback(second.id, 0, 'feedback');
      await store.recordFeedback(third.id, 1, 'api');

      // Act
      const links = await store.feedbackLinksAfter(1);

      // Assert
      expect(links).toEqual({
        rows: [
          { id: 2, predictionId: null },
          { id: 3, predictionId: second.id },
          { id: 4, predictionId: third.id },
        ],
        linkedPredictions: 2,
      });
      expect(await store.feedbackLinksAfter(4)).toEqual({ rows: [], linkedPredictions: 0 });
    });
  });

  describe('bound parameters', () => {
    it('round-trips quotes, SQL and template syntax verbatim', async () => {
      // Arrange
      const store = await open();
      // PostgreSQL text cannot hold NUL (SQLite's can): the rest is the same on both.
      const nul = kind === 'SQLite' ? '\u0000' : '';
      const nasty = `It's "great"'); DROP TABLE review_db; -- {{ 7*7 }} {% raw %} \\ ${nul} end`;
      const input = prediction({ id: `id'); DROP TABLE predictions; --`, review: nasty, modelVersion: "v'1" });

      // Act
      await store.insertPrediction(input);
      const outcome = await store.recordFeedback(input.id, 1, "feed'back", {
        date: "2024'); --",
        client: "c'); DROP TABLE review_db; --",
      });
      await store.insertReview(nasty, 0, 'api');

      // Assert
      expect(await store.getPrediction(input.id)).toMatchObject({ review: nasty, modelVersion: "v'1" });
      expect(outcome).toMatchObject({ status: 'recorded' });
      expect(await logRows(store)).toEqual([
        {
          id: 1,
          review: nasty,
          sentiment: 1,
          date: "2024'); --",
          predictionId: input.id,
          source: "feed'back",
          verdict: 'accepted',
          verdictReason: null,
          client: "c'); DROP TABLE review_db; --",
        },
        expect.objectContaining({ id: 2, review: nasty, source: 'api' }),
      ]);
    });
  });

  describe('two stores on one log', () => {
    it('keeps rows across close and reopen', async () => {
      const where = await logs.newLog();
      const first = await logs.open(where);
      const input = prediction();
      await first.insertPrediction(input);
      await first.recordFeedback(input.id, 1, 'feedback');
      await first.close();

      const second = await logs.open(where);

      expect((await second.getPrediction(input.id))?.feedbackReviewId).toBe(1);
      expect(await second.recordFeedback(input.id, 0, 'feedback')).toMatchObject({
        status: 'duplicate',
        reviewId: 1,
        sentiment: 1,
      });
    });

    it('gives distinct, gap-free, increasing ids when two stores on one log interleave feedback', async () => {
      // Arrange
      const where = await logs.newLog();
      const [a, b] = [await logs.open(where), await logs.open(where)];
      const predictions = Array.from({ length: 20 }, () => prediction());
      for (const [i, p] of predictions.entries()) await (i % 2 === 0 ? a : b).insertPrediction(p);

      // Act
      const outcomes = [];
      for (const [i, p] of predictions.entries())
        outcomes.push(await (i % 2 === 0 ? b : a).recordFeedback(p.id, (i % 2) as 0 | 1, 'feedback'));

      // Assert
      const ids = outcomes.map((outcome) => (outcome.status === 'recorded' ? outcome.reviewId : -1));
      expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await logRows(a)).map((row) => row.predictionId)).toEqual(predictions.map((p) => p.id));
      expect(await b.countReviews()).toBe(20);
      expect(await a.recordFeedback(predictions[0].id, 1, 'feedback')).toMatchObject({
        status: 'duplicate',
        reviewId: 1,
      });
    });

    it('commits a prediction on insert, so another connection sees it at once', async () => {
      // Arrange
      const where = await logs.newLog();
      const [writer, reader] = [await logs.open(where), await logs.open(where)];
      const p = prediction();

      // Act
      await writer.insertPrediction(p);

      // Assert
      expect(await reader.getPrediction(p.id)).toMatchObject({ id: p.id, review: p.review, feedbackReviewId: null });
    });
  });

  describe('the similarity index', () => {
    /** A rule that decides as `inner` does and records how many earlier rows the near-duplicate lookup gave it. */
    const counting = (inner: VerdictRule) => {
      const candidates: number[] = [];
      const rule: VerdictRule = (row, history) => {
        candidates.push(history.sharingBands(row.fingerprint.bandKeys).length);
        return inner(row, history);
      };
      return { rule, candidates };
    };
    const review = 'The cast is superb, the story moving, and the ending made the whole theatre cheer loudly.';

    it('keeps rows rejected as repeats out of it: after 40 repeats a variant is compared with the one original', async () => {
      const { rule, candidates } = counting(moderationRule(DEFAULT_MODERATION));
      const store = await open({ verdictRule: rule });
      await store.insertReview(review, 1, 'api', { client: 'aaaaaaaaaaaaaaaa' });
      for (let k = 0; k < 40; k++)
        await store.insertReview(`${review.toUpperCase()}!!`, 0, 'api', { client: `${k}`.padStart(16, 'b') });

      await store.insertReview(`${review} Truly.`, 0, 'api', { client: 'cccccccccccccccc' });

      expect(candidates.at(-1)).toBe(1);
      expect((await logRows(store)).filter((row) => row.verdict === 'rejected')).toHaveLength(41);
    });

    it('reads at most CANDIDATES_PER_BAND rows per band, the newest, however many share it', async () => {
      const { rule, candidates } = counting(ACCEPT_EVERY_ROW);
      const store = await open({ verdictRule: rule });
      for (let k = 0; k < CANDIDATES_PER_BAND + 20; k++) await store.insertReview(review, 1, 'api');

      await store.insertReview(review, 1, 'api');

      expect(candidates.at(-1)).toBe(CANDIDATES_PER_BAND);
    });
  });

  describe('verdicts', () => {
    it('writes each row with the verdict its rule decides from the rows before it, and reads it back', async () => {
      // Arrange: a rule that rejects a text seen before and holds a client's third row.
      const seen: string[] = [];
      const store = await open({
        verdictRule: (row, history) => {
          seen.push(row.fingerprint.normalizedHash);
          const same = history.firstWithNormalizedHash(row.fingerprint.normalizedHash);
          if (same !== null) return { verdict: 'rejected', reason: `repeats row ${same}` };
          if (
            row.client !== null &&
            history.acceptedFromClientSince(row.client, clientWindowStart(row.date)).rows >= 2
          ) {
            return { verdict: 'held', reason: 'budget' };
          }
          return { verdict: 'accepted', reason: null };
        },
      });

      // Act
      await store.insertReview('The same words, posted again and again', 1, 'api', { client: 'a', date: '2024-01-02' });
      await store.insertReview('THE SAME words... posted again and AGAIN!!', 0, 'api', {
        client: 'b',
        date: '2024-01-02',
      });
      await store.insertReview('Different words entirely, only once', 1, 'api', { client: 'a', date: '2024-01-02' });
      await store.insertReview('A third text from the first client', 1, 'api', { client: 'a', date: '2024-01-02' });

      // Assert
      expect((await logRows(store)).map((row) => [row.verdict, row.verdictReason, row.client])).toEqual([
        ['accepted', null, 'a'],
        ['rejected', 'repeats row 1', 'b'],
        ['accepted', null, 'a'],
        ['held', 'budget', 'a'],
      ]);
      expect(seen).toHaveLength(4);
    });

    it('changes verdicts in order, and lists and filters the log for the operator', async () => {
      // Arrange
      const store = await open();
      const ids = [
        await store.insertReview('The first review of them all, quite positive.', 1, 'api', {
          client: 'aaaaaaaaaaaaaaaa',
        }),
        await store.insertReview('A second review with 100% of the_words different.', 0, 'api', {
          client: 'bbbbbbbbbbbbbbbb',
        }),
        await store.insertReview('A third review, from the first client again.', 0, 'api', {
          client: 'aaaaaaaaaaaaaaaa',
        }),
      ];

      // Act
      const changed = await store.changeVerdicts([ids[0], ids[2], 999], 'rejected', 'test');

      // Assert
      expect(changed).toEqual([ids[0], ids[2]]);
      expect(await store.verdictChangesAfter(0)).toEqual([
        { id: 1, reviewId: ids[0], verdict: 'rejected' },
        { id: 2, reviewId: ids[2], verdict: 'rejected' },
      ]);
      expect(await store.changeVerdicts([ids[0]], 'rejected', 'again')).toEqual([]);
      expect(await store.lastVerdictChangeId()).toBe(2);
      expect(await store.firstRowChangedAfter(1)).toBe(ids[2]);
      expect(await store.firstRowChangedAfter(2)).toBeNull();
      expect(await store.reviewIdsOfClient('aaaaaaaaaaaaaaaa')).toEqual([ids[0], ids[2]]);
      const listed = async (filter: ConsoleFilter, before?: number) =>
        (await listLog(store, filter, { limit: 10, before })).map((r) => r.id);
      expect(await listed({ verdict: 'rejected' })).toEqual([ids[2], ids[0]]);
      // Words, as the full-text index reads them: case and punctuation ignored, `w*` the start of a word.
      expect(await listed({ words: searchTerms('100%') })).toEqual([ids[1]]);
      expect(await listed({ words: searchTerms('the_w*') })).toEqual([ids[1]]);
      expect(await listed({ words: searchTerms('FIRST REVIEW') })).toEqual([ids[2], ids[0]]);
      expect(await listed({ sentiment: 0 }, ids[2])).toEqual([ids[1]]);
      expect(await store.getReview(ids[1])).toMatchObject({
        id: ids[1],
        client: 'bbbbbbbbbbbbbbbb',
        verdict: 'accepted',
        reason: null,
      });
      expect(await store.getReview(999)).toBeUndefined();
    });
  });

  describe('the phrase budget', () => {
    const NOW = '2026-03-01T12:00:00.000Z';
    const SHARED = 'the ending felt rushed';
    const sharedKey = fingerprint(SHARED).phraseKeys[1]; // "ending felt rushed"
    /** A review holding SHARED between words of its own, so no two are near-duplicates. */
    const holding = (k: number) => `Word${'abcdefghij'[k]}x told me ${SHARED} and ${'klmnopqrst'[k]}y agreed fully`;
    /** A rule that accepts every row and records what the store answers about the shared phrase. */
    const recording = () => {
      const answers: PhraseFeedback[][] = [];
      const rule: VerdictRule = Object.assign(
        (row: Parameters<VerdictRule>[0], history: Parameters<VerdictRule>[1]) => {
          if (row.push !== null) {
            const found = history.feedbackWithPhrasesSince(row.fingerprint.phraseKeys, clientWindowStart(row.date));
            answers.push(found.filter((sums) => sums.phrase === sharedKey));
          }
          return row.review.includes('hold me')
            ? { verdict: 'held' as const, reason: 'test' }
            : ACCEPT_EVERY_ROW(row, history);
        },
        { asksPhrases: true },
      );
      return { rule, answers };
    };
    /**
     * An answer on a prediction of `predicted` with `probability`, stored as `given`: a
     * correction when they differ. Its push is 1 - probability for a confirmation, probability
     * for a correction.
     */
    const answer = async (
      store: LogStore,
      text: string,
      predicted: 0 | 1,
      given: 0 | 1,
      { date = NOW, probability = 0.75 }: { date?: string; probability?: number } = {},
    ) => {
      const p = prediction({ review: text, sentiment: predicted, probability, createdAt: date });
      await store.insertPrediction(p);
      const outcome = await store.recordFeedback(p.id, given, 'api', { client: `client-${counter}`, date });
      if (outcome.status !== 'recorded') throw new Error(`feedback on ${p.id} was ${outcome.status}`);
      return outcome.reviewId;
    };

    it("sums the day's accepted answers holding a phrase, each by its push, by the label it gave, and no other row", async () => {
      // Arrange: two corrections to negative (pushes 0.75 and 1), one to positive (0.75), a
      // confirmation of negative (0.25); a held correction, an import and a correction of two
      // days ago, all holding the phrase, do not count.
      const { rule, answers } = recording();
      const store = await open({ verdictRule: rule });
      await answer(store, holding(0), 1, 0);
      await answer(store, holding(1), 1, 0, { probability: 1 });
      await answer(store, holding(2), 0, 1);
      await answer(store, holding(3), 0, 0);
      await answer(store, `${holding(4)} hold me`, 1, 0);
      await store.insertReview(holding(7), 0, 'import', { date: NOW });
      await answer(store, holding(5), 1, 0, { date: '2026-02-27T12:00:00.000Z' });

      // Act
      await answer(store, holding(6), 1, 0);

      // Assert
      expect(answers.at(-1)).toEqual([
        { phrase: sharedKey, toNegative: 0.75 + 1 + 0.25, toPositive: 0.75, squares: 0.5625 * 2 + 1 + 0.0625 },
      ]);
    });

    it("with the phrases' leans given, records for each phrase the larger of the prediction's push and a share of the push against its lean", async () => {
      // Arrange: the shared phrase's counts lean positive (0.9); no other phrase has a lean given.
      const { rule, answers } = recording();
      const store = await open({ verdictRule: rule });
      const leans = new Map([[sharedKey, 0.9]]);
      const answerWithLeans = async (k: number, given: 0 | 1) => {
        const p = prediction({ review: holding(k), sentiment: 0, probability: 0.95, createdAt: NOW });
        await store.insertPrediction(p);
        await store.recordFeedback(p.id, given, 'api', { client: `client-${k}`, date: NOW, phraseLeans: leans });
      };
      // Each answers a prediction of negative, 0.95 sure. A positive answer (a correction) pushes
      // by 0.95, more than a quarter of its push against the lean (1 - 0.9); a negative one (a
      // confirmation) by 0.05, less than a quarter of its push against the lean (0.9).
      await answerWithLeans(0, 1);
      await answerWithLeans(1, 0);

      // Act
      await answerWithLeans(2, 1);

      // Assert
      const [found] = answers.at(-1);
      expect(found.phrase).toBe(sharedKey);
      expect(found.toPositive).toBeCloseTo(0.95, 6);
      expect(found.toNegative).toBeCloseTo(LEAN_PUSH_WEIGHT * 0.9, 6);
      expect(found.squares).toBeCloseTo(0.95 ** 2 + (LEAN_PUSH_WEIGHT * 0.9) ** 2, 6);
    });

    it('stops counting an answer once an operator rejects it, and counts it again once accepted', async () => {
      const { rule, answers } = recording();
      const store = await open({ verdictRule: rule });
      const first = await answer(store, holding(0), 1, 0, { probability: 1 });
      await answer(store, holding(1), 1, 0, { probability: 1 });

      await store.changeVerdicts([first], 'rejected', 'by an operator');
      await answer(store, holding(2), 1, 0, { probability: 1 });
      await store.changeVerdicts([first], 'accepted', 'by an operator');
      await answer(store, holding(3), 1, 0, { probability: 1 });

      expect(answers.slice(-2)).toEqual([
        [{ phrase: sharedKey, toNegative: 1, toPositive: 0, squares: 1 }],
        [{ phrase: sharedKey, toNegative: 3, toPositive: 0, squares: 3 }],
      ]);
    });

    it('with the moderation rule, holds an answer once a phrase is over its budget, corrections and unsure confirmations alike', async () => {
      const store = await open({ verdictRule: moderationRule({ ...DEFAULT_MODERATION, phraseCorrectionsPerDay: 7 }) });

      // Five confident corrections (push 1 each), then unsure confirmations (push 0.5 each).
      const ids = [];
      for (let k = 0; k < 5; k++) ids.push(await answer(store, holding(k), 1, 0, { probability: 1 }));
      for (let k = 5; k < 10; k++) ids.push(await answer(store, holding(k), 0, 0, { probability: 0.5 }));

      const verdicts = await Promise.all(ids.map(async (id) => (await store.getReview(id))!.verdict));
      expect(verdicts).toEqual([...Array<string>(9).fill('accepted'), 'held']);
      expect((await store.getReview(ids[9]))!.reason).toBe(
        'phrase "told me the" already pushed toward negative by 7.00 corrections\' worth more than back in 24 hours (budget 7)',
      );
    });

    it('deletes the rows of phrases dated before a time, and only those', async () => {
      const { rule, answers } = recording();
      const store = await open({ verdictRule: rule });
      await answer(store, holding(0), 1, 0, { date: '2026-02-27T12:00:00.000Z', probability: 1 });
      await answer(store, holding(1), 1, 0, { date: '2026-02-28T12:00:00.000Z', probability: 1 });
      const phraseRows = fingerprint(holding(0)).phraseKeys.length;

      expect(await store.deletePhraseFeedbackBefore('2026-02-28T00:00:00.000Z', 3)).toBe(3);
      expect(await store.deletePhraseFeedbackBefore('2026-02-28T00:00:00.000Z', 1000)).toBe(phraseRows - 3);
      expect(await store.deletePhraseFeedbackBefore('2026-02-28T00:00:00.000Z', 1000)).toBe(0);
      // The newer row's phrases are still there: the budget still counts it, over any window.
      await answer(store, holding(2), 1, 0, { date: '2026-02-28T13:00:00.000Z' });
      expect(answers.at(-1)).toEqual([{ phrase: sharedKey, toNegative: 1, toPositive: 0, squares: 1 }]);
    });
  });

  describe('prediction writes', () => {
    it('writes a batch of predictions all or none', async () => {
      // Arrange
      const store = await open();
      const stored = prediction();
      await store.insertPrediction(stored);
      const fresh = prediction();

      // Act + Assert: the repeated id fails the whole batch, so `fresh` is not written either.
      await expect(async () => store.insertPredictions([fresh, stored])).rejects.toThrow(/already stored/);
      expect(await store.getPrediction(fresh.id)).toBeUndefined();
      await store.insertPredictions([fresh]);
      expect(await store.getPrediction(fresh.id)).toMatchObject({ id: fresh.id });
    });

    it('refuses a prediction id that is already stored', async () => {
      // Arrange
      const store = await open();
      const p = prediction();
      await store.insertPrediction(p);

      // Act + Assert
      await expect(async () => store.insertPrediction(p)).rejects.toThrow(/already stored/);
    });
  });
});

// SQLite only: its file (WAL journaling, read-only opening, the busy timeout) and its one write
// lock shared by processes. PostgreSQL's concurrent writers are in postgres-store.test.ts.
describe('SQLite files on disk', () => {
  let dir: string;
  const opened: LogStore[] = [];
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'movieclassifier-store-'));
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Open a store that afterEach closes. */
  function open(file = ':memory:', options?: Parameters<typeof openStore>[1]): LogStore {
    const store = openStore(file, options);
    opened.push(store);
    return store;
  }

  it('creates the parent folder and uses WAL journaling for a file database', async () => {
    // Arrange
    const file = path.join(dir, 'nested', 'deeper', 'reviews.sqlite');

    // Act
    const store = open(file);
    await store.insertReview('durable', 1, 'api');

    // Assert
    expect(store.path).toBe(file);
    expect(fs.existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('lets two processes record feedback on one file at the same time without errors or lost rows', async () => {
    // Arrange
    const file = path.join(dir, 'processes.sqlite');
    const setup = openStore(file);
    const predictions = Array.from({ length: 200 }, () => prediction());
    for (const p of predictions) await setup.insertPrediction(p);
    await setup.close();
    const worker = path.join(import.meta.dirname, 'concurrent-writer.ts');
    const startAt = String(Date.now() + 2000);
    const run = (ids: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', worker, file, startAt, ...ids]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });

    // Act
    const results = await Promise.all([
      run(predictions.filter((_, i) => i % 2 === 0).map((p) => p.id)),
      run(predictions.filter((_, i) => i % 2 === 1).map((p) => p.id)),
    ]);

    // Assert
    for (const result of results) {
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual(Array(100).fill('recorded'));
    }
    const store = open(file);
    const rows = await logRows(store);
    expect(rows.map((row) => row.id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(rows.map((row) => row.predictionId)).size).toBe(200);
    for (const p of predictions) {
      const linked = (await store.getPrediction(p.id))?.feedbackReviewId;
      expect(rows.find((row) => row.id === linked)?.predictionId).toBe(p.id);
    }
  });

  it('opens an existing database read-only for reading, and refuses writes', async () => {
    const file = path.join(dir, 'reviews.sqlite');
    const writer = open(file);
    await writer.insertReview('readable', 1, 'api');

    const reader = open(file, { readonly: true });

    expect((await logRows(reader)).map((row) => row.review)).toEqual(['readable']);
    await expect(async () => reader.insertReview('nope', 1, 'api')).rejects.toThrow(/readonly/i);
  });

  it('refuses a negative busy timeout', () => {
    expect(() => openStore(':memory:', { busyTimeoutMs: -1 })).toThrow(InvalidInputError);
  });
});
