import { describe, expect, it } from 'vitest';
import { LogisticRegression } from '../../src/model/logistic-regression.js';
import { NbScaling } from '../../src/model/nb-scaling.js';
import { presetSpec, type ModelSpec } from '../../src/model/presets.js';
import { SentimentModel, type ModelState } from '../../src/model/sentiment-model.js';
import type { Label } from '../../src/model/types.js';
import { HashingVectorizer, normalizeL2 } from '../../src/text/hashing-vectorizer.js';
import { copyRow, type SparseRow } from '../../src/text/sparse-row.js';
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

const probability = (model: SentimentModel, text: string): number => model.predict(text).positiveProbability;

/** The decision value w·x + b behind a prediction, recovered from its probability. */
function decisionOf(model: SentimentModel, text: string): number {
  const p = probability(model, text);
  return Math.log(p) - Math.log1p(-p);
}

/** A copy that owns its arrays, as a model file gives back. */
function copyOf(state: ModelState): ModelState {
  return structuredClone(state);
}

/** The raw (unscaled, unnormalized) features of `text` under a model's feature settings. */
function rawRow(spec: ModelSpec, text: string): SparseRow {
  return copyRow(new HashingVectorizer({ ...spec.features, l2Normalize: false }).transform(text));
}

/** w·x + b of a finished row, computed in float64 from the model's state, apart from the model. */
function referenceDecision(model: SentimentModel, row: SparseRow): number {
  return LogisticRegression.restore(copyOf(model.state()).classifier).decision(row);
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

  it("moves a review's probability toward the label it learns, for both labels", () => {
    // Arrange
    const towardPositive = makeTestModel().model;
    const towardNegative = makeTestModel().model;
    const before = probability(towardPositive, MIXED);
    const alsoBefore = probability(towardNegative, MIXED);

    // Act
    towardPositive.learn(MIXED, 1);
    towardNegative.learn(MIXED, 0);

    // Assert
    expect(alsoBefore).toBe(before);
    expect(before).toBeGreaterThan(0.05);
    expect(before).toBeLessThan(0.95);
    expect(probability(towardPositive, MIXED)).toBeGreaterThan(before);
    expect(probability(towardNegative, MIXED)).toBeLessThan(before);
  });

  it('learns online exactly as batch training does (count, then step), unless that would lower the learned label', () => {
    // Arrange: each review learned by a fresh trained model, online and as a batch step.
    const docs = interleaved(miniImdbDocs('test')).slice(0, 8);
    let kept = 0;
    for (const doc of docs) {
      const online = makeTestModel().model;
      const batch = makeTestModel().model;
      const training = batch.batchTraining();
      const sign = doc.label === 1 ? 1 : -1;
      const before = decisionOf(online, doc.text);

      // Act
      online.learn(doc.text, doc.label);
      training.count(doc.text, doc.label);
      training.step(doc.text, doc.label);

      // Assert: the same NB counts and step; where the step alone lowered the learned label's
      // decision (new n-grams diluting the norm), online learning gave it back, and only then.
      const [learned, trained] = [online.state(), batch.state()];
      expect(learned.nb?.positive).toEqual(trained.nb?.positive);
      expect(learned.nb?.negative).toEqual(trained.nb?.negative);
      expect(learned.classifier.intercept).toBe(trained.classifier.intercept);
      expect(learned.classifier.samplesSeen).toBe(trained.classifier.samplesSeen);
      if (sign * (decisionOf(batch, doc.text) - before) >= 0) {
        expect(learned.classifier.rawWeights).toEqual(trained.classifier.rawWeights);
        expect(probability(online, doc.text)).toBe(probability(batch, doc.text));
      } else {
        kept++;
        expect(sign * (decisionOf(online, doc.text) - before)).toBeGreaterThanOrEqual(0);
      }
    }
    // Both cases happen among these reviews.
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(docs.length);
  }, 60_000);

  it('learns online from scratch exactly as batch training does, for the classic preset too', () => {
    // Arrange
    const docs = interleaved(miniImdbDocs('train')).slice(0, 20);
    for (const spec of [testSpec(), classicTestSpec()]) {
      const online = SentimentModel.untrained(spec);
      const batch = SentimentModel.untrained(spec);
      const training = batch.batchTraining();

      // Act
      for (const doc of docs) {
        online.learn(doc.text, doc.label);
        training.count(doc.text, doc.label);
        training.step(doc.text, doc.label);
      }

      // Assert
      expect(online.state().classifier.rawWeights).toEqual(batch.state().classifier.rawWeights);
      expect(online.state().classifier.intercept).toBe(batch.state().classifier.intercept);
      expect(probability(online, MIXED)).toBe(probability(batch, MIXED));
    }
  });

  it("predicts from a text what the classifier predicts from the text's finished row (up to float32 weights)", () => {
    // Arrange
    const { model } = makeTestModel();
    for (const doc of miniImdbDocs('test').slice(0, 5)) model.learn(doc.text, doc.label);
    const nb = new NbScaling(
      model.spec.features.nFeatures,
      model.spec.nbAlpha as number,
      copyOf(model.state()).nb ?? undefined,
    );

    // Act + Assert
    for (const doc of miniImdbDocs('test')) {
      const fused = decisionOf(model, doc.text);
      const row = rawRow(model.spec, doc.text);
      nb.scale(row);
      normalizeL2(row);
      const reference = referenceDecision(model, row);
      expect(Math.abs(fused - reference)).toBeLessThan(1e-5 * Math.max(1, Math.abs(reference)));
    }
  });

  it("scales the default preset's features by the NB ratios and then normalizes them to unit length", () => {
    // Arrange
    const { model } = makeTestModel();
    const { nb: counts } = copyOf(model.state());
    const nb = new NbScaling(model.spec.features.nFeatures, model.spec.nbAlpha as number, counts ?? undefined);
    const raw = rawRow(model.spec, MIXED);
    const ratio = (j: number): number => nb.ratio[j] + nb.offset;

    // Act
    const decision = decisionOf(model, MIXED);

    // Assert: NB scaling then L2 gives the model's decision; the other order does not.
    const scaledThenNormalized = copyRow(raw);
    for (let k = 0; k < raw.length; k++) scaledThenNormalized.values[k] = raw.values[k] * ratio(raw.indices[k]);
    normalizeL2(scaledThenNormalized);
    let sumSquares = 0;
    for (let k = 0; k < raw.length; k++) sumSquares += scaledThenNormalized.values[k] ** 2;
    expect(sumSquares).toBeCloseTo(1, 10);
    const normalizedThenScaled = copyRow(raw);
    normalizeL2(normalizedThenScaled);
    for (let k = 0; k < raw.length; k++) normalizedThenScaled.values[k] *= ratio(raw.indices[k]);
    const expected = referenceDecision(model, scaledThenNormalized);
    expect(Math.abs(decision - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
    expect(Math.abs(decision - referenceDecision(model, normalizedThenScaled))).toBeGreaterThan(1e-3);
  });

  it('gives the classic preset the rows of an L2-normalizing HashingVectorizer (no NB scaling)', () => {
    // Arrange
    const spec = classicTestSpec();
    const model = SentimentModel.untrained(spec);
    for (const doc of interleaved(miniImdbDocs('train')).slice(0, 20)) model.learn(doc.text, doc.label);
    const vectorizer = new HashingVectorizer(spec.features);

    // Act
    const decision = decisionOf(model, MIXED);

    // Assert
    expect(model.state().nb).toBeNull();
    const expected = referenceDecision(model, copyRow(vectorizer.transform(MIXED)));
    expect(Math.abs(expected)).toBeGreaterThan(1e-3);
    expect(Math.abs(decision - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
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
    model.batchTraining().finish();

    // Assert
    expect(model.state().classifier.settings.learningRate).toEqual({ kind: 'constant', eta0: 0.123 });
    expect(model.state().classifier.settings.average).toBe(false);
  });
});

describe('SentimentModel.restore', () => {
  it('brings back a model that predicts and goes on learning exactly as the one its state came from (default and classic presets)', () => {
    // Arrange: models that have learned online, so the weight scale is below 1.
    const trained = makeTestModel().model;
    const classic = SentimentModel.untrained(classicTestSpec());
    const docs = interleaved(miniImdbDocs('train')).slice(0, 20);
    for (const doc of docs) classic.learn(doc.text, doc.label);
    const feedback = miniImdbDocs('test');
    for (const original of [trained, classic]) {
      for (const doc of feedback.slice(0, 4)) original.learn(doc.text, doc.label);

      // Act
      const restored = SentimentModel.restore(original.spec, copyOf(original.state()));

      // Assert
      expect(original.state().classifier.scale).toBeLessThan(1);
      expect(restored.state()).toEqual(original.state());
      expect(feedback.map((d) => probability(restored, d.text))).toEqual(
        feedback.map((d) => probability(original, d.text)),
      );
      for (const doc of feedback.slice(4, 10)) {
        original.learn(doc.text, doc.label);
        restored.learn(doc.text, doc.label);
      }
      expect(restored.state()).toEqual(original.state());
      expect(feedback.map((d) => probability(restored, d.text))).toEqual(
        feedback.map((d) => probability(original, d.text)),
      );
    }
  });

  it('refuses a state that does not fit the spec, saying what differs', () => {
    // Arrange
    const state = copyOf(makeTestModel().model.state());
    const spec = testSpec();

    // Act + Assert
    expect(() =>
      SentimentModel.restore({ ...spec, features: { ...spec.features, nFeatures: 2 ** 10 } }, state),
    ).toThrow(/65536 weights; the spec has 1024 features/);
    expect(() => SentimentModel.restore({ ...spec, nbAlpha: null }, state)).toThrow(/NB/);
    expect(() => SentimentModel.restore(spec, { ...state, classifier: { ...state.classifier, scale: 0 } })).toThrow(
      /scale 0/,
    );
  });
});

describe('SentimentModel.countLean', () => {
  it('reads how often documents holding the n-grams were positive, from the counts: 0.5 for none seen or no n-gram', () => {
    // Arrange: "superb acting" only in positive reviews, "dreadful plot" only in negative ones,
    // "the film" in both alike.
    const model = SentimentModel.untrained(testSpec());
    for (let k = 0; k < 4; k++) {
      model.learn(`the film had superb acting ${k}`, 1);
      model.learn(`the film had a dreadful plot ${k}`, 0);
    }

    // Act + Assert
    expect(model.countLean('superb acting')).toBeGreaterThan(0.75);
    expect(model.countLean('dreadful plot')).toBeLessThan(0.25);
    expect(model.countLean('the film')).toBeCloseTo(0.5, 6);
    expect(model.countLean('never seen words')).toBeCloseTo(0.5, 6);
    expect(model.countLean('')).toBe(0.5);
  });

  it('moves toward a label as reviews with the n-grams are learned with it', () => {
    const model = makeTestModel().model;
    const before = model.countLean('really loved it')!;

    for (let k = 0; k < 20; k++) model.learn(`honestly I really loved it, take ${k}`, 0);

    expect(model.countLean('really loved it')).toBeLessThan(before);
  });

  it('is null for a model that keeps no NB counts', () => {
    expect(SentimentModel.untrained(presetSpec('classic')).countLean('superb acting')).toBeNull();
  });
});
