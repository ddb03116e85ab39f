import { describe, expect, it } from 'vitest';
import { NbScaling } from '../../src/model/nb-scaling.js';
import { rowOf } from '../../src/text/sparse-row.js';

describe('NbScaling', () => {
  it('gives each feature the log-count ratio log((p + alpha) / (q + alpha)) of the documents it was observed in', () => {
    // Arrange
    const nb = new NbScaling(8, 1);

    // Act: feature 1 in two positive documents, feature 2 in one of each, feature 3 in one negative.
    nb.observe(rowOf([1, 2], [1, 1]), 1);
    nb.observe(rowOf([1], [0.5]), 1);
    nb.observe(rowOf([2, 3], [1, 3]), 0);

    // Assert
    expect(nb.ratio[1]).toBeCloseTo(Math.log(3 / 1), 6);
    expect(nb.ratio[2]).toBeCloseTo(0, 6);
    expect(nb.ratio[3]).toBeCloseTo(Math.log(1 / 2), 6);
    expect(Array.from(nb.positive.subarray(0, 4))).toEqual([0, 2, 1, 0]);
    expect(Array.from(nb.negative.subarray(0, 4))).toEqual([0, 0, 1, 1]);
  });

  it('counts documents, not occurrences: the value in the row does not matter', () => {
    // Arrange
    const nb = new NbScaling(4, 0.5);

    // Act
    nb.observe(rowOf([0], [7]), 1);

    // Assert
    expect(nb.positive[0]).toBe(1);
    expect(nb.ratio[0]).toBeCloseTo(Math.log(1.5 / 0.5), 6);
  });

  it('adds the class-size offset log((N + 2a) / (P + 2a)) to every ratio when scaling, seen or not', () => {
    // Arrange: one positive document, no negative one
    const nb = new NbScaling(4, 1);
    nb.observe(rowOf([1], [1]), 1);
    const row = rowOf([0, 1], [1, 1]);

    // Act
    nb.scale(row);

    // Assert
    const offset = Math.log((0 + 2) / (1 + 2));
    expect(nb.offset).toBeCloseTo(offset, 12);
    expect(row.values[0]).toBeCloseTo(offset, 6);
    expect(row.values[1]).toBeCloseTo(Math.log(2) + offset, 6);
  });

  it('has no offset for balanced classes, and multiplies each value by its full ratio in place', () => {
    // Arrange
    const nb = new NbScaling(4, 1);
    nb.observe(rowOf([2], [1]), 0);
    nb.observe(rowOf([3], [1]), 1);
    const row = rowOf([2, 3], [2, -3]);

    // Act
    nb.scale(row);

    // Assert
    expect(nb.offset).toBe(0);
    expect(row.values[0]).toBeCloseTo(2 * Math.log(1 / 2), 6);
    expect(row.values[1]).toBeCloseTo(-3 * Math.log(2), 6);
  });

  it('keeps a feature common to both classes neutral when the stream of documents is one-sided', () => {
    // Arrange: feature 0 in 100 documents of each class, then 50 more positive documents with it
    const nb = new NbScaling(2, 1);
    for (let k = 0; k < 100; k++) {
      nb.observe(rowOf([0], [1]), 1);
      nb.observe(rowOf([0], [1]), 0);
    }

    // Act
    for (let k = 0; k < 50; k++) nb.observe(rowOf([0], [1]), 1);
    const row = rowOf([0], [1]);
    nb.scale(row);

    // Assert: the per-feature ratio leans positive, the offset takes it back
    expect(nb.ratio[0]).toBeGreaterThan(0.2);
    expect(Math.abs(row.values[0])).toBeLessThan(0.01);
  });

  it('rebuilds the same ratios from saved counts, with or without the list of active features', () => {
    // Arrange
    const original = new NbScaling(6, 1);
    original.observe(rowOf([0, 4], [1, 1]), 1);
    original.observe(rowOf([4, 5], [1, 1]), 0);
    original.observe(rowOf([5], [1]), 0);
    const counts = {
      positive: original.positive.slice(),
      negative: original.negative.slice(),
      positiveDocs: original.positiveDocs,
      negativeDocs: original.negativeDocs,
    };

    // Act
    const scanned = new NbScaling(6, 1, counts);
    const listed = new NbScaling(6, 1, { ...counts, active: Int32Array.from([0, 4, 5]) });

    // Assert
    expect(scanned.ratio).toEqual(original.ratio);
    expect(listed.ratio).toEqual(original.ratio);
    expect(listed.offset).toBe(original.offset);
  });
});
