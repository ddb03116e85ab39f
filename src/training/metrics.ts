import type { Label } from '../model/types.js';

const EPSILON = 1e-15;

/** Scores of probabilistic predictions against labels. */
export interface Scores {
  n: number;
  accuracy: number;
  /** Mean negative log-likelihood of the true labels (natural log), probabilities clipped at 1e-15. */
  logLoss: number;
  /** Expected calibration error over `bins` equal-width bins of the predicted label's confidence. */
  ece: number;
}

/**
 * Accuracy, log loss and expected calibration error of positive-class probabilities. ECE (Guo et
 * al. 2017): each prediction's confidence, the probability of the label it predicts, falls in one
 * of `bins` equal-width bins of [0, 1]; ECE is the mean over bins of |accuracy − mean confidence|,
 * weighted by each bin's share of the predictions.
 */
export function scorePredictions(positive: ArrayLike<number>, labels: ArrayLike<Label>, bins = 10): Scores {
  const n = positive.length;
  const binCount = new Float64Array(bins);
  const binCorrect = new Float64Array(bins);
  const binConfidence = new Float64Array(bins);
  let correct = 0;
  let logLoss = 0;
  for (let i = 0; i < n; i++) {
    const p = positive[i];
    const label = labels[i];
    const predicted = p >= 0.5 ? 1 : 0;
    const hit = predicted === label ? 1 : 0;
    correct += hit;
    logLoss -= Math.log(Math.max(label === 1 ? p : 1 - p, EPSILON));
    const confidence = predicted === 1 ? p : 1 - p;
    const bin = Math.min(bins - 1, Math.floor(confidence * bins));
    binCount[bin]++;
    binCorrect[bin] += hit;
    binConfidence[bin] += confidence;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (binCount[b] > 0) ece += Math.abs(binCorrect[b] - binConfidence[b]) / n;
  }
  return { n, accuracy: n === 0 ? 0 : correct / n, logLoss: n === 0 ? 0 : logLoss / n, ece };
}

/** Mean and standard error of the mean (sample standard deviation / sqrt(n)). */
export function meanAndSe(values: readonly number[]): { mean: number; se: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, se: NaN };
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  if (n === 1) return { mean, se: NaN };
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}
