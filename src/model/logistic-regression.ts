import { InvalidInputError } from '../errors.js';
import type { SparseRow } from '../text/sparse-row.js';
import type { Label } from './types.js';

/** How the step size falls with the number of samples seen. */
export type LearningRate =
  /** scikit-learn's "optimal": eta = 1 / (alpha * (t0 + t - 1)), t0 from Bottou's heuristic. */
  | { kind: 'optimal' }
  /** eta = eta0 / (1 + alpha * eta0 * t) ** power — Bottou's recommendation for averaged SGD. */
  | { kind: 'invscaling'; eta0: number; power: number }
  | { kind: 'constant'; eta0: number };

export interface SgdSettings {
  /** L2 penalty strength (scikit-learn's alpha). */
  alpha: number;
  learningRate: LearningRate;
  /**
   * Multiplier of the intercept's step. scikit-learn uses 0.01 for sparse input so the
   * intercept, touched by every sample, does not oscillate.
   */
  interceptDecay: number;
  /** Keep a running average of the weights (averaged SGD); predictions use the average. */
  average: boolean;
}

// sklearn's _plain_sgd rescales when the weight scale gets this small, to keep precision.
const MIN_SCALE = 1e-9;
// Beyond |z| = 18 the logistic loss's derivative is exp(-z) to double precision (sklearn).
const LOSS_CUTOFF = 18;

/**
 * Binary logistic regression learned by stochastic gradient descent on sparse rows.
 *
 * Weights are kept as `scale * v`, so the L2 decay of every weight at every step is one multiply
 * of `scale` and an update costs O(non-zeros of the row), not O(n_features) — as in
 * scikit-learn's SGD. Averaged SGD uses the same trick: the running sum of weight vectors is
 * `S * v - u`, with `S` the running sum of scales and `u` updated only where v changes.
 *
 * Labels are 0/1; internally y = ±1 as scikit-learn does.
 */
export class LogisticRegression {
  readonly nFeatures: number;
  settings: SgdSettings;
  /** Raw weights; the real weight of feature j is `scale * v[j]`. */
  v: Float64Array;
  scale = 1;
  intercept = 0;
  /** Samples seen (scikit-learn's t_ - 1). */
  t = 0;
  /** Bumped whenever every weight changes at once (rescale, finishing averaging). */
  generation = 0;
  // Averaged-SGD state; null when not averaging.
  private u: Float64Array | null = null;
  private scaleSum = 0;
  private interceptSum = 0;
  private readonly optimalInit: number;

  constructor(nFeatures: number, settings: SgdSettings, weights?: Float64Array, intercept = 0) {
    this.nFeatures = nFeatures;
    this.settings = settings;
    this.v = weights ?? new Float64Array(nFeatures);
    this.intercept = intercept;
    if (settings.average) this.u = new Float64Array(nFeatures);
    // Bottou's heuristic as in sklearn: typw = sqrt(1/sqrt(alpha)), eta0 = typw / max(1, |dloss(-typw, 1)|).
    const typw = Math.sqrt(1 / Math.sqrt(settings.alpha));
    const eta0 = typw / Math.max(1, Math.abs(dloss(-typw, 1)));
    this.optimalInit = 1 / (eta0 * settings.alpha);
    if (settings.learningRate.kind === 'optimal' && !(settings.alpha > 0)) {
      throw new InvalidInputError(
        `the "optimal" learning rate needs an L2 penalty alpha > 0 (it is 1 / (alpha * t)); got alpha=${settings.alpha}. Use alpha 1e-4 or a constant learning rate.`,
      );
    }
  }

  /** Step size for the next sample. */
  learningRate(): number {
    const { alpha, learningRate } = this.settings;
    const t = this.t + 1;
    switch (learningRate.kind) {
      case 'optimal':
        return 1 / (alpha * (this.optimalInit + t - 1));
      case 'invscaling':
        return learningRate.eta0 / Math.pow(1 + alpha * learningRate.eta0 * t, learningRate.power);
      case 'constant':
        return learningRate.eta0;
    }
  }

