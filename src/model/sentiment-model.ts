import { HashingVectorizer, normalizeL2 } from '../text/hashing-vectorizer.js';
import { copyRow, type SparseRow } from '../text/sparse-row.js';
import { LogisticRegression, sigmoid } from './logistic-regression.js';
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

  constructor(spec: ModelSpec, classifier: LogisticRegression, nb: NbScaling | null) {
    this.spec = spec;
    // Normalization must come after NB scaling, so the vectorizer never normalizes itself here.
    this.vectorizer = new HashingVectorizer({ ...spec.features, l2Normalize: false });
    this.classifier = classifier;
    this.nb = nb;
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

  decision(text: string): number {
    return this.classifier.decision(this.row(text));
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
  }

  /** Counts a raw row into the NB ratios (first pass of batch training; part of `learn`). */
  observe(raw: SparseRow, label: Label): void {
    this.nb?.observe(raw, label);
  }

  /**
   * Online learning from one labelled review: update the NB counts with it, then one SGD step.
   * Batch training does the same two things, in two passes.
   */
  learn(text: string, label: Label): void {
    const raw = this.rawRow(text);
    if (this.nb !== null) {
      const kept = copyRow(raw);
      this.nb.observe(kept, label);
      this.classifier.step(this.finishRow(kept), label);
    } else {
      this.classifier.step(this.finishRow(raw), label);
    }
  }

  /** Ends batch training: fixes the averaged weights and switches to the online step size. */
  finishTraining(): void {
    this.classifier.finishAveraging();
    if (this.spec.onlineEta !== null) {
      this.classifier.settings = {
        ...this.classifier.settings,
        learningRate: { kind: 'constant', eta0: this.spec.onlineEta },
      };
    }
  }
}
