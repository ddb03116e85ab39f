import { expect } from 'vitest';

/**
 * `toEqual` on two typed arrays of one kind, element by element with `Object.is`, as vitest's own
 * equality compares numbers. Vitest's generic walk takes about a quarter of a second for each
 * 65,536-weight array, and model tests compare many; this gives the same answer in a millisecond.
 * Arrays of different kinds (a Buffer and a Uint8Array, say) are left to vitest's rules.
 */
export function typedArraysEqual(a: unknown, b: unknown): boolean | undefined {
  if (!isNumberArray(a) || !isNumberArray(b) || a.constructor !== b.constructor) return undefined;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

type NumberArray = ArrayLike<number> & ArrayBufferView;

function isNumberArray(value: unknown): value is NumberArray {
  return (
    ArrayBuffer.isView(value) &&
    !(value instanceof DataView) &&
    !(value instanceof BigInt64Array || value instanceof BigUint64Array)
  );
}

expect.addEqualityTesters([typedArraysEqual]);
