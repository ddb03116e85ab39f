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
 * Everything a classifier has learned and the settings it goes on learning with: what `state()`
 * gives and `restore` takes back. The averaged-SGD sums are not part of it, so save a classifier
 * after `finishAveraging`.
 */
export interface ClassifierState {
  settings: SgdSettings;
  /** One raw weight per feature; the real weight of feature j is `scale * rawWeights[j]`. */
  rawWeights: Float64Array;
  scale: number;
  intercept: number;
  /** Samples seen (scikit-learn's t_ - 1); the step size depends on it. */
  samplesSeen: number;
}

/**
 * Binary logistic regression learned by stochastic gradient descent on sparse rows.
 *
 * Weights are kept as `scale * v`, so the L2 decay of every weight at every step is one multiply
 * of `scale` and an update costs O(non-zeros of the row), not O(n_features) — as in
 * scikit-learn's SGD. Averaged SGD uses the same trick: the running sum of weight vectors is
 * `S * v - u`, with `S` the running sum of scales and `u` updated only where v changes.
 *
 * Labels are 0/1; internally y = ±1 as scikit-learn does. The state is private: it changes only
 * by learning (`step`, `partialFit`, `finishAveraging`) and comes back from a file by `restore`.
 */
export class LogisticRegression {
  readonly nFeatures: number;
  #settings: SgdSettings;
  /** Raw weights; the real weight of feature j is `scale * v[j]`. */
  #v: Float64Array;
  #scale: number;
  #intercept: number;
  /** Samples seen (scikit-learn's t_ - 1). */
  #t: number;
  /** Bumped whenever every weight changes at once (rescale, finishing averaging). */
  #generation = 0;
  // Averaged-SGD state; null when not averaging.
  #u: Float64Array | null = null;
  #scaleSum = 0;
  #interceptSum = 0;
  #optimalInit = 0;

  private constructor(state: ClassifierState) {
    this.nFeatures = state.rawWeights.length;
    this.#v = state.rawWeights;
    this.#scale = state.scale;
    this.#intercept = state.intercept;
    this.#t = state.samplesSeen;
    this.#settings = state.settings;
    this.#useSettings(state.settings);
    if (state.settings.average) this.#u = new Float64Array(this.nFeatures);
  }

  /** A classifier with every weight 0, that has seen nothing. */
  static untrained(nFeatures: number, settings: SgdSettings): LogisticRegression {
    return new LogisticRegression({
      settings,
      rawWeights: new Float64Array(nFeatures),
      scale: 1,
      intercept: 0,
      samplesSeen: 0,
    });
  }

  /**
   * A classifier in the state `state()` gave (for example, read back from a model file). Takes
   * the weight array over rather than copying it: 16 MB for 2^21 features.
   */
  static restore(state: ClassifierState): LogisticRegression {
    if (!(state.scale > 0)) throw new RangeError(`weight scale ${state.scale} is not positive`);
    return new LogisticRegression(state);
  }

  /** The learned state, as views of the arrays in use (not copies): read it, do not write it. */
  state(): ClassifierState {
    return {
      settings: this.#settings,
      rawWeights: this.#v,
      scale: this.#scale,
      intercept: this.#intercept,
      samplesSeen: this.#t,
    };
  }

  /** The real weight of feature j is `scale * state().rawWeights[j]`. */
  get scale(): number {
    return this.#scale;
  }

  get intercept(): number {
    return this.#intercept;
  }

  /** Changes whenever every weight changes at once, so a copy of the weights knows it is stale. */
  get generation(): number {
    return this.#generation;
  }

