import { mulberry32, shuffleInPlace } from '../corpus/random.js';
import type { LabelledDoc } from '../corpus/types.js';
import type { ModelSpec } from '../model/presets.js';
import { SentimentModel } from '../model/sentiment-model.js';
import type { Label } from '../model/types.js';
import type { SparseRow } from '../text/sparse-row.js';
import type { Folds } from './folds.js';
import { meanAndSe, scorePredictions, type Scores } from './metrics.js';

/** One recipe's model of one fold, scored on that fold. */
export interface FoldScore extends Scores {
  fold: number;
  trainDocs: number;
  /** Test reviews classified per second (tokenize, hash, score). */
  docsPerSecond: number;
}

export interface RecipeResult {
  folds: FoldScore[];
  /** Mean of the fold accuracies, and its standard error over the folds. */
  accuracy: number;
  se: number;
  /** Log loss and ECE of all the folds' predictions pooled. */
  logLoss: number;
  ece: number;
}

export interface PairedDifference {
  /** Mean over folds of (accuracy of the first recipe − accuracy of the second), and its SE. */
  mean: number;
  se: number;
}

export interface CrossValidationOptions {
  docs: readonly LabelledDoc[];
  folds: Folds;
  /** One recipe, or several to compare on the same folds (trained in turn on each fold). */
  specs: readonly ModelSpec[];
  /** Seed of every fold's training order. */
  seed: number;
  /** Called as each recipe of each fold is scored, in order. */
  onFold?: (recipe: number, score: FoldScore) => void;
}

/**
 * k-fold cross-validation: for each fold, each recipe is trained on the other folds' documents
 * exactly as `npm run train` trains it on them (`trainOnFeatures`) and scored on the fold's
 * documents through `predict`, as the app scores. Same documents, folds and seed give the same
 * numbers.
 */
export async function crossValidate({
  docs,
  folds,
  specs,
  seed,
  onFold,
}: CrossValidationOptions): Promise<RecipeResult[]> {
  const scores = specs.map(() => [] as FoldScore[]);
  const pooled = specs.map(() => ({ positive: new Float64Array(docs.length), labels: new Array<Label>(docs.length) }));
  const filled = specs.map(() => 0);
  const labels = docs.map((doc) => doc.label);
  const features = new Map<string, SparseRow[]>();
  const featuresOf = (spec: ModelSpec): SparseRow[] => {
    const key = JSON.stringify(spec.features);
    let rows = features.get(key);
    if (rows === undefined) {
      const hasher = SentimentModel.untrained({ ...spec, nbAlpha: null });
      rows = docs.map((doc) => hasher.rawFeatures(doc.text));
      features.set(key, rows);
    }
    return rows;
  };
  for (let f = 0; f < folds.k; f++) {
    const trainIndices = docs.flatMap((_, i) => (folds.fold[i] !== f ? [i] : []));
    const test = docs.filter((_, i) => folds.fold[i] === f);
    for (let r = 0; r < specs.length; r++) {
      const model = trainOnFeatures(specs[r], featuresOf(specs[r]), labels, trainIndices, seed);
      const { positive, seconds } = predictAll(model, test);
      const score: FoldScore = {
        fold: f,
        trainDocs: trainIndices.length,
        ...scorePredictions(
          positive,
          test.map((doc) => doc.label),
        ),
        docsPerSecond: test.length / seconds,
      };
      scores[r].push(score);
      pooled[r].positive.set(positive, filled[r]);
      test.forEach((doc, i) => (pooled[r].labels[filled[r] + i] = doc.label));
      filled[r] += test.length;
      onFold?.(r, score);
    }
  }
  return scores.map((folds, r) => {
    const { mean, se } = meanAndSe(folds.map((s) => s.accuracy));
    const all = scorePredictions(pooled[r].positive, pooled[r].labels);
    return { folds, accuracy: mean, se, logLoss: all.logLoss, ece: all.ece };
  });
}

/**
 * Trains a model on the documents at `indices` as `trainFromCorpus` does on a corpus of them, in
 * that order, with holdout 0: NB counts in a first pass, then each epoch in the order a memory
 * corpus streams them for seed + epoch. From their raw features, hashed once for every fold and
 * pass (the same rows the text would give), so the weights are the same to the bit.
 */
export function trainOnFeatures(
  spec: ModelSpec,
  rows: readonly SparseRow[],
  labels: readonly Label[],
  indices: readonly number[],
  seed: number,
): SentimentModel {
  const model = SentimentModel.untrained(spec);
  const training = model.batchTraining();
  if (spec.nbAlpha !== null) for (const i of indices) training.countFeatures(rows[i], labels[i]);
  for (let epoch = 1; epoch <= spec.epochs; epoch++) {
    for (const i of shuffleInPlace([...indices], mulberry32(seed + epoch))) training.stepFeatures(rows[i], labels[i]);
  }
  training.finish();
  return model;
}

/** Mean and SE over folds of the per-fold accuracy differences `a − b` (same folds). */
export function pairedDifference(a: RecipeResult, b: RecipeResult): PairedDifference {
  if (a.folds.length !== b.folds.length) {
    throw new RangeError(
      `paired difference over ${a.folds.length} and ${b.folds.length} folds; both recipes need the same folds.`,
    );
  }
  return meanAndSe(a.folds.map((s, f) => s.accuracy - b.folds[f].accuracy));
}

function predictAll(model: SentimentModel, docs: readonly LabelledDoc[]): { positive: Float64Array; seconds: number } {
  const positive = new Float64Array(docs.length);
  const started = performance.now();
  for (let i = 0; i < docs.length; i++) positive[i] = model.predict(docs[i].text).positiveProbability;
  return { positive, seconds: (performance.now() - started) / 1000 };
}
