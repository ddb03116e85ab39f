import { HashingVectorizer, normalizeL2, type TextTerms } from '../text/hashing-vectorizer.js';
import type { FeatureSums } from '../text/sparse-accumulator.js';
import type { TextKernel } from '../text/text-kernel.js';
import { copyRow, emptyRow, type SparseRow } from '../text/sparse-row.js';
import { LogisticRegression, sigmoid, type ClassifierState, type SgdSettings } from './logistic-regression.js';
import { NbScaling, type NbCounts } from './nb-scaling.js';
import type { ModelSpec } from './presets.js';
import { predictionOf, type Label, type Prediction } from './types.js';

/** Everything a model has learned: what `state()` gives and `SentimentModel.restore` takes back. */
export interface ModelState {
  classifier: ClassifierState;
  /** The NB document counts; null for a spec without NB scaling. */
  nb: NbCounts | null;
}

/** How a prediction came about, for explanations: each feature's share of it, and the text's terms. */
export interface TermShares extends TextTerms {
  /**
   * Per distinct feature of the text (accumulator entry; `entries` index into this): its share of
   * the decision value — scaled, normalized feature value × weight. They sum to decision − intercept.
   */
  shares: Float64Array;
}

/**
 * Batch training's passes over a corpus: the NB counts are counted in a first pass and then held
 * fixed while SGD runs its epochs — unlike `learn`, which moves both at once.
 */
export interface BatchTraining {
  /** First pass: counts a labelled text into the NB ratios (nothing to do without NB scaling). */
  count(text: string, label: Label): void;
  /** Later passes: one SGD step on a labelled text, NB counts fixed. */
  step(text: string, label: Label): void;
  /**
   * `count` and `step` on a text's raw features (`SentimentModel.rawFeatures`) instead of the
   * text: the same updates, for callers that train several models on the same texts
   * (cross-validation hashes each text once instead of once per pass and per fold).
   */
  countFeatures(features: SparseRow, label: Label): void;
  stepFeatures(features: SparseRow, label: Label): void;
  /** Ends training: fixes the averaged weights and switches to the online step size. */
  finish(): void;
}

/**
 * Text in, probability out: the vectorizer, the optional NB scaling and the logistic regression
 * of one model, and the one place that knows the order they apply in. One verb to learn
 * (`learn`), one to score (`predict`); the state is private, saved by `state()` and brought back
 * by `SentimentModel.restore`.
 */
export class SentimentModel {
  readonly spec: ModelSpec;
  private readonly vectorizer: HashingVectorizer;
  private readonly classifier: LogisticRegression;
  private readonly nb: NbScaling | null;
  /**
   * Holds the serving table, what prediction reads, interleaved so one cache line serves a
   * feature: [2j] = the feature's scale (its NB ratio, or 1), [2j+1] = its raw weight v_j, both as
   * float32. A 2^21-feature model's arrays are far bigger than the CPU's L2 cache, so each feature
   * of a review costs a cache miss per array read; one table halves that. It lives in the
   * vectorizer's WebAssembly memory, where the kernel's scoring loop reads it: the same loop in
   * JavaScript took ~10 µs a review against ~3 µs (predicting the IMDb training set in one
   * process: 35,000 -> 52,000 reviews/s). Kept in step with the float64 learning state: `learn`
   * updates the entries it touches, batch training marks it stale.
   */
  private readonly kernel: TextKernel;
  private tableStale = true;
  private tableGeneration = -1;

  private constructor(spec: ModelSpec, classifier: LogisticRegression, nb: NbScaling | null) {
    this.spec = spec;
    // Normalization must come after NB scaling, so the vectorizer never normalizes itself here.
    this.vectorizer = new HashingVectorizer({ ...spec.features, l2Normalize: false });
    this.classifier = classifier;
    this.nb = nb;
    this.kernel = this.vectorizer.kernel();
    this.kernel.holdTable(spec.features.nFeatures * 2);
  }

  /** A model that has seen nothing, learning with the spec's training settings. */
  static untrained(spec: ModelSpec): SentimentModel {
    const n = spec.features.nFeatures;
    const nb = spec.nbAlpha === null ? null : new NbScaling(n, spec.nbAlpha);
    return new SentimentModel(spec, LogisticRegression.untrained(n, spec.sgd), nb);
  }

  /**
   * The model `state()` was taken from (for example, read back from a model file): it predicts
   * and goes on learning exactly as that model would. Takes the arrays over rather than copying.
   */
  static restore(spec: ModelSpec, state: ModelState): SentimentModel {
    const n = spec.features.nFeatures;
    if (state.classifier.rawWeights.length !== n) {
      throw new RangeError(`the state has ${state.classifier.rawWeights.length} weights; the spec has ${n} features.`);
    }
    if ((spec.nbAlpha === null) !== (state.nb === null)) {
      throw new RangeError(
        `the spec ${spec.nbAlpha === null ? 'has no' : 'has'} NB scaling but the state ${state.nb === null ? 'has no' : 'has'} NB counts.`,
      );
    }
    const nb = spec.nbAlpha === null || state.nb === null ? null : new NbScaling(n, spec.nbAlpha, state.nb);
    const model = new SentimentModel(spec, LogisticRegression.restore(state.classifier), nb);
    // A restored model is read to serve predictions: build its serving table now (~20 ms for 2^21
    // features), with the loading, rather than inside the first reader's request.
    model.servingTable();
    return model;
  }

