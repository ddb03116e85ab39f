/**
 * The numbers of a load case. Latencies are kept exactly (autocannon's own histogram rounds them
 * to whole milliseconds, too coarse for a 1–8 ms target), so percentiles are computed here.
 */

/** A growable list of latencies in ms, cheap enough to append to on every response. */
export class LatencyRecorder {
  private values = new Float64Array(1 << 14);
  private n = 0;

  record(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** The recorded values, sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.values.slice(0, this.n).sort();
  }
}

/**
 * Nearest-rank percentile of ascending values: the smallest value with at least p% of the values
 * at or below it. NaN for no values.
 *
 * @param sorted values in ascending order
 * @param p percentile, 0 to 100
 * @example
 *   percentile(Float64Array.of(1, 2, 3, 4), 50) // 2
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be from 0 to 100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[Math.min(rank, n) - 1];
}

export interface LatencySummary {
  /** Number of latencies summarized (2xx answers only, as autocannon does). */
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Mean, p50, p90, p99 and max of latencies in ms, rounded to 0.01 ms; zeros when empty. */
export function summarizeLatencies(sorted: ArrayLike<number>): LatencySummary {
  const n = sorted.length;
  if (n === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    count: n,
    mean: round(sum / n, 2),
    p50: round(percentile(sorted, 50), 2),
    p90: round(percentile(sorted, 90), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted[n - 1], 2),
  };
}

/** The part of an autocannon result a case summary needs. */
export interface LoadCounts {
  /** autocannon `duration`: seconds the run lasted. */
  duration: number;
  /** autocannon `requests.mean`: responses per one-second sample, averaged. */
  requestsMean: number;
  /** autocannon `requests.sent`. */
  sent: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export interface CaseSummary {
  method: string;
  path: string;
  /** Seconds of load. */
  seconds: number;
  /** Responses per second (autocannon's mean of per-second samples, every status). */
  rps: number;
  /** 2xx answers per second over the whole run. */
  okPerSecond: number;
  /** Responses received (any status). */
  responses: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  /** Count per HTTP status. */
  statusCodes: Record<string, number>;
  /** Of the 2xx answers, in ms. */
  latencyMs: LatencySummary;
  /**
   * The server's CPU time (user + system, all its processes) over the case's load, per response, in
   * ms: steadier than requests/s on a machine the load generator and other work share. Set by the run.
   */
  cpuMsPerResponse?: number;
}

/** Turns the counts of one autocannon run and its recorded latencies into the reported figures. */
export function summarizeCase(
  request: { method: string; path: string },
  counts: LoadCounts,
  sortedLatencies: ArrayLike<number>,
): CaseSummary {
  return {
    method: request.method,
    path: request.path,
    seconds: round(counts.duration, 2),
    rps: round(counts.requestsMean, 1),
    okPerSecond: counts.duration > 0 ? round(counts.ok2xx / counts.duration, 1) : 0,
    responses: counts.ok2xx + counts.non2xx,
    ok2xx: counts.ok2xx,
    non2xx: counts.non2xx,
    errors: counts.errors,
    timeouts: counts.timeouts,
    statusCodes: { ...counts.statusCodes },
    latencyMs: summarizeLatencies(sortedLatencies),
  };
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
