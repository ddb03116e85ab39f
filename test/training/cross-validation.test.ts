import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDocs, memoryCorpus, openCorpus } from '../../src/corpus/index.js';
import {
  crossValidate,
  pairedDifference,
  trainOnFeatures,
  type RecipeResult,
} from '../../src/training/cross-validation.js';
import { runCrossValidation } from '../../src/training/cv-report.js';
import { assignFolds } from '../../src/training/folds.js';
import { meanAndSe, scorePredictions } from '../../src/training/metrics.js';
import { recipeSpec } from '../../src/model/recipe.js';
import { SentimentModel } from '../../src/model/sentiment-model.js';
import { trainFromCorpus } from '../../src/training/train-from-corpus.js';
import { MINI_IMDB } from '../helpers/model.js';

const TRAIN = join(MINI_IMDB, 'train');
const SMALL = 'default:bits=16,epochs=3';

/** A recipe result with these fold accuracies (the rest does not enter a paired difference). */
function withAccuracies(accuracies: number[]): RecipeResult {
  const folds = accuracies.map((accuracy, fold) => ({
    fold,
    accuracy,
    n: 100,
    logLoss: 0,
    ece: 0,
    trainDocs: 900,
    docsPerSecond: 1,
  }));
  return { folds, ...meanAndSe(accuracies), accuracy: meanAndSe(accuracies).mean, logLoss: 0, ece: 0 };
}

async function report(options: { recipe: string; against?: string; seed?: number; k?: number }): Promise<string[]> {
  const lines: string[] = [];
  const corpus = await openCorpus(TRAIN);
  await runCrossValidation(
    { corpus, k: options.k ?? 3, recipe: options.recipe, against: options.against, seed: options.seed ?? 1 },
    (line) => lines.push(line),
  );
  return lines;
}

describe('scorePredictions', () => {
  it('computes accuracy, log loss and a 10-bin ECE on a known case', () => {
    // Arrange: four predictions at 0.9 for positive, three right: confidence 0.9, accuracy 0.75.
    // Two at 0.3 (predict negative with confidence 0.7), both right: accuracy 1 in the 0.7 bin.
    const positive = [0.9, 0.9, 0.9, 0.9, 0.3, 0.3];
    const labels = [1, 1, 1, 0, 0, 0] as const;

    // Act
    const scores = scorePredictions(positive, labels);

    // Assert
    expect(scores.accuracy).toBeCloseTo(5 / 6, 12);
    expect(scores.logLoss).toBeCloseTo(-(3 * Math.log(0.9) + Math.log(0.1) + 2 * Math.log(0.7)) / 6, 12);
    expect(scores.ece).toBeCloseTo((4 / 6) * 0.15 + (2 / 6) * 0.3, 12);
  });
});

describe('pairedDifference', () => {
  it('is the mean and standard error of the per-fold differences', () => {
    // Arrange: differences 0.05, 0, 0.10: mean 0.05, sample sd 0.05, SE 0.05 / sqrt(3).
    const a = withAccuracies([0.9, 0.8, 0.7]);
    const b = withAccuracies([0.85, 0.8, 0.6]);

    // Act
    const paired = pairedDifference(a, b);

    // Assert
    expect(paired.mean).toBeCloseTo(0.05, 12);
    expect(paired.se).toBeCloseTo(0.05 / Math.sqrt(3), 12);
  });

  it('is smaller in SE than the unpaired comparison when folds vary together', () => {
    // Arrange: b is a minus 0.01 on every fold, folds differing by 10 points.
    const a = withAccuracies([0.95, 0.85, 0.75, 0.9]);
    const b = withAccuracies([0.94, 0.84, 0.74, 0.89]);

    // Act
    const paired = pairedDifference(a, b);

    // Assert
    expect(paired.mean).toBeCloseTo(0.01, 12);
    expect(paired.se).toBeLessThan(1e-12);
    expect(a.se).toBeGreaterThan(0.03);
  });
});

