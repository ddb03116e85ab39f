import { describe, expect, it } from 'vitest';
import { explain } from '../../src/model/explain.js';
import { presetSpec } from '../../src/model/presets.js';
import { SentimentModel } from '../../src/model/sentiment-model.js';
import { makeTestModel, miniImdbDocs } from '../helpers/model.js';

const EVERYTHING = 1_000_000;

/** The model's decision value minus the intercept (what the contributions split up), from its probability. */
function decisionWithoutIntercept(model: SentimentModel, text: string): number {
  const p = model.predict(text).positiveProbability;
  return Math.log(p) - Math.log1p(-p) - model.state().classifier.intercept;
}

/** A classic-preset model (stop words removed, unigrams, alternate signs) trained on mini-imdb. */
function classicModel(): SentimentModel {
  const spec = presetSpec('classic');
  const model = SentimentModel.untrained({ ...spec, features: { ...spec.features, nFeatures: 2 ** 16 } });
  const docs = miniImdbDocs('train');
  for (let k = 0; k < docs.length; k++) {
    const doc = docs[(k * 7919) % docs.length];
    model.learn(doc.text, doc.label);
  }
  return model;
}

const TEXTS = [
  'A wonderful, moving film. <br /><br />I loved it!',
  "The script is lazy, clumsy and full of clichés.<br />A poor film; don't bother :-(",
  'Naïve <i>café</i> scene, 日本語 subtitles 😀 and İstanbul — cafe\u0301 wonderful :-)',
  '<p>Tag<b>inside</b>word</p> and 𝐁𝐨𝐥𝐝 letters, “quotes”, tabs\tand\r\nnew lines.',
  '',
  '   ',
  ...miniImdbDocs('test')
    .slice(0, 4)
    .map((d) => d.text),
];

describe('explain', () => {
  it('has contributions that sum to the decision value minus the intercept (default preset)', () => {
    // Arrange
    const { model } = makeTestModel();

    for (const text of TEXTS) {
      // Act
      const { contributions } = explain(model, text, { top: EVERYTHING });

      // Assert
      const sum = contributions.reduce((total, c) => total + c.weight, 0);
      expect(Math.abs(sum - decisionWithoutIntercept(model, text))).toBeLessThan(1e-9);
    }
  });

  it('has contributions that sum to the decision value minus the intercept (classic preset, stop words removed)', () => {
    // Arrange
    const model = classicModel();

    for (const text of TEXTS) {
      // Act
      const { contributions } = explain(model, text, { top: EVERYTHING });

      // Assert
      const sum = contributions.reduce((total, c) => total + c.weight, 0);
      expect(Math.abs(sum - decisionWithoutIntercept(model, text))).toBeLessThan(1e-9);
    }
  });

  it('gives segments that concatenate to the original text exactly, including HTML, Unicode and emoticons', () => {
    // Arrange
    const models = [makeTestModel().model, classicModel()];

    for (const model of models) {
      for (const text of TEXTS) {
        // Act
        const { segments } = explain(model, text);

        // Assert
        expect(segments.map((s) => s.text).join('')).toBe(text);
      }
    }
  });

  it('spreads the whole decision over the words when the text aligns with its tokens', () => {
    // Arrange
    const { model } = makeTestModel();
    const text = TEXTS[0];

    // Act
    const { segments } = explain(model, text);

    // Assert
    const sum = segments.reduce((total, s) => total + s.weight, 0);
    expect(Math.abs(sum - decisionWithoutIntercept(model, text))).toBeLessThan(1e-9);
    expect(segments.find((s) => s.text === '<br /><br />')?.weight ?? 0).toBe(0);
  });

  it('gives a strongly positive word a positive weight and a strongly negative word a negative one', () => {
    // Arrange
    const { model } = makeTestModel();

    // Act
    const positive = explain(model, 'What a wonderful film.');
    const negative = explain(model, 'What a lazy film.');

    // Assert
    expect(positive.contributions.find((c) => c.term === 'wonderful')?.weight).toBeGreaterThan(0);
    expect(positive.segments.find((s) => s.text === 'wonderful')?.weight).toBeGreaterThan(0);
    expect(negative.contributions.find((c) => c.term === 'lazy')?.weight).toBeLessThan(0);
    expect(negative.segments.find((s) => s.text === 'lazy')?.weight).toBeLessThan(0);
  });

  it('weights each word where the scanner found it, so a word joined to the next by a tag leaves only that pair unweighted', () => {
    // Arrange: "R<br /><br />Hey" is one token, "rhey", as in the classic recipe.
    const { model } = makeTestModel();
    const text = 'Zombie Nation R<br /><br />Hey, what a wonderful film.';

    // Act
    const { segments } = explain(model, text);

    // Assert
    expect(segments.find((s) => s.text.includes('R<br /><br />Hey'))?.weight).toBe(0);
    expect(segments.find((s) => s.text === 'wonderful')?.weight).toBeGreaterThan(0);
    expect(segments.find((s) => s.text === 'Zombie')?.weight).not.toBe(0);
  });

  it('comes with the same prediction as the model makes for the text', () => {
    // Arrange
    const { model } = makeTestModel();

    for (const text of TEXTS) {
      // Act
      const { prediction } = explain(model, text);

      // Assert
      expect(prediction).toEqual(model.predict(text));
    }
  });

  it('without segments, gives the same prediction and terms and lays nothing onto the text', () => {
    const { model } = makeTestModel();

    for (const text of TEXTS) {
      const whole = explain(model, text);
      const bare = explain(model, text, { segments: false });

      expect(bare).toEqual({ ...whole, segments: [] });
      expect(whole.segments.length > 0).toBe(text.length > 0);
    }
  });

  it('returns at most `top` contributions, strongest first', () => {
    // Arrange
    const { model } = makeTestModel();
    const text = miniImdbDocs('test')[0].text;

    // Act
    const { contributions } = explain(model, text, { top: 5 });
    const all = explain(model, text, { top: EVERYTHING }).contributions;

    // Assert
    expect(contributions).toHaveLength(5);
    expect(contributions).toEqual(all.slice(0, 5));
    for (let k = 1; k < all.length; k++)
      expect(Math.abs(all[k - 1].weight)).toBeGreaterThanOrEqual(Math.abs(all[k].weight));
  });

  it('explains empty text with no contributions and the text itself as the only segment', () => {
    // Arrange
    const { model } = makeTestModel();

    // Act
    const empty = explain(model, '');
    const blank = explain(model, '  <br />  ');

    // Assert
    expect(empty).toMatchObject({ contributions: [], segments: [] });
    expect(blank.contributions).toEqual([]);
    expect(blank.segments).toEqual([{ text: '  <br />  ', weight: 0 }]);
  });
});
