import { describe, expect, it } from 'vitest';

import { caseRequest, feedbackReview } from '../../tools/bench/load.js';
import { DEFAULT_MODERATION, moderationRule } from '../../src/moderation/index.js';
import { openStore } from '../../src/store/index.js';
import { DEFAULT_FEEDBACK_POOL, feedbackPoolSize, readBenchReview } from '../../tools/bench/run.js';
import { parseStartUpLines } from '../../tools/server-process.js';
import { startUpFacts } from '../../tools/bench/bench-server.js';
import { logRows } from '../helpers/stores.js';

describe('the bench review fixture', () => {
  it('is a review of about 1,000 characters that the form accepts', () => {
    const review = readBenchReview('test/fixtures/bench-review.txt');

    expect(review.length).toBeGreaterThanOrEqual(950);
    expect(review.length).toBeLessThanOrEqual(1050);
  });
});

describe('caseRequest', () => {
  const review = 'Great film & a "terrible" ending; 100% worth it.';

  it('posts the review form-encoded to /results and as JSON to the API', () => {
    const form = caseRequest('results', review);
    const api = caseRequest('predict', review);

    expect(form).toMatchObject({
      method: 'POST',
      path: '/results',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(new URLSearchParams(form.body).get('review')).toBe(review);
    expect(api).toMatchObject({
      method: 'POST',
      path: '/api/v1/predict',
      headers: { 'content-type': 'application/json' },
    });
    expect(JSON.parse(api.body!)).toEqual({ review });
    expect(caseRequest('get', review)).toEqual({ method: 'GET', path: '/' });
  });

  it('gives each feedback prediction its own wording of the same words, so moderation does not reject them as repeats', async () => {
    const texts = [0, 1, 2, 1000].map((n) => feedbackReview(review, n));
    const rule = moderationRule(DEFAULT_MODERATION);
    const store = openStore(':memory:', { verdictRule: rule });

    for (const text of texts) await store.insertReview(text, 1, 'bench');

    expect(new Set(texts).size).toBe(4);
    const sorted = (text: string) => text.split(/\s+/).filter(Boolean).sort().join(' ');
    for (const text of texts) expect(sorted(text)).toBe(sorted(review));
    expect((await logRows(store)).map((row) => row.verdict)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    await store.close();
  });
});

describe('feedbackPoolSize', () => {
  it('is 2 x the predict rate x the duration', () => {
    expect(feedbackPoolSize(10_000, 10, 16)).toBe(200_000);
  });

  it('is at least 100 predictions per connection', () => {
    expect(feedbackPoolSize(5, 2, 16)).toBe(1600);
  });

  it('falls back to 40,000 without a predict rate', () => {
    expect(feedbackPoolSize(undefined, 10, 16)).toBe(DEFAULT_FEEDBACK_POOL);
    expect(feedbackPoolSize(0, 10, 16)).toBe(DEFAULT_FEEDBACK_POOL);
  });
});

describe('startUpFacts of parseStartUpLines', () => {
  it("takes each worker's address, pid and model load time from the pino log, skipping request lines and a cut line", () => {
    // Arrange
    const log = [
      '{"level":30,"pid":101,"address":"http://127.0.0.1:4000","model":{"preset":"default","loadMs":180},"replay":{"folded":0,"ms":3},"msg":"listening"}',
      '{"level":30,"pid":101,"method":"GET","path":"/healthz","status":200,"ms":0.5,"msg":"request"}',
      '{"level":30,"pid":102,"address":"http://127.0.0.1:4000","model":{"loadMs":175},"replay":{"ms":2},"msg":"listening"}',
      '{"level":30,"pid":103,"address":"http://127.0.0.1:4000","mod',
    ].join('\n');

    // Act
    const lines = startUpFacts(parseStartUpLines(log));

    // Assert
    expect(lines).toEqual([
      { pid: 101, address: 'http://127.0.0.1:4000', modelLoadMs: 180, replayMs: 3 },
      { pid: 102, address: 'http://127.0.0.1:4000', modelLoadMs: 175, replayMs: 2 },
    ]);
  });
});