  /** Decision value w·x + b with the current (not averaged) weights. */
  decision(row: SparseRow): number {
    const { indices, values, length } = row;
    const v = this.v;
    let dot = 0;
    for (let k = 0; k < length; k++) dot += v[indices[k]] * values[k];
    return dot * this.scale + this.intercept;
  }

  predictProba(row: SparseRow): number {
    return sigmoid(this.decision(row));
  }

  /** One SGD step per row, in order (one epoch over the batch; no shuffling). */
  partialFit(rows: readonly SparseRow[], labels: readonly Label[]): void {
    if (rows.length !== labels.length) {
      throw new RangeError(`partialFit: ${rows.length} rows but ${labels.length} labels; give one label per row.`);
    }
    for (let k = 0; k < rows.length; k++) this.step(rows[k], labels[k]);
  }

  /** One SGD step on one example; returns the loss derivative used. */
  step(row: SparseRow, label: Label): number {
    const y = label === 1 ? 1 : -1;
    const p = this.decision(row);
    const eta = this.learningRate();
    const g = dloss(p, y);
    const update = -eta * g;
    const { alpha, interceptDecay } = this.settings;
    if (alpha > 0) {
      this.scale *= Math.max(0, 1 - eta * alpha);
      if (this.scale < MIN_SCALE) this.rescale();
    }
    const { indices, values, length } = row;
    const v = this.v;
    const u = this.u;
    if (update !== 0) {
      const factor = update / this.scale;
      if (u === null) {
        for (let k = 0; k < length; k++) v[indices[k]] += factor * values[k];
      } else {
        const before = this.scaleSum;
        for (let k = 0; k < length; k++) {
          const delta = factor * values[k];
          v[indices[k]] += delta;
          u[indices[k]] += before * delta;
        }
      }
      this.intercept += update * interceptDecay;
    }
    if (u !== null) {
      this.scaleSum += this.scale;
      this.interceptSum += this.intercept;
    }
    this.t++;
    return g;
  }

  /** The averaged weights and intercept (or the current ones when not averaging). */
  averagedWeights(): { weights: Float64Array; intercept: number } {
    if (this.u === null || this.t === 0) {
      const weights = new Float64Array(this.nFeatures);
      for (let j = 0; j < weights.length; j++) weights[j] = this.v[j] * this.scale;
      return { weights, intercept: this.intercept };
    }
    const weights = new Float64Array(this.nFeatures);
    const { v, u, scaleSum, t } = this;
    for (let j = 0; j < weights.length; j++) weights[j] = (scaleSum * v[j] - u[j]) / t;
    return { weights, intercept: this.interceptSum / t };
  }

  /**
   * Replaces the weights by their average and stops averaging: what training ends with, and the
   * state online learning continues from.
   */
  finishAveraging(): void {
    const { weights, intercept } = this.averagedWeights();
    this.v = weights;
    this.scale = 1;
    this.intercept = intercept;
    this.u = null;
    this.settings = { ...this.settings, average: false };
    this.generation++;
  }

  /** Real weights (scale folded in), for saving. */
  weights(): Float64Array {
    return this.averagedWeights().weights;
  }

  private rescale(): void {
    const { v, scale, u } = this;
    if (u !== null) {
      // Fold the running sum S*v - u into u alone (S = 0), so no huge S multiplies the new v.
      for (let j = 0; j < v.length; j++) u[j] -= this.scaleSum * v[j];
      this.scaleSum = 0;
    }
    for (let j = 0; j < v.length; j++) v[j] *= scale;
    this.scale = 1;
    this.generation++;
  }
}

/** Derivative of the logistic loss log(1 + exp(-y p)) with respect to p, for y = ±1. */
export function dloss(p: number, y: number): number {
  const z = p * y;
  if (z > LOSS_CUTOFF) return Math.exp(-z) * -y;
  if (z < -LOSS_CUTOFF) return -y;
  return -y / (Math.exp(z) + 1);
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
