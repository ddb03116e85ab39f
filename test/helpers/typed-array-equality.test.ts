import { describe, expect, it } from 'vitest';

import { typedArraysEqual } from './typed-array-equality.js';

// The setup file registers the tester for every test file: these hold toEqual to its own rules.
describe('toEqual on typed arrays (the fast tester)', () => {
  it('passes for arrays of one kind with the same elements, NaN included', () => {
    expect(new Float32Array([1, NaN, -2.5])).toEqual(new Float32Array([1, NaN, -2.5]));
    expect(typedArraysEqual(new Float64Array([0.1, NaN]), new Float64Array([0.1, NaN]))).toBe(true);
  });

  it('fails on one element that differs, on 0 against -0, and on a different length', () => {
    const weights = new Float32Array(65_536).fill(0.25);
    const changed = weights.slice();
    changed[40_000] = 0.5;
    expect(weights).not.toEqual(changed);
    expect(new Float64Array([0])).not.toEqual(new Float64Array([-0]));
    expect(new Int32Array([1, 2])).not.toEqual(new Int32Array([1, 2, 3]));
    expect(typedArraysEqual(weights, changed)).toBe(false);
  });

  it('leaves arrays of different kinds, and anything else, to vitest', () => {
    expect(typedArraysEqual(new Float32Array([1]), new Float64Array([1]))).toBeUndefined();
    expect(typedArraysEqual([1], [1])).toBeUndefined();
    expect(new Float32Array([1])).not.toEqual(new Float64Array([1]));
    expect({ weights: new Float32Array([1, 2]) }).toEqual({ weights: new Float32Array([1, 2]) });
    expect({ weights: new Float32Array([1, 2]) }).not.toEqual({ weights: new Float32Array([1, 3]) });
  });
});
