import { memoryCorpus } from '../corpus/memory.js';
import type { LabelledDoc } from '../corpus/types.js';
import type { ModelSpec } from '../model/presets.js';
import type { SentimentModel } from '../model/sentiment-model.js';
import type { Label } from '../model/types.js';
import { trainFromCorpus } from '../training/train-from-corpus.js';
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
 * k-fold cross-validation: for each fold, each recipe is trained by `trainFromCorpus` (as `npm run
 * train` does) on the other folds' documents and scored on the fold's. Same documents, folds and
 * seed give the same numbers.
 */
export async function crossValidate({ docs, folds, specs, seed, onFold }: CrossValidationOptions): Promise<RecipeResult[]> {
  const scores = specs.map(() => [] as FoldScore[]);
  const pooled = specs.map(() => ({ positive: new Float64Array(docs.length), labels: new Array<Label>(docs.length) }));
  const filled = specs.map(() => 0);
  for (let f = 0; f < folds.k; f++) {
    const train = docs.filter((_, i) => folds.fold[i] !== f);
    const test = docs.filter((_, i) => folds.fold[i] === f);
    const corpus = memoryCorpus(train, `fold ${f + 1} of ${folds.k}: ${train.length} documents`);
    for (let r = 0; r < specs.length; r++) {
      const { model } = await trainFromCorpus({ corpus, spec: specs[r], holdout: 0, seed, checkSetSize: 0 });
      const { positive, seconds } = predictAll(model, test);
      const score: FoldScore = {
        fold: f,
        trainDocs: train.length,
        ...scorePredictions(positive, test.map((doc) => doc.label)),
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

/** Mean and SE over folds of the per-fold accuracy differences `a − b` (same folds). */
export function pairedDifference(a: RecipeResult, b: RecipeResult): PairedDifference {
  if (a.folds.length !== b.folds.length) {
    throw new RangeError(`paired difference over ${a.folds.length} and ${b.folds.length} folds; both recipes need the same folds.`);
  }
  return meanAndSe(a.folds.map((s, f) => s.accuracy - b.folds[f].accuracy));
}

function predictAll(model: SentimentModel, docs: readonly LabelledDoc[]): { positive: Float64Array; seconds: number } {
  const positive = new Float64Array(docs.length);
  const started = performance.now();
  for (let i = 0; i < docs.length; i++) positive[i] = model.predict(docs[i].text).positiveProbability;
  return { positive, seconds: (performance.now() - started) / 1000 };
}
