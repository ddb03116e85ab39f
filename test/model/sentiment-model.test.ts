import { describe, expect, it } from 'vitest';
import { presetSpec, type ModelSpec } from '../../src/model/presets.js';
import { SentimentModel } from '../../src/model/sentiment-model.js';
import type { Label } from '../../src/model/types.js';
import { HashingVectorizer } from '../../src/text/hashing-vectorizer.js';
import { copyRow } from '../../src/text/sparse-row.js';
import { makeTestModel, miniImdbDocs, testSpec } from '../helpers/model.js';

const MIXED = 'The acting is excellent but the script is lazy and the final scene is a disappointment.';

/** The classic recipe in a small hash space. */
function classicTestSpec(): ModelSpec {
  const spec = presetSpec('classic');
  return { ...spec, features: { ...spec.features, nFeatures: 2 ** 16 } };
}

/** Interleaves positive and negative documents, so a short prefix holds both labels. */
function interleaved(docs: { text: string; label: Label }[]): { text: string; label: Label }[] {
  const pos = docs.filter((d) => d.label === 1);
  const neg = docs.filter((d) => d.label === 0);
  return pos.flatMap((d, k) => (k < neg.length ? [d, neg[k]] : [d]));
}

describe('SentimentModel', () => {
  it('classifies the held-out mini-imdb reviews correctly after training on the train split', () => {
    // Arrange
    const { model } = makeTestModel();
    const docs = miniImdbDocs('test');

    // Act
    const correct = docs.filter((d) => (model.predict(d.text).label === 'positive' ? 1 : 0) === d.label).length;

    // Assert
    expect(correct / docs.length).toBeGreaterThanOrEqual(0.9);
  });

  it('moves a review\'s probability toward the label it learns, for both labels', () => {
    // Arrange
    const towardPositive = makeTestModel().model;
    const towardNegative = makeTestModel().model;
    const before = towardPositive.positiveProbability(MIXED);
    const alsoBefore = towardNegative.positiveProbability(MIXED);

    // Act
    towardPositive.learn(MIXED, 1);
    towardNegative.learn(MIXED, 0);

    // Assert
    expect(alsoBefore).toBe(before);
    expect(before).toBeGreaterThan(0.05);
    expect(before).toBeLessThan(0.95);
    expect(towardPositive.positiveProbability(MIXED)).toBeGreaterThan(before);
    expect(towardNegative.positiveProbability(MIXED)).toBeLessThan(before);
  });

  it('learns online exactly as the batch path does (observe, then trainStep) given the same order', () => {
    // Arrange
    const online = makeTestModel().model;
    const batch = makeTestModel().model;
    const docs = interleaved(miniImdbDocs('test')).slice(0, 12);

    // Act: predictions in between, so any prediction cache must keep up with both paths.
    for (const doc of docs) {
      online.learn(doc.text, doc.label);
      batch.observe(batch.rawRow(doc.text), doc.label);
      batch.trainStep(batch.rawRow(doc.text), doc.label);
      expect(online.positiveProbability(doc.text)).toBe(batch.positiveProbability(doc.text));
    }

    // Assert
    expect(online.classifier.v).toEqual(batch.classifier.v);
    expect(online.classifier.scale).toBe(batch.classifier.scale);
    expect(online.classifier.intercept).toBe(batch.classifier.intercept);
    expect(online.classifier.t).toBe(batch.classifier.t);
    expect(online.nb?.positive).toEqual(batch.nb?.positive);
    expect(online.nb?.negative).toEqual(batch.nb?.negative);
  });

  it('learns online from scratch exactly as the batch path does, for the classic preset too', () => {
    // Arrange
    const docs = interleaved(miniImdbDocs('train')).slice(0, 20);
    for (const spec of [testSpec(), classicTestSpec()]) {
      const online = SentimentModel.untrained(spec);
      const batch = SentimentModel.untrained(spec);

      // Act
      for (const doc of docs) {
        online.learn(doc.text, doc.label);
        batch.observe(batch.rawRow(doc.text), doc.label);
        batch.trainStep(batch.rawRow(doc.text), doc.label);
      }

      // Assert
      expect(online.classifier.v).toEqual(batch.classifier.v);
      expect(online.classifier.intercept).toBe(batch.classifier.intercept);
      expect(online.positiveProbability(MIXED)).toBe(batch.positiveProbability(MIXED));
    }
  });

  it('predicts from a text what the classifier predicts from the text\'s finished row (up to float32 weights)', () => {
    // Arrange
    const { model } = makeTestModel();
    for (const doc of miniImdbDocs('test').slice(0, 5)) model.learn(doc.text, doc.label);

    // Act + Assert
    for (const doc of miniImdbDocs('test')) {
      const fused = model.decision(doc.text);
      const reference = model.classifier.decision(copyRow(model.row(doc.text)));
      expect(Math.abs(fused - reference)).toBeLessThan(1e-5 * Math.max(1, Math.abs(reference)));
    }
  });

  it('scales the default preset\'s rows by the NB ratios and then normalizes them to unit length', () => {
    // Arrange
    const { model } = makeTestModel();
    const raw = copyRow(model.rawRow(MIXED));

    // Act
    const row = copyRow(model.row(MIXED));

    // Assert
    let sumSquares = 0;
    for (let k = 0; k < row.length; k++) sumSquares += row.values[k] ** 2;
    expect(sumSquares).toBeCloseTo(1, 10);
    const ratio = model.nb?.ratio as Float32Array;
    let rawSquares = 0;
    for (let k = 0; k < raw.length; k++) rawSquares += (raw.values[k] * ratio[raw.indices[k]]) ** 2;
    expect(row.indices).toEqual(raw.indices);
    expect(row.values[0]).toBeCloseTo((raw.values[0] * ratio[raw.indices[0]]) / Math.sqrt(rawSquares), 12);
  });

  it('gives the classic preset the rows of an L2-normalizing HashingVectorizer (no NB scaling)', () => {
    // Arrange
    const spec = classicTestSpec();
    const model = SentimentModel.untrained(spec);
    const vectorizer = new HashingVectorizer(spec.features);

    // Act
    const row = copyRow(model.row(MIXED));
    const expected = vectorizer.transform(MIXED);

    // Assert
    expect(model.nb).toBeNull();
    expect(row).toEqual(copyRow(expected));
  });

  it('reports the predicted label with its probability and the positive probability', () => {
    // Arrange
    const { model } = makeTestModel();
    const [positive] = miniImdbDocs('test').filter((d) => d.label === 1);
    const [negative] = miniImdbDocs('test').filter((d) => d.label === 0);

    // Act
    const p = model.predict(positive.text);
    const n = model.predict(negative.text);

    // Assert
    expect(p.label).toBe('positive');
    expect(p.probability).toBe(p.positiveProbability);
    expect(n.label).toBe('negative');
    expect(n.probability).toBeCloseTo(1 - n.positiveProbability, 15);
    expect(n.probability).toBeGreaterThanOrEqual(0.5);
  });

  it('switches to the online step size when training finishes', () => {
    // Arrange
    const spec: ModelSpec = { ...testSpec(), onlineEta: 0.123 };
    const model = SentimentModel.untrained(spec);
    model.learn(MIXED, 1);

    // Act
    model.finishTraining();

    // Assert
    expect(model.classifier.settings.learningRate).toEqual({ kind: 'constant', eta0: 0.123 });
    expect(model.classifier.settings.average).toBe(false);
  });

  it('partialFit on texts equals one learn step per text, in order, NB counts included', () => {
    // Arrange
    const batch = makeTestModel().model;
    const stepwise = makeTestModel().model;
    const docs = miniImdbDocs('test').slice(0, 12);

    // Act
    batch.partialFit(
      docs.map((d) => d.text),
      docs.map((d) => (d.label === 1 ? 0 : 1) as Label),
    );
    for (const d of docs) stepwise.learn(d.text, (d.label === 1 ? 0 : 1) as Label);

    // Assert
    expect(batch.classifier.v).toEqual(stepwise.classifier.v);
    expect(batch.nb?.positive).toEqual(stepwise.nb?.positive);
    expect(batch.positiveProbability(docs[0]!.text)).toBe(stepwise.positiveProbability(docs[0]!.text));
    expect(() => batch.partialFit(['one text'], [])).toThrow(RangeError);
  });
});
