import { describe, expect, it } from 'vitest';
import { predictionId } from '../../src/learner/prediction-id.js';

describe('predictionId', () => {
  it('is a version 7 UUID with the time in its first 48 bits', () => {
    const id = predictionId(Date.UTC(2026, 10, 29, 12, 0, 0));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(Date.UTC(2026, 10, 29, 12, 0, 0));
  });

  it('sorts ids made in later milliseconds after earlier ones, and never repeats', () => {
    const ids = Array.from({ length: 1000 }, (_, k) => predictionId(1_700_000_000_000 + Math.floor(k / 10)));
    const laterMs = ids.filter((_, k) => k % 10 === 0);
    expect([...laterMs].sort()).toEqual(laterMs);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