describe('trainOnFeatures', () => {
  it('trains the same weights, to the bit, as trainFromCorpus on a corpus of the same documents', async () => {
    // Arrange
    const docs = (await loadDocs(await openCorpus(TRAIN))).filter((_, i) => i % 3 !== 0);
    const spec = recipeSpec(SMALL);
    const hasher = SentimentModel.untrained(spec);
    const rows = docs.map((doc) => hasher.rawFeatures(doc.text));

    // Act
    const fromFeatures = trainOnFeatures(
      spec,
      rows,
      docs.map((doc) => doc.label),
      docs.map((_, i) => i),
      5,
    );
    const fromCorpus = await trainFromCorpus({
      corpus: memoryCorpus(docs, 'docs'),
      spec,
      holdout: 0,
      seed: 5,
      checkSetSize: 0,
    });

    // Assert
    const a = fromFeatures.state();
    const b = fromCorpus.model.state();
    expect(a.classifier.intercept).toBe(b.classifier.intercept);
    expect(a.classifier.scale).toBe(b.classifier.scale);
    expect(Buffer.from(a.classifier.rawWeights.buffer).equals(Buffer.from(b.classifier.rawWeights.buffer))).toBe(true);
    expect(a.nb?.positive).toEqual(b.nb?.positive);
    expect(a.classifier.rawWeights.some((w) => w !== 0)).toBe(true);
  });
});

describe('crossValidate', () => {
  it('trains every fold on the other folds only and scores each document once', async () => {
    // Arrange
    const docs = await loadDocs(await openCorpus(TRAIN));
    const folds = assignFolds(docs, 4, 1);

    // Act
    const [result] = await crossValidate({ docs, folds, specs: [recipeSpec(SMALL)], seed: 1 });

    // Assert
    expect(result.folds.map((f) => [f.trainDocs, f.n])).toEqual([
      [90, 30],
      [90, 30],
      [90, 30],
      [90, 30],
    ]);
    expect(result.accuracy).toBeGreaterThan(0.9);
  });

  it('gives the same report for the same seed, and another training order for another seed', async () => {
    // Act
    const first = await report({ recipe: SMALL, seed: 7 });
    const again = await report({ recipe: SMALL, seed: 7 });
    const other = await report({ recipe: SMALL, seed: 8 });

    // Assert: the speed aside, every line is the same.
    const withoutSpeed = (lines: string[]): string[] => lines.map((line) => line.replace(/ docs_per_s=\d+/, ''));
    expect(withoutSpeed(again)).toEqual(withoutSpeed(first));
    expect(withoutSpeed(other).at(-1)).not.toEqual(withoutSpeed(first).at(-1));
    expect(first.at(-1)).toMatch(/^cv_accuracy=\d\.\d{4} cv_se=\d\.\d{4} logloss=\d\.\d{4} ece=\d\.\d{4} k=3$/);
    expect(first[1]).toMatch(/^folds=id-ranges /);
  });

  it('prints the paired difference of two recipes on the same folds, matching their fold lines', async () => {
    // Act
    // Classic in 8 hashed features confuses words; it scores 0.65–0.8 where SMALL scores 1.
    const lines = await report({ recipe: SMALL, against: 'classic:bits=3' });

    // Assert
    const accuracies = (recipe: 'a' | 'b'): number[] =>
      lines.filter((l) => l.includes(` recipe=${recipe} `)).map((l) => Number(/ accuracy=(\S+)/.exec(l)?.[1]));
    const [a, b] = [accuracies('a'), accuracies('b')];
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(3);
    const expected = meanAndSe(a.map((x, f) => x - b[f]));
    const printed = /^paired_difference=([+-]\d\.\d{4}) se=(\d\.\d{4}) /.exec(lines.at(-2) ?? '');
    expect(printed).not.toBeNull();
    expect(Number(printed?.[1])).toBeCloseTo(expected.mean, 3);
    expect(Number(printed?.[2])).toBeCloseTo(expected.se, 3);
    expect(expected.mean).toBeGreaterThan(0.1);
    expect(expected.se).toBeGreaterThan(0.01);
  });
});
