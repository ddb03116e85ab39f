import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Label } from '../../src/model/types.js';
import { makeTestModel, miniImdbDocs } from '../helpers/model.js';

// Words the test model knows (from its training reviews), and made-up ones it has never seen:
// the unseen ones are what dilutes the L2 norm once counted into the NB ratios.
const KNOWN = [...new Set(miniImdbDocs('train').flatMap((doc) => doc.text.toLowerCase().match(/[a-z']+/g) ?? []))];
const word = fc.oneof(fc.constantFrom(...KNOWN), fc.stringMatching(/^[a-z]{3,9}$/));
const review = fc.array(word, { minLength: 1, maxLength: 120 }).map((words) => words.join(' '));

describe('SentimentModel.learn from a confirmed prediction', () => {
  it('never lowers the probability of the label the reader confirmed, for that review', () => {
    fc.assert(
      fc.property(fc.array(review, { minLength: 1, maxLength: 6 }), (reviews) => {
        // One model through a reader's session: each review predicted, then confirmed "Correct".
        const { model } = makeTestModel();
        for (const text of reviews) {
          const before = model.predict(text);
          const label: Label = before.label === 'positive' ? 1 : 0;
          const confirmedBefore = label === 1 ? before.positiveProbability : 1 - before.positiveProbability;

          model.learn(text, label);

          const after = model.predict(text).positiveProbability;
          const confirmedAfter = label === 1 ? after : 1 - after;
          expect(confirmedAfter).toBeGreaterThanOrEqual(confirmedBefore);
        }
      }),
      { numRuns: 300, seed: 22 },
    );
  });

  it('keeps a confident review confident when it brings many unseen n-grams', () => {
    // Arrange: the most confidently positive training review, padded with words never seen.
    const { model } = makeTestModel();
    const text = `${miniImdbDocs('train').find((doc) => doc.label === 1)?.text} ${Array.from({ length: 80 }, (_, k) => `zq${k}x`).join(' ')}`;
    const before = model.predict(text).positiveProbability;

    // Act
    model.learn(text, 1);

    // Assert
    expect(before).toBeGreaterThan(0.5);
    expect(model.predict(text).positiveProbability).toBeGreaterThanOrEqual(before);
  });
});