  /** Decision value w·x + b with the current (not averaged) weights. */
  decision(row: SparseRow): number {
    const { indices, values, length } = row;
    const v = this.#v;
    let dot = 0;
    for (let k = 0; k < length; k++) dot += v[indices[k]] * values[k];
    return dot * this.#scale + this.#intercept;
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
    const eta = this.#learningRate();
    const g = dloss(p, y);
    const update = -eta * g;
    const { alpha, interceptDecay } = this.#settings;
    if (alpha > 0) {
      this.#scale *= Math.max(0, 1 - eta * alpha);
      if (this.#scale < MIN_SCALE) this.#rescale();
    }
    const { indices, values, length } = row;
    const v = this.#v;
    const u = this.#u;
    if (update !== 0) {
      const factor = update / this.#scale;
      if (u === null) {
        for (let k = 0; k < length; k++) v[indices[k]] += factor * values[k];
      } else {
        const before = this.#scaleSum;
        for (let k = 0; k < length; k++) {
          const delta = factor * values[k];
          v[indices[k]] += delta;
          u[indices[k]] += before * delta;
        }
      }
      this.#intercept += update * interceptDecay;
    }
    if (u !== null) {
      this.#scaleSum += this.#scale;
      this.#interceptSum += this.#intercept;
    }
    this.#t++;
    return g;
  }

  /**
   * Adds `delta` to the decision value of `row` by moving the weights of its features along it
   * (the smallest such move), without counting a sample. False when the row has no values.
   */
  shift(row: SparseRow, delta: number): boolean {
    const { indices, values, length } = row;
    let sumSquares = 0;
    for (let k = 0; k < length; k++) sumSquares += values[k] * values[k];
    if (!(sumSquares > 0) || this.#u !== null) return false;
    const factor = delta / (sumSquares * this.#scale);
    const v = this.#v;
    for (let k = 0; k < length; k++) v[indices[k]] += factor * values[k];
    return true;
  }

  /** The averaged weights and intercept (or the current ones when not averaging). */
  averagedWeights(): { weights: Float64Array; intercept: number } {
    const weights = new Float64Array(this.nFeatures);
    const v = this.#v;
    const u = this.#u;
    const t = this.#t;
    if (u === null || t === 0) {
      const scale = this.#scale;
      for (let j = 0; j < weights.length; j++) weights[j] = v[j] * scale;
      return { weights, intercept: this.#intercept };
    }
    const scaleSum = this.#scaleSum;
    for (let j = 0; j < weights.length; j++) weights[j] = (scaleSum * v[j] - u[j]) / t;
    return { weights, intercept: this.#interceptSum / t };
  }

  /**
   * Replaces the weights by their average and stops averaging: what training ends with, and the
   * state online learning continues from, with `continueWith` (by default the same settings
   * without averaging).
   */
  finishAveraging(continueWith: SgdSettings = { ...this.#settings, average: false }): void {
    if (continueWith.average) {
      throw new RangeError(
        'finishAveraging: the settings to continue with average again; give settings with average: false.',
      );
    }
    const { weights, intercept } = this.averagedWeights();
    this.#v = weights;
    this.#scale = 1;
    this.#intercept = intercept;
    this.#u = null;
    this.#useSettings(continueWith);
    this.#generation++;
  }

  /** Step size for the next sample. */
  #learningRate(): number {
    const { alpha, learningRate } = this.#settings;
    const t = this.#t + 1;
    switch (learningRate.kind) {
      case 'optimal':
        return 1 / (alpha * (this.#optimalInit + t - 1));
      case 'invscaling':
        return learningRate.eta0 / Math.pow(1 + alpha * learningRate.eta0 * t, learningRate.power);
      case 'constant':
        return learningRate.eta0;
    }
  }

  #useSettings(settings: SgdSettings): void {
    if (settings.learningRate.kind === 'optimal' && !(settings.alpha > 0)) {
      throw new InvalidInputError(
        `the "optimal" learning rate needs an L2 penalty alpha > 0 (it is 1 / (alpha * t)); got alpha=${settings.alpha}. Use alpha 1e-4 or a constant learning rate.`,
      );
    }
    this.#settings = settings;
    // Bottou's heuristic as in sklearn: typw = sqrt(1/sqrt(alpha)), eta0 = typw / max(1, |dloss(-typw, 1)|).
    const typw = Math.sqrt(1 / Math.sqrt(settings.alpha));
    const eta0 = typw / Math.max(1, Math.abs(dloss(-typw, 1)));
    this.#optimalInit = 1 / (eta0 * settings.alpha);
  }

  #rescale(): void {
    const v = this.#v;
    const scale = this.#scale;
    const u = this.#u;
    if (u !== null) {
      // Fold the running sum S*v - u into u alone (S = 0), so no huge S multiplies the new v.
      for (let j = 0; j < v.length; j++) u[j] -= this.#scaleSum * v[j];
      this.#scaleSum = 0;
    }
    for (let j = 0; j < v.length; j++) v[j] *= scale;
    this.#scale = 1;
    this.#generation++;
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
