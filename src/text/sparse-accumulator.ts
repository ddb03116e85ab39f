import type { SparseRow } from './sparse-row.js';

/**
 * Summed term values of one text by column, as the hashing vectorizer leaves them for a fused
 * scoring loop: column `order[e]` has sum `sums[e]`, for e < `size`. `SparseAccumulator` is one;
 * `KernelSums` (the kernel's memory) is the other.
 */
export interface FeatureSums {
  readonly order: Int32Array;
  readonly sums: Float64Array;
  readonly size: number;
  /** Empties it for the next text. */
  clear(): void;
}

/** Copies `sums` into `row` (growing its buffers if needed) and clears it. */
export function drainInto(sums: FeatureSums, row: SparseRow): SparseRow {
  const n = sums.size;
  if (row.indices.length < n) {
    row.indices = new Int32Array(n * 2);
    row.values = new Float64Array(n * 2);
  }
  row.indices.set(sums.order.subarray(0, n));
  row.values.set(sums.sums.subarray(0, n));
  row.length = n;
  sums.clear();
  return row;
}

/**
 * Sums values per feature index for one text, in an open-addressing table that is cleared in
 * O(1) rather than O(n_features), so vectorizing costs the text's length whatever the hash space
 * (2^22 features would mean a 32 MB dense scratch array otherwise).
 *
 * A slot is in use only if its stamp is the current round's, so `clear()` starts a new round
 * instead of emptying the slots one by one (which took ~3% of a prediction).
 */
export class SparseAccumulator implements FeatureSums {
  private keys = new Int32Array(4096);
  private slots = new Int32Array(4096);
  private stamps = new Int32Array(4096);
  private round = 1;
  private mask = 4095;
  /** Distinct indices in first-seen order, `size` of them; read directly by fused loops. */
  order: Int32Array = new Int32Array(2048);
  /** Summed value of `order[k]`. */
  sums: Float64Array = new Float64Array(2048);
  size = 0;

  /** Adds `value` to the sum of `index`; returns the entry (position in `order`/`sums`) of `index`. */
  add(index: number, value: number): number {
    const { keys, stamps, mask, round } = this;
    let slot = (Math.imul(index, 0x9e3779b1) >>> 0) & mask;
    while (stamps[slot] === round) {
      if (keys[slot] === index) {
        const entry = this.slots[slot];
        this.sums[entry] += value;
        return entry;
      }
      slot = (slot + 1) & mask;
    }
    if (this.size * 2 >= this.mask) {
      this.grow();
      return this.add(index, value);
    }
    const entry = this.size;
    keys[slot] = index;
    stamps[slot] = round;
    this.slots[slot] = entry;
    this.order[entry] = index;
    this.sums[entry] = value;
    this.size = entry + 1;
    return entry;
  }

  /** Position of `index` in `order`/`sums`, or -1 when absent. */
  slotOf(index: number): number {
    let slot = (Math.imul(index, 0x9e3779b1) >>> 0) & this.mask;
    while (this.stamps[slot] === this.round) {
      if (this.keys[slot] === index) return this.slots[slot];
      slot = (slot + 1) & this.mask;
    }
    return -1;
  }

  clear(): void {
    this.size = 0;
    if (this.round === 0x7fffffff) {
      this.stamps.fill(0);
      this.round = 0;
    }
    this.round++;
  }

  private grow(): void {
    const entries = this.order.slice(0, this.size);
    const sums = this.sums.slice(0, this.size);
    const capacity = (this.mask + 1) * 2;
    this.keys = new Int32Array(capacity);
    this.slots = new Int32Array(capacity);
    this.stamps = new Int32Array(capacity);
    this.round = 1;
    this.mask = capacity - 1;
    this.order = new Int32Array(capacity / 2);
    this.sums = new Float64Array(capacity / 2);
    this.size = 0;
    for (let k = 0; k < entries.length; k++) this.add(entries[k], sums[k]);
  }
}