  /** What the model has learned, as views of the arrays in use (not copies): read it, do not write it. */
  state(): ModelState {
    return { classifier: this.classifier.state(), nb: this.nb === null ? null : this.nb.counts() };
  }

  /**
   * Online learning from one labelled review: update the NB counts with it, then one SGD step.
   * Batch training does the same two things, in two passes.
   */
  learn(text: string, label: Label): void {
    const before = this.servedDecision(text);
    const row = copyRow(this.rawRow(text));
    const unseen = this.nb === null ? null : this.nb.unseen(row);
    this.nb?.observe(row, label);
    const finished = this.finishRow(row);
    this.classifier.step(finished, label);
    this.syncTable(row);
    this.keepMargin(text, finished, unseen, label, before);
  }

  /**
   * Makes sure learning a label did not lower the served probability of that label for the text
   * it learned from. It can: counting the text into the NB ratios gives its n-grams never seen
   * before a ratio of their own, which lengthens the row before L2 normalization and so shrinks
   * the share of every n-gram the model knew; the L2 decay shrinks every weight a little too. For
   * a confident prediction the SGD step (its gradient is 1 − p) is smaller than that loss, and a
   * reader who answered "Correct" would see the model grow less sure of it. Then the weights of
   * the n-grams the model had never seen (`unseen` positions of the row; the whole row when there
   * are none) move along the row just far enough to give the decision back — a function of the
   * model and the text alone, so a replay of the log does the same. Only those: moving every
   * n-gram of the review instead (a shift up to ~10 SGD steps on confident reviews, which are most
   * "Correct" answers) turned truthful feedback on 5,000 held-out reviews from +0.24 points into
   * −1.76.
   */
  private keepMargin(text: string, finished: SparseRow, unseen: Int32Array | null, label: Label, before: number): void {
    const y = label === 1 ? 1 : -1;
    const row = unseen === null || unseen.length === 0 ? finished : subRow(finished, unseen);
    // A few rounds at most: the served table holds float32 weights, so a shift exactly the size
    // of the shortfall can round to slightly less; each round adds a little margin.
    for (let round = 1; round <= 4; round++) {
      const shortfall = y * (before - this.servedDecision(text));
      if (!(shortfall > 0)) return;
      const margin = round * 2 ** -20 * Math.max(1, Math.abs(before));
      if (!this.classifier.shift(row, y * (shortfall + margin))) return;
      this.syncTable(row);
    }
  }

  /** The decision value `predict` computes for a text, from the serving table. */
  private servedDecision(text: string): number {
    const acc = this.vectorizer.accumulate(text);
    const decision = this.score(acc, false);
    acc.clear();
    return decision;
  }

  /**
   * Classifies a text. The decision value is fused: the vectorizer's per-column sums are scaled,
   * normalized and dotted with the weights in one pass over the serving table, without building a
   * row (equal to the classifier's decision on the finished row up to float32 rounding of the
   * weights). With `{ terms: true }`, also how each feature of the text contributed (`explain`), as
   * views of this model's and its vectorizer's buffers: valid until the next prediction.
   */
  predict(text: string): Prediction;
  predict(text: string, options: { terms: true }): Prediction & { terms: TermShares };
  predict(text: string, options?: { terms: boolean }): Prediction & { terms?: TermShares } {
    const acc = this.vectorizer.accumulate(text);
    if (options?.terms !== true) {
      const decision = this.score(acc, false);
      acc.clear();
      return predictionOf(sigmoid(decision));
    }
    const decision = this.score(acc, true);
    const terms = { ...this.vectorizer.lastTextTerms(), shares: this.kernel.shares(acc.size) };
    acc.clear();
    return { ...predictionOf(sigmoid(decision)), terms };
  }

  /**
   * How often documents holding the text's most telling n-gram were positive, by the NB counts
   * alone (the training corpus and every review learned since): of its n-grams, the log-odds
   * log(P(n-gram | positive) / P(n-gram | negative)) farthest from 0, as a probability for
   * classes of equal size. Counted, so calibrated: "one of the" is near 0.5 however the weights
   * read it alone. The most telling one, not the mean: "of the best" is as positive as "the best",
   * not diluted by "of the". 0.5 for a text with no n-gram; null for a model that keeps no counts.
   */
  countLean(text: string): number | null {
    if (this.nb === null) return null;
    const { indices, length } = this.rawRow(text);
    const { ratio, offset } = this.nb;
    let telling = 0;
    for (let k = 0; k < length; k++) {
      const logOdds = ratio[indices[k]] + offset;
      if (Math.abs(logOdds) > Math.abs(telling)) telling = logOdds;
    }
    return sigmoid(telling);
  }

