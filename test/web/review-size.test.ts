import fc from 'fast-check';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FORM_BODY_LIMIT, JSON_BODY_LIMIT } from '../../src/web/middleware/request-parsing.js';
import { REVIEW_MAX_LENGTH, reviewRule } from '../../src/web/validation.js';
import { makeApp, type TestApp } from '../helpers/app.js';
import { afterRules } from '../helpers/validation.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

/** The body a browser sends for the review form: line breaks as CR LF, then percent-encoded. */
function browserFormBody(review: string): string {
  const crlf = review.replace(/\r?\n|\r/g, '\r\n');
  return new URLSearchParams({ review: crlf, _csrf: 'x'.repeat(43) }).toString();
}

/** JSON as encoders that escape every non-ASCII character write it (Python's json.dumps default). */
function asciiJson(review: string): string {
  return JSON.stringify({ review }).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

async function accepted(review: string): Promise<boolean> {
  return (await afterRules(reviewRule(), { review })).first === undefined;
}

/** The longest reviews of each costly kind: every one has REVIEW_MAX_LENGTH characters as the form counts them. */
const LONGEST: [string, string][] = [
  ['Chinese', '好'.repeat(REVIEW_MAX_LENGTH)],
  ['Japanese with line breaks', 'これは映画です。\n'.repeat(REVIEW_MAX_LENGTH / 10)],
  ['emoji', '😀'.repeat(REVIEW_MAX_LENGTH / 2)],
  ['emoji with variation selectors', '❤\uFE0F'.repeat(REVIEW_MAX_LENGTH / 2)],
  ['ampersands and percent signs', '&%'.repeat(REVIEW_MAX_LENGTH / 2)],
];

describe('the longest reviews the validation accepts', () => {
  it.each(LONGEST)('%s: the form takes it whole (200, not 413) and stores every character', async (_kind, review) => {
    // Arrange
    expect(await accepted(review)).toBe(true);

    // Act
    const res = await request(t.app).post('/results').type('form').send(browserFormBody(review));

    // Assert
    expect(res.status).toBe(200);
    const predictionId = /name="predictionId" value="([^"]+)"/.exec(res.text)![1];
    expect((await t.store.getPrediction(predictionId))?.review).toBe(review.replace(/\n/g, '\r\n').trim());
  });

  it.each(LONGEST)('%s: the API takes it even with every character escaped', async (_kind, review) => {
    const res = await request(t.app)
      .post('/api/v1/predict')
      .set('content-type', 'application/json')
      .send(asciiJson(review));

    expect(res.status).toBe(200);
  });

  it('any text the validation accepts fits both body limits, however it is written', async () => {
    // Costly characters, and any other: each unit is one code point (a lone surrogate included).
    const unit = fc.oneof(
      fc.constantFrom('\n', '\r', '&', '+', ' ', '好', '😀', '\uFE0F', '\uD800'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    // Near the limit, where a text is longest on the wire and the count must be right.
    const text = fc.string({ unit, minLength: REVIEW_MAX_LENGTH - 200, maxLength: REVIEW_MAX_LENGTH + 20 });
    await fc.assert(
      fc.asyncProperty(text, async (review) => {
        if (!(await accepted(review))) return;
        expect(Buffer.byteLength(browserFormBody(review))).toBeLessThanOrEqual(FORM_BODY_LIMIT);
        expect(Buffer.byteLength(asciiJson(review))).toBeLessThanOrEqual(JSON_BODY_LIMIT);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses 10,001 characters', async () => {
    expect(await accepted('a'.repeat(REVIEW_MAX_LENGTH + 1))).toBe(false);
    expect(await accepted('😀'.repeat(REVIEW_MAX_LENGTH / 2) + 'a')).toBe(false);
  });
});
