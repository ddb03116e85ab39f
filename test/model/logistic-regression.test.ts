import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt, type Rng } from '../../src/corpus/random.js';
import { dloss, LogisticRegression, sigmoid, type SgdSettings } from '../../src/model/logistic-regression.js';
import type { Label } from '../../src/model/types.js';
import { rowOf, type SparseRow } from '../../src/text/sparse-row.js';

/** log(1 + exp(-z)), computed without overflow. */
function logLoss(p: number, y: number): number {
  const z = p * y;
  return z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
}

/** A random sparse row with `nnz` distinct columns below `n`, values in (-1, 1). */
function randomRow(rng: Rng, n: number, nnz: number): SparseRow {
  const columns = new Set<number>();
  while (columns.size < nnz) columns.add(randomInt(rng, n));
  const indices = [...columns];
  return rowOf(
    indices,
    indices.map(() => rng() * 2 - 1),
  );
}

/**
 * The textbook dense SGD that LogisticRegression must equal: decay every weight, add the
 * gradient step, move the intercept, and (for averaging) keep the plain mean of the weight
 * vectors after each step. O(n_features) per step, which is fine for a handful of features.
 */
class DenseSgd {
  w: number[];
  b = 0;
  t = 0;
  private sumW: number[];
  private sumB = 0;

  constructor(
    readonly n: number,
    readonly settings: SgdSettings,
  ) {
    this.w = new Array<number>(n).fill(0);
    this.sumW = new Array<number>(n).fill(0);
  }

  eta(): number {
    const { alpha, learningRate } = this.settings;
    const t = this.t + 1;
    if (learningRate.kind === 'constant') return learningRate.eta0;
    if (learningRate.kind === 'invscaling') {
      return learningRate.eta0 / (1 + alpha * learningRate.eta0 * t) ** learningRate.power;
    }
    // scikit-learn's "optimal", with Bottou's heuristic for t0.
    const typw = Math.sqrt(1 / Math.sqrt(alpha));
    const eta0 = typw / Math.max(1, 1 / (1 + Math.exp(-typw)));
    const optimalInit = 1 / (eta0 * alpha);
    return 1 / (alpha * (optimalInit + t - 1));
  }

  step(row: SparseRow, label: Label): void {
    const y = label === 1 ? 1 : -1;
    let p = this.b;
    for (let k = 0; k < row.length; k++) p += this.w[row.indices[k]] * row.values[k];
    const eta = this.eta();
    const g = -y / (Math.exp(y * p) + 1);
    const decay = Math.max(0, 1 - eta * this.settings.alpha);
    for (let j = 0; j < this.n; j++) this.w[j] *= decay;
    for (let k = 0; k < row.length; k++) this.w[row.indices[k]] += -eta * g * row.values[k];
    this.b += -eta * g * this.settings.interceptDecay;
    this.t++;
    for (let j = 0; j < this.n; j++) this.sumW[j] += this.w[j];
    this.sumB += this.b;
  }

  average(): { weights: number[]; intercept: number } {
    return { weights: this.sumW.map((s) => s / this.t), intercept: this.sumB / this.t };
  }
}

/** Real weights of a non-averaging classifier (scale folded in). */
function currentWeights(model: LogisticRegression): number[] {
  return Array.from(model.state().rawWeights, (v) => v * model.scale);
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
  return worst;
}

/** Rows in a small space and their labels, from a hidden linear rule (separable by construction). */
function separableProblem(rng: Rng, n: number, count: number, truth: number[]): { rows: SparseRow[]; labels: Label[] } {
  const rows: SparseRow[] = [];
  const labels: Label[] = [];
  while (rows.length < count) {
    const row = randomRow(rng, n, 8);
    let score = 0;
    for (let k = 0; k < row.length; k++) score += truth[row.indices[k]] * row.values[k];
    if (Math.abs(score) < 0.2) continue; // keep a margin
    rows.push(row);
    labels.push(score > 0 ? 1 : 0);
  }
  return { rows, labels };
}

