import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { isHeldOut } from '../../src/corpus/holdout.js';

const keys = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? `pos/${i}_8.txt` : `line:${i}`));

describe('isHeldOut', () => {
  it('gives the same answer for a key and seed whatever order the keys are asked in', () => {
    // Arrange
    const forward = keys.map((key) => isHeldOut(key, 42, 0.2));

    // Act
    const backward = [...keys]
      .reverse()
      .map((key) => isHeldOut(key, 42, 0.2))
      .reverse();

    // Assert
    expect(backward).toEqual(forward);
  });

  it('holds out about the requested fraction of 10,000 keys', () => {
    for (const fraction of [0.1, 0.25, 0.5]) {
      // Act
      const heldOut = keys.filter((key) => isHeldOut(key, 7, fraction)).length;

      // Assert: a binomial sd is at most 50 documents here; allow 4 sd
      expect(Math.abs(heldOut / keys.length - fraction)).toBeLessThan(0.02);
    }
  });

  it('holds out a different subset for another seed', () => {
    // Act
    const a = keys.filter((key) => isHeldOut(key, 1, 0.1));
    const b = new Set(keys.filter((key) => isHeldOut(key, 2, 0.1)));

    // Assert: independent 10% subsets share about 1% of the keys, not 10%
    const shared = a.filter((key) => b.has(key)).length;
    expect(shared).toBeLessThan(250);
  });

  it('holds out nothing with fraction 0 and everything with fraction 1', () => {
    expect(keys.some((key) => isHeldOut(key, 3, 0))).toBe(false);
    expect(keys.every((key) => isHeldOut(key, 3, 1))).toBe(true);
  });

  it('refuses a fraction outside [0, 1]', () => {
    expect(() => isHeldOut('line:2', 1, 1.5)).toThrow(InvalidInputError);
    expect(() => isHeldOut('line:2', 1, -0.1)).toThrow(/from 0 to 1/);
    expect(() => isHeldOut('line:2', 1, Number.NaN)).toThrow(InvalidInputError);
  });
});
