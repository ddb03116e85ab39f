import { describe, expect, it } from 'vitest';

import { createTrimSchedule } from '../../src/store/client-trim.js';

describe('createTrimSchedule', () => {
  it('trims a client on its first batch, then once per ceil(bound / 20) of its predictions', () => {
    const schedule = createTrimSchedule(100); // every 5
    const dueAt: number[] = [];
    for (let n = 1; n <= 16; n++) if (schedule.due(['a']).length > 0) dueAt.push(n);
    expect(dueAt).toEqual([1, 6, 11, 16]);
  });

  it('counts each client of a batch apart, ignores rows without a client, and trims at a small bound every time', () => {
    const large = createTrimSchedule(100);
    expect(large.due(['a', 'b', null, 'a'])).toEqual(['a', 'b']);
    expect(large.due(['a', 'a', 'a', 'a', 'b'])).toEqual([]);
    expect(large.due(['a', 'b'])).toEqual(['a']);
    const small = createTrimSchedule(3);
    expect(small.due(['a'])).toEqual(['a']);
    expect(small.due(['a'])).toEqual(['a']);
  });
});