const CONSTANT: SgdSettings = {
  alpha: 0,
  learningRate: { kind: 'constant', eta0: 0.1 },
  interceptDecay: 1,
  average: false,
};

describe('LogisticRegression', () => {
  it('learns a seeded, linearly separable synthetic problem to at least 95% accuracy on fresh examples', () => {
    // Arrange
    const rng = mulberry32(11);
    const n = 256;
    const truth = Array.from({ length: n }, () => rng() * 2 - 1);
    const train = separableProblem(rng, n, 3000, truth);
    const test = separableProblem(rng, n, 1000, truth);
    const model = LogisticRegression.untrained(n, {
      alpha: 1e-4,
      learningRate: { kind: 'optimal' },
      interceptDecay: 0.01,
      average: false,
    });

    // Act
    for (let epoch = 0; epoch < 5; epoch++) model.partialFit(train.rows, train.labels);
    const correct = test.rows.filter((row, k) => (model.predictProba(row) >= 0.5 ? 1 : 0) === test.labels[k]).length;

    // Assert
    expect(correct / test.rows.length).toBeGreaterThanOrEqual(0.95);
  });

  it('has dloss equal to the finite-difference derivative of the log loss, on both sides of the |z| = 18 cut-off', () => {
    // Arrange
    const h = 1e-5;
    const points = [-40, -18.5, -17.5, -5, -1, -0.1, 0, 0.1, 1, 5, 17.5, 18.5, 40];

    // Act + Assert
    for (const y of [1, -1]) {
      for (const p of points) {
        const numeric = (logLoss(p + h, y) - logLoss(p - h, y)) / (2 * h);
        const analytic = dloss(p, y);
        expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(1e-8 + 1e-6 * Math.abs(numeric));
      }
    }
  });

  it('takes one SGD step of exactly −eta times the numerical gradient of log loss + alpha/2·|w|² (and of the loss for the intercept)', () => {
    // Arrange
    const rng = mulberry32(5);
    const n = 6;
    const alpha = 0.05;
    const eta = 0.3;
    const interceptDecay = 0.5;
    const w0 = Float64Array.from({ length: n }, () => rng() * 2 - 1);
    const b0 = 0.25;
    const row = rowOf([1, 3, 4], [0.5, -1.2, 2]);
    const y = 1;
    const objective = (w: Float64Array, b: number): number => {
      let p = b;
      for (let k = 0; k < row.length; k++) p += w[row.indices[k]] * row.values[k];
      let penalty = 0;
      for (const wj of w) penalty += wj * wj;
      return logLoss(p, y) + (alpha / 2) * penalty;
    };
    const h = 1e-6;
    const numericGradient = Array.from({ length: n }, (_, j) => {
      const plus = Float64Array.from(w0);
      const minus = Float64Array.from(w0);
      plus[j] += h;
      minus[j] -= h;
      return (objective(plus, b0) - objective(minus, b0)) / (2 * h);
    });
    const numericInterceptGradient = (objective(w0, b0 + h) - objective(w0, b0 - h)) / (2 * h);
    const model = LogisticRegression.restore({
      settings: { alpha, learningRate: { kind: 'constant', eta0: eta }, interceptDecay, average: false },
      rawWeights: Float64Array.from(w0),
      scale: 1,
      intercept: b0,
      samplesSeen: 0,
    });

    // Act
    model.partialFit([row], [1]);

    // Assert
    const after = currentWeights(model);
    for (let j = 0; j < n; j++) expect(after[j] - w0[j]).toBeCloseTo(-eta * numericGradient[j], 8);
    expect(model.intercept - b0).toBeCloseTo(-eta * interceptDecay * numericInterceptGradient, 8);
  });

  it("moves the probability of the example it learns from toward that example's label, for both labels", () => {
    // Arrange
    const row = rowOf([0, 7, 9], [0.4, 0.8, -0.2]);
    const settings: SgdSettings = {
      alpha: 1e-4,
      learningRate: { kind: 'optimal' },
      interceptDecay: 0.01,
      average: false,
    };
    const weights = Float64Array.from({ length: 10 }, (_, j) => (j % 2 === 0 ? 0.3 : -0.3));
    const start = (): LogisticRegression =>
      LogisticRegression.restore({
        settings,
        rawWeights: Float64Array.from(weights),
        scale: 1,
        intercept: 0.1,
        samplesSeen: 0,
      });
    const positive = start();
    const negative = start();
    const before = positive.predictProba(row);

    // Act
    positive.partialFit([row], [1]);
    negative.partialFit([row], [0]);

    // Assert
    expect(before).toBeGreaterThan(0.05);
    expect(before).toBeLessThan(0.95);
    expect(positive.predictProba(row)).toBeGreaterThan(before);
    expect(negative.predictProba(row)).toBeLessThan(before);
  });

  it('applies L2 decay through the scale factor exactly as decaying every weight would (schedules optimal, invscaling, constant)', () => {
    // Arrange
    const rng = mulberry32(21);
    const n = 40;
    const schedules: SgdSettings[] = [
      { alpha: 0.01, learningRate: { kind: 'optimal' }, interceptDecay: 0.01, average: false },
      { alpha: 0.02, learningRate: { kind: 'invscaling', eta0: 0.5, power: 0.75 }, interceptDecay: 1, average: false },
      { alpha: 0.05, learningRate: { kind: 'constant', eta0: 0.4 }, interceptDecay: 0.01, average: false },
    ];
    const rows = Array.from({ length: 60 }, () => randomRow(rng, n, 5));
    const labels = rows.map((): Label => (rng() < 0.5 ? 1 : 0));

    for (const settings of schedules) {
      const model = LogisticRegression.untrained(n, settings);
      const dense = new DenseSgd(n, settings);

      // Act
      for (let k = 0; k < rows.length; k++) {
        model.partialFit([rows[k]], [labels[k]]);
        dense.step(rows[k], labels[k]);
      }

      // Assert
      expect(model.scale).toBeLessThan(1);
      expect(maxAbsDifference(currentWeights(model), dense.w)).toBeLessThan(1e-9);
      expect(Math.abs(model.intercept - dense.b)).toBeLessThan(1e-9);
      expect(model.state().samplesSeen).toBe(rows.length);
    }
  });

  it('stays equal to explicit decay when the scale underflows and is folded back into the weights', () => {
    // Arrange: eta·alpha = 0.95 shrinks the scale twentyfold per step, below 1e-9 within 7 steps.
    const rng = mulberry32(4);
    const n = 12;
    const settings: SgdSettings = {
      alpha: 0.5,
      learningRate: { kind: 'constant', eta0: 1.9 },
      interceptDecay: 0.01,
      average: false,
    };
    const model = LogisticRegression.untrained(n, settings);
    const dense = new DenseSgd(n, settings);
    const scales: number[] = [];

    // Act
    for (let k = 0; k < 20; k++) {
      const row = randomRow(rng, n, 3);
      const label: Label = k % 3 === 0 ? 0 : 1;
      model.partialFit([row], [label]);
      dense.step(row, label);
      scales.push(model.scale);
    }

    // Assert
    expect(scales.some((s, k) => k > 0 && s > scales[k - 1])).toBe(true); // a rescale happened
    expect(maxAbsDifference(currentWeights(model), dense.w)).toBeLessThan(1e-9);
  });

  it('keeps averagedWeights equal to the plain mean of the weight vectors after each step (averaged SGD)', () => {
    // Arrange
    const rng = mulberry32(9);
    const n = 30;
    const settings: SgdSettings = {
      alpha: 0.01,
      learningRate: { kind: 'constant', eta0: 0.5 },
      interceptDecay: 0.01,
      average: true,
    };
    const model = LogisticRegression.untrained(n, settings);
    const dense = new DenseSgd(n, settings);

    for (let k = 0; k < 50; k++) {
      const row = randomRow(rng, n, 4);
      const label: Label = rng() < 0.5 ? 1 : 0;

      // Act
      model.partialFit([row], [label]);
      dense.step(row, label);

      // Assert
      const averaged = model.averagedWeights();
      const expected = dense.average();
      expect(maxAbsDifference(averaged.weights, expected.weights)).toBeLessThan(1e-9);
      expect(Math.abs(averaged.intercept - expected.intercept)).toBeLessThan(1e-9);
      // Averaging does not change what the model predicts with while learning.
      expect(maxAbsDifference(currentWeights(model), dense.w)).toBeLessThan(1e-9);
    }
  });

  it('keeps the average exact across a scale underflow', () => {
    // Arrange: as above, eta·alpha = 0.95 forces a rescale every few steps.
    const rng = mulberry32(12);
    const n = 10;
    const settings: SgdSettings = {
      alpha: 0.5,
      learningRate: { kind: 'constant', eta0: 1.9 },
      interceptDecay: 0.01,
      average: true,
    };
    const model = LogisticRegression.untrained(n, settings);
    const dense = new DenseSgd(n, settings);

    // Act
    for (let k = 0; k < 20; k++) {
      const row = randomRow(rng, n, 3);
      const label: Label = k % 2 === 0 ? 0 : 1;
      model.partialFit([row], [label]);
      dense.step(row, label);
    }

    // Assert
    const averaged = model.averagedWeights();
    expect(maxAbsDifference(averaged.weights, dense.average().weights)).toBeLessThan(1e-9);
  });

  it("zeroes the weights, averaged or not, when a step's decay factor 1 − eta·alpha is zero or below (as scikit-learn)", () => {
    // Arrange: eta·alpha = 1.5.
    const rng = mulberry32(13);
    const n = 8;
    const plainSettings: SgdSettings = {
      alpha: 3,
      learningRate: { kind: 'constant', eta0: 0.5 },
      interceptDecay: 0.01,
      average: false,
    };
    const averagedSettings: SgdSettings = { ...plainSettings, average: true };
    const plain = LogisticRegression.untrained(n, plainSettings);
    const averaged = LogisticRegression.untrained(n, averagedSettings);
    const dense = new DenseSgd(n, averagedSettings);

    // Act
    for (let k = 0; k < 6; k++) {
      const row = randomRow(rng, n, 3);
      const label: Label = k % 2 === 0 ? 0 : 1;
      plain.partialFit([row], [label]);
      averaged.partialFit([row], [label]);
      dense.step(row, label);
    }

    // Assert
    expect(maxAbsDifference(currentWeights(plain), dense.w)).toBeLessThan(1e-9);
    const result = averaged.averagedWeights();
    expect(result.weights.every(Number.isFinite)).toBe(true);
    expect(maxAbsDifference(result.weights, dense.average().weights)).toBeLessThan(1e-9);
  });

  it('predicts with the averaged weights after finishAveraging', () => {
    // Arrange
    const rng = mulberry32(17);
    const n = 16;
    const settings: SgdSettings = {
      alpha: 1e-3,
      learningRate: { kind: 'constant', eta0: 0.5 },
      interceptDecay: 0.01,
      average: true,
    };
    const model = LogisticRegression.untrained(n, settings);
    const dense = new DenseSgd(n, settings);
    for (let k = 0; k < 30; k++) {
      const row = randomRow(rng, n, 4);
      const label: Label = k % 2 === 0 ? 0 : 1;
      model.step(row, label);
      dense.step(row, label);
    }
    const probe = randomRow(rng, n, 6);

    // Act
    model.finishAveraging();

    // Assert
    const { weights, intercept } = dense.average();
    let expected = intercept;
    for (let k = 0; k < probe.length; k++) expected += weights[probe.indices[k]] * probe.values[k];
    expect(model.decision(probe)).toBeCloseTo(expected, 10);
    expect(model.state().settings.average).toBe(false);
  });

  it('gives the same weights for partialFit twice with one row each as for partialFit once with both rows', () => {
    // Arrange
    const settings: SgdSettings = {
      alpha: 1e-4,
      learningRate: { kind: 'optimal' },
      interceptDecay: 0.01,
      average: true,
    };
    const rows = [rowOf([1, 4], [0.6, 0.8]), rowOf([2, 4, 5], [1, -0.5, 0.25])];
    const labels: Label[] = [1, 0];
    const oneByOne = LogisticRegression.untrained(8, settings);
    const together = LogisticRegression.untrained(8, settings);

    // Act
    oneByOne.partialFit([rows[0]], [labels[0]]);
    oneByOne.partialFit([rows[1]], [labels[1]]);
    together.partialFit(rows, labels);

    // Assert
    expect(oneByOne.state().rawWeights).toEqual(together.state().rawWeights);
    expect(oneByOne.scale).toBe(together.scale);
    expect(oneByOne.intercept).toBe(together.intercept);
    expect(oneByOne.state().samplesSeen).toBe(2);
    expect(oneByOne.averagedWeights()).toEqual(together.averagedWeights());
  });

  it('restores from its state a classifier that decides and goes on learning exactly as the original', () => {
    // Arrange: a rescale on the way, so the scale and generation have moved.
    const rng = mulberry32(31);
    const n = 12;
    const settings: SgdSettings = {
      alpha: 0.5,
      learningRate: { kind: 'constant', eta0: 1.9 },
      interceptDecay: 0.01,
      average: false,
    };
    const original = LogisticRegression.untrained(n, settings);
    for (let k = 0; k < 9; k++) original.step(randomRow(rng, n, 3), k % 2 === 0 ? 1 : 0);
    const probe = randomRow(rng, n, 6);

    // Act
    const restored = LogisticRegression.restore(structuredClone(original.state()));

    // Assert
    expect(restored.state()).toEqual(original.state());
    expect(restored.decision(probe)).toBe(original.decision(probe));
    for (let k = 0; k < 5; k++) {
      const row = randomRow(rng, n, 3);
      original.step(row, k % 2 === 0 ? 0 : 1);
      restored.step(row, k % 2 === 0 ? 0 : 1);
    }
    expect(restored.state()).toEqual(original.state());
    expect(restored.decision(probe)).toBe(original.decision(probe));
  });

  it('refuses to restore a state whose weight scale is not positive', () => {
    // Arrange
    const state = LogisticRegression.untrained(4, CONSTANT).state();

    // Act + Assert
    expect(() => LogisticRegression.restore({ ...state, scale: 0 })).toThrow(/weight scale 0 is not positive/);
    expect(() => LogisticRegression.restore({ ...state, scale: Number.NaN })).toThrow(/weight scale NaN/);
  });

  it('refuses rows and labels of different lengths, saying how many of each it got', () => {
    // Arrange
    const model = LogisticRegression.untrained(4, CONSTANT);

    // Act + Assert
    expect(() => model.partialFit([rowOf([0], [1]), rowOf([1], [1])], [1])).toThrow(/2 rows but 1 labels/);
    expect(model.state().samplesSeen).toBe(0);
  });

  it('refuses the "optimal" schedule without an L2 penalty, whose step size 1/(alpha·t) would be infinite', () => {
    // Act + Assert: scikit-learn raises for alpha = 0 with learning_rate='optimal' too.
    expect(() => LogisticRegression.untrained(4, { ...CONSTANT, alpha: 0, learningRate: { kind: 'optimal' } })).toThrow(
      /alpha/,
    );
  });
});

describe('sigmoid', () => {
  it('is 1/2 at zero, symmetric, and saturates without NaN for huge decision values', () => {
    // Assert
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(2) + sigmoid(-2)).toBeCloseTo(1, 15);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
  });
});
