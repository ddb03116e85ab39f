import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt, shuffleInPlace } from '../../src/corpus/random.js';

describe('mulberry32', () => {
  it('gives the same numbers for the same seed and other numbers for another seed', () => {
    // Arrange
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);

    // Act
    const fromA = Array.from({ length: 5 }, () => a());
    const fromB = Array.from({ length: 5 }, () => b());
    const fromC = Array.from({ length: 5 }, () => c());

    // Assert
    expect(fromA).toEqual(fromB);
    expect(fromA).not.toEqual(fromC);
  });

  it('returns numbers in [0, 1) that are spread evenly', () => {
    // Arrange
    const rng = mulberry32(7);
    const buckets = new Array<number>(10).fill(0);

    // Act
    const numbers = Array.from({ length: 10_000 }, () => rng());
    for (const u of numbers) buckets[Math.floor(u * 10)] += 1;

    // Assert: each decile holds about 1,000 (a binomial sd is 30)
    expect(Math.min(...numbers)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...numbers)).toBeLessThan(1);
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});

describe('shuffleInPlace', () => {
  it('returns a permutation of its input that the seed fixes', () => {
    // Arrange
    const items = Array.from({ length: 100 }, (_, i) => i);

    // Act
    const first = shuffleInPlace([...items], mulberry32(1));
    const again = shuffleInPlace([...items], mulberry32(1));

    // Assert
    expect(first).toEqual(again);
    expect(first).not.toEqual(items);
    expect([...first].sort((x, y) => x - y)).toEqual(items);
  });

  it('leaves empty and one-item arrays as they are', () => {
    expect(shuffleInPlace([], mulberry32(1))).toEqual([]);
    expect(shuffleInPlace(['only'], mulberry32(1))).toEqual(['only']);
  });
});

describe('randomInt', () => {
  it('stays within [0, bound)', () => {
    const rng = mulberry32(3);
    for (let i = 0; i < 1000; i++) {
      const n = randomInt(rng, 7);
      expect(Number.isInteger(n) && n >= 0 && n < 7).toBe(true);
    }
  });
});