  /** A text's raw (unscaled, unnormalized) features, as a row of its own: what `BatchTraining.stepFeatures` takes. */
  rawFeatures(text: string): SparseRow {
    return copyRow(this.rawRow(text));
  }

  /** Batch training's passes, on this model (`trainFromCorpus` runs them). */
  batchTraining(): BatchTraining {
    const countFeatures = (features: SparseRow, label: Label): void => {
      if (this.nb === null) return;
      this.nb.observe(features, label);
      this.tableStale = true;
    };
    // Steps on a scratch row: finishing a row scales it in place.
    const step = (row: SparseRow, label: Label): void => {
      this.classifier.step(this.finishRow(row), label);
      this.tableStale = true;
    };
    let scratch = emptyRow();
    return {
      count: (text, label) => {
        if (this.nb !== null) countFeatures(this.rawRow(text), label);
      },
      step: (text, label) => step(this.rawRow(text), label),
      countFeatures,
      stepFeatures: (features, label) => {
        if (scratch.indices.length < features.length) scratch = emptyRow(features.length * 2);
        scratch.indices.set(features.indices.subarray(0, features.length));
        scratch.values.set(features.values.subarray(0, features.length));
        scratch.length = features.length;
        step(scratch, label);
      },
      finish: () => {
        this.classifier.finishAveraging(onlineSgdSettings(this.spec));
        this.tableStale = true;
      },
    };
  }

  /** Raw (unscaled, unnormalized) features of a text; overwritten by the next call. */
  private rawRow(text: string): SparseRow {
    return this.vectorizer.transform(text);
  }

  /** Turns a raw row into what the classifier sees (NB scaling, then L2), in place. */
  private finishRow(row: SparseRow): SparseRow {
    if (this.nb !== null) this.nb.scale(row);
    if (this.spec.features.l2Normalize) normalizeL2(row);
    return row;
  }

  /**
   * The decision value for the text the vectorizer just accumulated (left in place for the
   * caller), reading the serving table once per distinct column (in the kernel). With
   * `withShares`, also each column's share of the decision, left in the kernel's `shares`: they
   * sum to decision − intercept.
   */
  private score(acc: FeatureSums, withShares: boolean): number {
    this.servingTable();
    // Added to every table scale: the NB class-size term (0 without NB).
    const offset = this.nb === null ? 0 : this.nb.offset;
    const kernel = this.kernel;
    const dot = kernel.score(acc, offset, this.spec.features.binary, withShares);
    const sumSquares = kernel.sumSquares;
    const norm = this.spec.features.l2Normalize && sumSquares > 0 ? Math.sqrt(sumSquares) : 1;
    const { scale, intercept } = this.classifier;
    if (withShares) {
      const shares = kernel.shares(acc.size);
      for (let k = 0; k < shares.length; k++) shares[k] = (shares[k] / norm) * scale;
    }
    return (dot / norm) * scale + intercept;
  }

  /** The interleaved (scale, weight) float32 table prediction reads; rebuilt first if stale. */
  private servingTable(): Float32Array {
    const classifier = this.classifier;
    const table = this.kernel.table;
    if (this.tableStale || this.tableGeneration !== classifier.generation) {
      const v = classifier.state().rawWeights;
      const ratio = this.nb?.ratio;
      for (let j = 0; j < v.length; j++) {
        table[2 * j] = ratio === undefined ? 1 : ratio[j];
        table[2 * j + 1] = v[j];
      }
      this.tableStale = false;
      this.tableGeneration = classifier.generation;
    }
    return table;
  }

  /** Copies the learning state of the row's features into the serving table. */
  private syncTable(row: SparseRow): void {
    if (this.tableStale || this.tableGeneration !== this.classifier.generation) return; // rebuilt on next use
    const { table } = this.kernel;
    const v = this.classifier.state().rawWeights;
    const ratio = this.nb?.ratio;
    for (let k = 0; k < row.length; k++) {
      const j = row.indices[k];
      if (ratio !== undefined) table[2 * j] = ratio[j];
      table[2 * j + 1] = v[j];
    }
  }
}

/** The entries of `row` at `positions`, as a row of their own. */
function subRow(row: SparseRow, positions: Int32Array): SparseRow {
  const part = emptyRow(positions.length);
  positions.forEach((k, n) => {
    part.indices[n] = row.indices[k];
    part.values[n] = row.values[k];
  });
  part.length = positions.length;
  return part;
}

/**
 * How a trained model keeps learning from feedback: plain SGD (no averaging) with the preset's
 * online step size, or the training schedule itself when the preset has none (classic).
 */
export function onlineSgdSettings(spec: ModelSpec): SgdSettings {
  return {
    ...spec.sgd,
    average: false,
    learningRate: spec.onlineEta === null ? spec.sgd.learningRate : { kind: 'constant', eta0: spec.onlineEta },
  };
}
