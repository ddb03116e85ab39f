import { describe, expect, it } from 'vitest';

import { parseWrkOutput, wrkScript } from '../../tools/bench/wrk.js';

const SAMPLE = `Running 5s test @ http://127.0.0.1:3111/results
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.57ms    8.02ms 112.20ms   91.05%
    Req/Sec   746.38     88.21     0.91k    74.00%
  Latency Distribution
     50%   20.03ms
     75%   22.51ms
     90%   27.14ms
     99%   60.12ms
  3733 requests in 5.01s, 38.32MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:    745.13
Transfer/sec:      7.65MB
`;

describe('wrk support of the bench', () => {
  it('reads requests/s, the latency percentiles, non-2xx answers and socket errors from wrk --latency', () => {
    // Act
    const summary = parseWrkOutput(SAMPLE, { method: 'POST', path: '/results' });

    // Assert
    expect(summary).toMatchObject({
      method: 'POST',
      path: '/results',
      seconds: 5.01,
      rps: 745.1,
      responses: 3733,
      ok2xx: 3728,
      non2xx: 5,
      errors: 3,
      timeouts: 1,
      latencyMs: { count: 3733, mean: 21.57, p50: 20.03, p90: 27.14, p99: 60.12, max: 112.2 },
    });
  });

  it('refuses output without totals instead of reporting zeros', () => {
    expect(() =>
      parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused', { method: 'GET', path: '/' }),
    ).toThrow(/no totals/);
  });

  it('writes a Lua script that sends the method, headers and body verbatim', () => {
    // Act
    const script = wrkScript({
      method: 'POST',
      path: '/x',
      headers: { 'content-type': 'application/json' },
      body: '{"review":"a \\"quoted\\" word"}',
    });

    // Assert
    expect(script).toBe(
      'wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = "{\\"review\\":\\"a \\\\\\"quoted\\\\\\" word\\"}"\n',
    );
  });
});
