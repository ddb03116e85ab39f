import type { SparseRow } from './sparse-row.js';

const EMPTY = -1;

/**
 * Sums values per feature index for one text, in an open-addressing table that is cleared in
 * O(entries) rather than O(n_features), so vectorizing costs the text's length whatever the
 * hash space (2^22 features would mean a 32 MB dense scratch array otherwise).
 */
export class SparseAccumulator {
  private keys = new Int32Array(4096).fill(EMPTY);
  private slots = new Int32Array(4096);
  private mask = 4095;
  /** Distinct indices in first-seen order, `size` of them; read directly by fused loops. */
  order: Int32Array = new Int32Array(2048);
  /** Summed value of `order[k]`. */
  sums: Float64Array = new Float64Array(2048);
  size = 0;

  /** Adds `value` to the sum of `index`; returns the entry (position in `order`/`sums`) of `index`. */
  add(index: number, value: number): number {
    let slot = Math.imul(index, 0x9e3779b1) >>> 0;
    slot &= this.mask;
    for (;;) {
      const key = this.keys[slot];
      if (key === index) {
        const entry = this.slots[slot];
        this.sums[entry] += value;
        return entry;
      }
      if (key === EMPTY) break;
      slot = (slot + 1) & this.mask;
    }
    if (this.size * 2 >= this.mask) {
      this.grow();
      return this.add(index, value);
    }
    const entry = this.size;
    this.keys[slot] = index;
    this.slots[slot] = entry;
    this.order[entry] = index;
    this.sums[entry] = value;
    this.size = entry + 1;
    return entry;
  }

  /** Position of `index` in `order`/`sums`, or -1 when absent. */
  slotOf(index: number): number {
    let slot = (Math.imul(index, 0x9e3779b1) >>> 0) & this.mask;
    for (;;) {
      const key = this.keys[slot];
      if (key === index) return this.slots[slot];
      if (key === EMPTY) return -1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Copies the entries into `row` (growing its buffers if needed) and clears the table. */
  drainInto(row: SparseRow): SparseRow {
    const n = this.size;
    if (row.indices.length < n) {
      row.indices = new Int32Array(n * 2);
      row.values = new Float64Array(n * 2);
    }
    row.indices.set(this.order.subarray(0, n));
    row.values.set(this.sums.subarray(0, n));
    row.length = n;
    this.clear();
    return row;
  }

  clear(): void {
    const keys = this.keys;
    const mask = this.mask;
    for (let k = 0; k < this.size; k++) {
      let slot = (Math.imul(this.order[k], 0x9e3779b1) >>> 0) & mask;
      while (keys[slot] !== EMPTY) {
        keys[slot] = EMPTY;
        slot = (slot + 1) & mask;
      }
    }
    this.size = 0;
  }

  private grow(): void {
    const entries = this.order.slice(0, this.size);
    const sums = this.sums.slice(0, this.size);
    const capacity = (this.mask + 1) * 2;
    this.keys = new Int32Array(capacity).fill(EMPTY);
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.order = new Int32Array(capacity / 2);
    this.sums = new Float64Array(capacity / 2);
    this.size = 0;
    for (let k = 0; k < entries.length; k++) this.add(entries[k], sums[k]);
  }
}
