import { describe, expect, it } from 'vitest';

import {
  feedbackApiRules,
  feedbackFormRules,
  predictApiRules,
  REVIEW_MAX_LENGTH,
  reviewRule,
  type RuleSet,
} from '../../src/web/validation.js';
import { afterRules } from '../helpers/validation.js';

const REVIEW = 'A wonderful, moving film with a superb cast.';

/** The rule set with its plain check, and its express-validator chain alone, leave the request the same. */
async function expectSameAsChain(
  rules: RuleSet,
  body: unknown,
  url?: string,
  params?: Record<string, string>,
): Promise<void> {
  expect(await afterRules(rules, body, url, params)).toEqual(await afterRules(rules.chain, body, url, params));
}

const REVIEWS: unknown[] = [
  REVIEW,
  `   ${REVIEW}\n\t `,
  '\u00a0\ufeff\u2028 ' + REVIEW + '\u3000\u205f',
  'a'.repeat(15),
  'a'.repeat(14),
  ` ${'a'.repeat(14)} `,
  'x'.repeat(REVIEW_MAX_LENGTH),
  'x'.repeat(REVIEW_MAX_LENGTH + 1),
  ` ${'x'.repeat(REVIEW_MAX_LENGTH)}`,
  `${'x'.repeat(REVIEW_MAX_LENGTH - 2)}\r\n`,
  `${'x'.repeat(REVIEW_MAX_LENGTH - 1)}\r\n`,
  `${'x'.repeat(REVIEW_MAX_LENGTH)}\r\n`,
  'line one\r\n'.repeat(1_100),
  '😀'.repeat(8),
  '😀'.repeat(15),
  'ab\uFE0F'.repeat(5),
  'ab\uFE0F'.repeat(8),
  '\uD800 lone surrogate, long enough',
  '😀'.repeat(REVIEW_MAX_LENGTH / 2),
  '😀'.repeat(REVIEW_MAX_LENGTH / 2 + 1),
  '',
  '      ',
  undefined,
  null,
  42,
  12345678901234568, // 17 digits, past Number.MAX_SAFE_INTEGER (written as the double it is, so no precision is lost)
  true,
  [REVIEW],
  [REVIEW, REVIEW],
  { text: REVIEW },
];

const named = (values: unknown[]): [string, unknown][] =>
  values.map((value) => [JSON.stringify(value)?.slice(0, 40) ?? 'undefined', value]);

describe('validation rules: the plain check accepts exactly what the express-validator chain accepts', () => {
  it.each(named(REVIEWS))(
    'reviewRule, form review %s: same first error, sanitized body and checked data',
    async (_name, review) => {
      await expectSameAsChain(reviewRule(), review === undefined ? { other: 'x' } : { review, _csrf: 't' });
    },
  );

  it.each(named(REVIEWS))('predictApiRules, JSON review %s: same outcome', async (_name, review) => {
    await expectSameAsChain(predictApiRules(), review === undefined ? {} : { review });
  });

  it.each([
    ['an unknown field', { review: REVIEW, label: 'positive' }],
    ['a nested unknown field', { review: REVIEW, meta: { a: 1, b: [2] } }],
    ['an unknown field and a short review', { review: 'short', label: 'x' }],
    ['a __proto__ key', JSON.parse(`{"review": ${JSON.stringify(REVIEW)}, "__proto__": {"a": 1}}`) as unknown],
    ['a toString key', { review: REVIEW, toString: 'x' }],
  ])('predictApiRules with %s: same outcome', async (_name, body) => {
    await expectSameAsChain(predictApiRules(), body);
  });

  it.each([
    [{ predictionId: '019ab3f2-6c1e-7a4d-9b2e-3f0c5d8e7a61', verdict: 'correct', _csrf: 't' }],
    [{ predictionId: 'abc_DEF-123', verdict: 'incorrect' }],
    [{ predictionId: 'x'.repeat(64), verdict: 'correct' }],
    [{ predictionId: 'x'.repeat(65), verdict: 'correct' }],
    [{ predictionId: 'has space', verdict: 'correct' }],
    [{ predictionId: '', verdict: 'correct' }],
    [{ predictionId: 42, verdict: 'correct' }],
    [{ predictionId: ['abc'], verdict: 'correct' }],
    [{ predictionId: 'abc', verdict: 'Correct' }],
    [{ predictionId: 'abc', verdict: ['correct'] }],
    [{ predictionId: 'abc', verdict: ['correct', 'incorrect'] }],
    [{ predictionId: 'abc' }],
    [{ verdict: 'correct' }],
    [{}],
  ])('feedbackFormRules with %j: same outcome', async (body) => {
    await expectSameAsChain(feedbackFormRules(), body);
  });

  it.each([
    [{ predictionId: 'abc', correct: true }],
    [{ correct: false, predictionId: 'abc' }],
    [{ predictionId: 'abc', correct: 'true' }],
    [{ predictionId: 'abc', correct: 1 }],
    [{ predictionId: 'abc', correct: null }],
    [{ predictionId: 'abc', correct: true, extra: 1 }],
    [{ predictionId: 'a b', correct: true }],
    [{ predictionId: 'abc' }],
    [{}],
  ])('feedbackApiRules with %j: same outcome', async (body) => {
    await expectSameAsChain(feedbackApiRules(), body);
  });
});

describe('validation rules: what they let through', () => {
  it('a valid review is trimmed in the body and handed on as the checked data', async () => {
    const after = await afterRules(reviewRule(), { review: `  ${REVIEW}\n`, _csrf: 't' });

    expect(after).toEqual({
      first: undefined,
      fields: [],
      data: { review: REVIEW },
      body: { review: REVIEW, _csrf: 't' },
    });
  });

  it('a review one character short gets the minimum-length message', async () => {
    const after = await afterRules(reviewRule(), { review: 'a'.repeat(14) });

    expect(after.first?.msg).toMatch(/at least 15 characters/);
    expect(after.data).toBeUndefined();
  });
});
