import { describe, expect, it } from 'vitest';
import { predictionOf } from '../../src/model/types.js';

describe('predictionOf', () => {
  it('predicts positive from a positive probability of 0.5 up, with that probability', () => {
    // Act
    const likely = predictionOf(0.8);
    const tie = predictionOf(0.5);
    const certain = predictionOf(1);

    // Assert
    expect(likely).toEqual({ label: 'positive', probability: 0.8, positiveProbability: 0.8 });
    expect(tie).toEqual({ label: 'positive', probability: 0.5, positiveProbability: 0.5 });
    expect(certain).toEqual({ label: 'positive', probability: 1, positiveProbability: 1 });
  });

  it('predicts negative below 0.5, with the probability of negative', () => {
    // Act
    const likely = predictionOf(0.2);
    const barely = predictionOf(0.4999999);
    const certain = predictionOf(0);

    // Assert
    expect(likely.label).toBe('negative');
    expect(likely.probability).toBeCloseTo(0.8, 15);
    expect(likely.positiveProbability).toBe(0.2);
    expect(barely).toMatchObject({ label: 'negative', positiveProbability: 0.4999999 });
    expect(barely.probability).toBeGreaterThan(0.5);
    expect(certain).toEqual({ label: 'negative', probability: 1, positiveProbability: 0 });
  });
});
