import { describe, expect, it } from 'vitest';

import {
  LatencyRecorder,
  percentile,
  summarizeCase,
  summarizeLatencies,
  type LoadCounts,
} from '../../tools/bench/stats.js';

describe('percentile', () => {
  it('takes the nearest rank: the smallest value with at least p% of the values at or below it', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 99.5)).toBe(100);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
  });

  it('gives the one value of a single-value list for every p', () => {
    expect([0, 50, 99, 100].map((p) => percentile([7.5], p))).toEqual([7.5, 7.5, 7.5, 7.5]);
  });

  it('rounds the rank up on short lists, so p99 of 10 values is the largest', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 99)).toBe(10);
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 90)).toBe(9);
  });

  it('is NaN for no values and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('LatencyRecorder', () => {
  it('keeps every value past its initial capacity and returns them sorted', () => {
    // Arrange
    const recorder = new LatencyRecorder();
    const n = 40_000; // beyond the first 16,384-slot array

    // Act
    for (let i = n; i > 0; i--) recorder.record(i / 100);
    const sorted = recorder.sorted();

    // Assert
    expect(recorder.count).toBe(n);
    expect(sorted.length).toBe(n);
    expect(sorted[0]).toBe(0.01);
    expect(sorted[n - 1]).toBe(400);
    expect(sorted.every((v, i) => i === 0 || sorted[i - 1] <= v)).toBe(true);
  });
});

describe('summarizeLatencies', () => {
  it('gives count, mean, p50, p90, p99 and max rounded to 0.01 ms', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => (i + 1) / 3); // 0.333.. to 333.33..

    expect(summarizeLatencies(sorted)).toEqual({
      count: 1000,
      mean: 166.83,
      p50: 166.67,
      p90: 300,
      p99: 330,
      max: 333.33,
    });
  });

  it('gives zeros, not NaN, when no request succeeded', () => {
    expect(summarizeLatencies([])).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe('summarizeCase', () => {
  const counts: LoadCounts = {
    duration: 10.02,
    requestsMean: 6612.4,
    sent: 66_200,
    ok2xx: 66_000,
    non2xx: 124,
    errors: 3,
    timeouts: 1,
    statusCodes: { '200': 66_000, '429': 100, '500': 24 },
  };

  it("reports autocannon's mean rate, 2xx per second, failures by status and the latency summary", () => {
    // Act
    const summary = summarizeCase({ method: 'POST', path: '/results' }, counts, [1, 2, 3, 4]);

    // Assert
    expect(summary).toEqual({
      method: 'POST',
      path: '/results',
      seconds: 10.02,
      rps: 6612.4,
      okPerSecond: 6586.8,
      responses: 66_124,
      ok2xx: 66_000,
      non2xx: 124,
      errors: 3,
      timeouts: 1,
      statusCodes: { '200': 66_000, '429': 100, '500': 24 },
      latencyMs: { count: 4, mean: 2.5, p50: 2, p90: 4, p99: 4, max: 4 },
    });
  });

  it('does not divide by a zero duration', () => {
    expect(summarizeCase({ method: 'GET', path: '/' }, { ...counts, duration: 0 }, []).okPerSecond).toBe(0);
  });
});
