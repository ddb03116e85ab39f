import type { SparseRow } from '../text/sparse-row.js';
import type { Label } from './types.js';

/**
 * Naive-Bayes log-count-ratio scaling (NBSVM, Wang & Manning 2012), kept online.
 *
 * For feature j, with p_j / q_j the number of positive / negative documents containing it,
 * r_j = log((p_j + alpha) / (q_j + alpha)). A row is scaled element-wise by r before the
 * logistic regression sees it. The class-size term of the original formula is left out: it
 * would shift every r_j whenever a document is added, so one feedback would touch every weight;
 * the intercept absorbs the class prior instead. Updating with one document changes r only for
 * that document's features, so online learning costs O(non-zeros), like the SGD step after it.
 */
export class NbScaling {
  readonly alpha: number;
  // Float32 holds whole counts exactly up to 2^24 documents and r to ~7 digits, at half the
  // memory of Float64: three arrays of n_features each are most of a server's footprint.
  readonly positive: Float32Array;
  readonly negative: Float32Array;
  /** Cached r_j; 0 for features never seen. */
  readonly ratio: Float32Array;

  /**
   * @param counts saved counts, with `active` the indices where either is non-zero when known
   *   (a model file lists them), so loading computes ratios for those only.
   */
  constructor(
    nFeatures: number,
    alpha: number,
    counts?: { positive: Float32Array; negative: Float32Array; active?: Int32Array },
  ) {
    this.alpha = alpha;
    this.positive = counts?.positive ?? new Float32Array(nFeatures);
    this.negative = counts?.negative ?? new Float32Array(nFeatures);
    this.ratio = new Float32Array(nFeatures);
    if (counts?.active !== undefined) {
      for (const j of counts.active) this.ratio[j] = this.ratioOf(j);
    } else if (counts !== undefined) {
      for (let j = 0; j < nFeatures; j++) {
        if (this.positive[j] !== 0 || this.negative[j] !== 0) this.ratio[j] = this.ratioOf(j);
      }
    }
  }

  /** Counts the features present in `row` (any non-zero value) for `label`. */
  observe(row: SparseRow, label: Label): void {
    const counts = label === 1 ? this.positive : this.negative;
    const { indices, length } = row;
    for (let k = 0; k < length; k++) {
      const j = indices[k];
      counts[j] += 1;
      this.ratio[j] = this.ratioOf(j);
    }
  }

  /** Multiplies each value of `row` by its feature's ratio, in place. */
  scale(row: SparseRow): void {
    const { indices, values, length } = row;
    const ratio = this.ratio;
    for (let k = 0; k < length; k++) values[k] *= ratio[indices[k]];
  }

  private ratioOf(j: number): number {
    return Math.log((this.positive[j] + this.alpha) / (this.negative[j] + this.alpha));
  }
}
