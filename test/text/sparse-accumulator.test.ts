import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt } from '../../src/corpus/random.js';
import { SparseAccumulator } from '../../src/text/sparse-accumulator.js';

/** The sums a Map gives for the same (index, value) pairs, in first-seen order. */
function mapSums(pairs: [number, number][]): [number, number][] {
  const sums = new Map<number, number>();
  for (const [index, value] of pairs) sums.set(index, (sums.get(index) ?? 0) + value);
  return [...sums];
}

function accumulated(acc: SparseAccumulator): [number, number][] {
  return Array.from({ length: acc.size }, (_, k) => [acc.order[k], acc.sums[k]] as [number, number]);
}

describe('SparseAccumulator', () => {
  it('sums like a Map over many texts in a row, with clear() between them and growth on the way', () => {
    // Arrange: texts from 0 to 9,000 pairs (the table starts at 4,096 slots and grows), indices
    // drawn from a small range so that sums and probing both happen.
    const rng = mulberry32(7);
    const acc = new SparseAccumulator();
    const mismatches: number[] = [];

    // Act
    for (let text = 0; text < 60; text++) {
      const length = text === 30 ? 9_000 : randomInt(rng, 600);
      const pairs = Array.from(
        { length },
        () => [randomInt(rng, 2_000) * 1021, randomInt(rng, 3) - 1] as [number, number],
      );
      const entries = pairs.map(([index, value]) => acc.add(index, value));
      const expected = mapSums(pairs);
      const sameEntries = pairs.every(
        ([index], k) => acc.order[entries[k]] === index && acc.slotOf(index) === entries[k],
      );
      if (JSON.stringify(accumulated(acc)) !== JSON.stringify(expected) || !sameEntries) mismatches.push(text);
      acc.clear();
      if (acc.size !== 0 || acc.slotOf(pairs[0]?.[0] ?? 0) !== -1) mismatches.push(-text);
    }

    // Assert
    expect(mismatches).toEqual([]);
  });

  it('forgets what it held when its round counter wraps around', () => {
    // Arrange
    const acc = new SparseAccumulator();
    acc.add(5, 1);
    (acc as unknown as { round: number }).round = 0x7fffffff;
    acc.add(6, 1);

    // Act
    acc.clear();
    acc.add(7, 2);

    // Assert
    expect(acc.slotOf(5)).toBe(-1);
    expect(acc.slotOf(6)).toBe(-1);
    expect(accumulated(acc)).toEqual([[7, 2]]);
  });
});
