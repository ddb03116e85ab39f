import { HashingVectorizer, normalizeL2 } from '../text/hashing-vectorizer.js';
import type { SparseAccumulator } from '../text/sparse-accumulator.js';
import { copyRow, type SparseRow } from '../text/sparse-row.js';
import { LogisticRegression, sigmoid, type SgdSettings } from './logistic-regression.js';
import { NbScaling } from './nb-scaling.js';
import type { ModelSpec } from './presets.js';
import { labelName, type Label, type Prediction } from './types.js';

/**
 * Text in, probability out: the vectorizer, the optional NB scaling and the logistic regression
 * of one model, and the one place that knows the order they apply in. Mutable: `learn` is the
 * online update from one labelled review.
 */
export class SentimentModel {
  readonly spec: ModelSpec;
  readonly vectorizer: HashingVectorizer;
  readonly classifier: LogisticRegression;
  readonly nb: NbScaling | null;
  /**
   * What prediction reads, interleaved so one cache line serves a feature: [2j] = the feature's
   * scale (its NB ratio, or 1), [2j+1] = its raw weight v_j, both as float32. A 2^22-feature
   * model's arrays are far bigger than the CPU cache, so each feature of a review costs a cache
   * miss per array read; one table halves that. Kept in step with the float64 learning state:
   * `learn` updates the entries it touches, batch training marks it stale.
   */
  private readonly table: Float32Array;
  private tableStale = true;
  private tableGeneration = -1;

  constructor(spec: ModelSpec, classifier: LogisticRegression, nb: NbScaling | null) {
    this.spec = spec;
    // Normalization must come after NB scaling, so the vectorizer never normalizes itself here.
    this.vectorizer = new HashingVectorizer({ ...spec.features, l2Normalize: false });
    this.classifier = classifier;
    this.nb = nb;
    this.table = new Float32Array(spec.features.nFeatures * 2);
  }

  /** A model that has seen nothing, ready for training. */
  static untrained(spec: ModelSpec): SentimentModel {
    const n = spec.features.nFeatures;
    const nb = spec.nbAlpha === null ? null : new NbScaling(n, spec.nbAlpha);
    return new SentimentModel(spec, new LogisticRegression(n, spec.sgd), nb);
  }

  /** Raw (unscaled, unnormalized) features of a text; overwritten by the next call. */
  rawRow(text: string): SparseRow {
    return this.vectorizer.transform(text);
  }

  /** Turns a raw row into what the classifier sees (NB scaling, then L2), in place. */
  finishRow(row: SparseRow): SparseRow {
    if (this.nb !== null) this.nb.scale(row);
    if (this.spec.features.l2Normalize) normalizeL2(row);
    return row;
  }

  /** The classifier's input for a text; overwritten by the next call. */
  row(text: string): SparseRow {
    return this.finishRow(this.rawRow(text));
  }

  /**
   * The decision value w·x + b for a text, fused: the vectorizer's per-column sums are scaled,
   * normalized and dotted with the weights in one pass over the serving table, without building
   * a row. Equal to `classifier.decision(row(text))` up to float32 rounding of the weights.
   */
  decision(text: string): number {
    const acc = this.vectorizer.accumulate(text);
    const decision = this.score(acc, null);
    acc.clear();
    return decision;
  }

  /**
   * The decision value for the text the vectorizer just accumulated (left in place for the
   * caller), reading the serving table once per distinct column. With `shares` (one slot per
   * accumulator entry), also each column's share of the decision, which sum to decision −
   * intercept (explanations).
   */
  score(acc: SparseAccumulator, shares: Float64Array | null): number {
    const table = this.servingTable();
    const { order, sums, size } = acc;
    const binary = this.spec.features.binary;
    const offset = this.scaleOffset();
    let dot = 0;
    let sumSquares = 0;
    for (let k = 0; k < size; k++) {
      const at = order[k] * 2;
      const value = binary ? Math.sign(sums[k]) : sums[k];
      const scaled = value * (table[at] + offset);
      const share = scaled * table[at + 1];
      if (shares !== null) shares[k] = share;
      dot += share;
      sumSquares += scaled * scaled;
    }
    const norm = this.spec.features.l2Normalize && sumSquares > 0 ? Math.sqrt(sumSquares) : 1;
    const { scale, intercept } = this.classifier;
    if (shares !== null) for (let k = 0; k < size; k++) shares[k] = (shares[k] / norm) * scale;
    return (dot / norm) * scale + intercept;
  }

  /** Added to every table scale: the NB class-size term (0 without NB). */
  scaleOffset(): number {
    return this.nb === null ? 0 : this.nb.offset;
  }

  /** The interleaved (scale, weight) float32 table prediction reads; rebuilt first if stale. */
  servingTable(): Float32Array {
    const classifier = this.classifier;
    if (this.tableStale || this.tableGeneration !== classifier.generation) {
      const { table } = this;
      const v = classifier.v;
      const ratio = this.nb?.ratio;
      for (let j = 0; j < v.length; j++) {
        table[2 * j] = ratio === undefined ? 1 : ratio[j];
        table[2 * j + 1] = v[j];
      }
      this.tableStale = false;
      this.tableGeneration = classifier.generation;
    }
    return this.table;
  }

  /** Copies the learning state of the row's features into the serving table. */
  private syncTable(row: SparseRow): void {
    if (this.tableStale || this.tableGeneration !== this.classifier.generation) return; // rebuilt on next use
    const { table } = this;
    const v = this.classifier.v;
    const ratio = this.nb?.ratio;
    for (let k = 0; k < row.length; k++) {
      const j = row.indices[k];
      if (ratio !== undefined) table[2 * j] = ratio[j];
      table[2 * j + 1] = v[j];
    }
  }

  positiveProbability(text: string): number {
    return sigmoid(this.decision(text));
  }

  predict(text: string): Prediction {
    const positiveProbability = this.positiveProbability(text);
    const label: Label = positiveProbability >= 0.5 ? 1 : 0;
    return {
      label: labelName(label),
      probability: label === 1 ? positiveProbability : 1 - positiveProbability,
      positiveProbability,
    };
  }

  /**
   * Training step on a raw row: the NB counts are fixed during batch training (counted in a
   * first pass), so only the classifier moves.
   */
  trainStep(raw: SparseRow, label: Label): void {
    this.classifier.step(this.finishRow(raw), label);
    this.tableStale = true;
  }

  /** Counts a raw row into the NB ratios (first pass of batch training; part of `learn`). */
  observe(raw: SparseRow, label: Label): void {
    this.nb?.observe(raw, label);
    this.tableStale = true;
  }

  /**
   * Online learning from one labelled review: update the NB counts with it, then one SGD step.
   * Batch training does the same two things, in two passes.
   */
  learn(text: string, label: Label): void {
    const row = copyRow(this.rawRow(text));
    this.nb?.observe(row, label);
    this.classifier.step(this.finishRow(row), label);
    this.syncTable(row);
  }

  /**
   * Online learning from labelled reviews, one `learn` step each, in order: the NB counts and the
   * weights both move, as in batch training.
   */
  partialFit(texts: readonly string[], labels: readonly Label[]): void {
    if (texts.length !== labels.length) {
      throw new RangeError(`partialFit: ${texts.length} texts but ${labels.length} labels; give one label per text.`);
    }
    for (let k = 0; k < texts.length; k++) this.learn(texts[k], labels[k]);
  }

  /** Ends batch training: fixes the averaged weights and switches to the online step size. */
  finishTraining(): void {
    this.classifier.finishAveraging();
    this.classifier.settings = onlineSgdSettings(this.spec);
  }
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
