import { describe, expect, it } from 'vitest';

import { parseBenchArgs } from '../../tools/bench/options.js';
import { slope, summarizeSoak, type SoakWindow } from '../../tools/bench/soak.js';

const window = (atS: number, rssMb: number, p99Ms: number, non2xx = 0): SoakWindow => ({
  atS,
  requests: 1000,
  rps: 100,
  non2xx,
  errors: 0,
  p50Ms: 5,
  p99Ms,
  maxMs: p99Ms * 2,
  rssMb,
});

describe('soak options', () => {
  it('are off unless asked for; --soak alone is ten minutes; a window defaults to the soak', () => {
    expect(parseBenchArgs([])).toMatchObject({ soak: null, soakWindow: null });
    expect(parseBenchArgs(['--soak'])).toMatchObject({ soak: 600 });
    expect(parseBenchArgs(['--soak', '--workers', '2'])).toMatchObject({ soak: 600, workers: [2] });
    expect(parseBenchArgs(['--soak', '20', '--soak-window', '4'])).toMatchObject({ soak: 20, soakWindow: 4 });
  });

  it('refuses a soak of no time', () => {
    expect(() => parseBenchArgs(['--soak', '0'])).toThrow(/--soak must be a number of seconds above 0/);
  });
});

describe('summarizeSoak', () => {
  it('reports the RSS drift from the first window to the last, the trend after the first window per 10 minutes, and p99 over time', () => {
    // Warm-up growth in the first window, then 1 MB a minute.
    const windows = [window(30, 200, 20), window(60, 210, 25), window(90, 210.5, 22), window(120, 211, 30, 3)];

    expect(summarizeSoak(windows)).toEqual({
      rssDriftMb: 11,
      rssSlopeMbPer10Min: 10,
      p99FirstMs: 20,
      p99LastMs: 30,
      p99MaxMs: 30,
      non2xx: 3,
      errors: 0,
    });
  });

  it('reads a flat memory as a flat trend', () => {
    expect(
      slope([
        { x: 0, y: 5 },
        { x: 1, y: 5 },
        { x: 2, y: 5 },
      ]),
    ).toBe(0);
    expect(summarizeSoak([window(30, 200, 10)])).toMatchObject({ rssDriftMb: 0, rssSlopeMbPer10Min: 0 });
  });
});
