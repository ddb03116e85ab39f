/**
 * A sparse feature vector: `length` (index, value) pairs, indices distinct, in no particular
 * order. Vectorizers reuse one row's buffers from text to text; copy it (`copyRow`) to keep it.
 */
export interface SparseRow {
  indices: Int32Array;
  values: Float64Array;
  length: number;
}

export function emptyRow(capacity = 1024): SparseRow {
  return { indices: new Int32Array(capacity), values: new Float64Array(capacity), length: 0 };
}

/** An exact-size copy that owns its buffers. */
export function copyRow(row: SparseRow): SparseRow {
  return {
    indices: row.indices.slice(0, row.length),
    values: row.values.slice(0, row.length),
    length: row.length,
  };
}

/** Builds a row from parallel arrays (tests, fixtures). */
export function rowOf(indices: ArrayLike<number>, values: ArrayLike<number>): SparseRow {
  if (indices.length !== values.length) {
    throw new RangeError(`rowOf: ${indices.length} indices but ${values.length} values; give one value per index.`);
  }
  return { indices: Int32Array.from(indices), values: Float64Array.from(values), length: indices.length };
}
