import type autocannon from 'autocannon';

import type { BenchContext } from './run.js';
import { startBenchServer } from './bench-server.js';
import { caseRequest, feedbackReview, runLoad, toAutocannon } from './load.js';
import type { BenchOptions } from './options.js';
import { treeRss } from './rss.js';
import { round, summarizeLatencies } from './stats.js';

/** One window of a soak: its load, then the server's memory at its end. */
export interface SoakWindow {
  /** Seconds from the start of the soak to the end of the window. */
  atS: number;
  requests: number;
  rps: number;
  /** Answers other than 2xx, and connection errors and timeouts. */
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Resident memory of the server's processes at the end of the window, in MB. */
  rssMb: number;
}

export interface SoakReport {
  bench: 'movieclassifier-soak';
  at: string;
  workers: number;
  connections: number;
  durationS: number;
  windowS: number;
  windows: SoakWindow[];
  /** RSS at the end of the last window minus the end of the first, in MB. */
  rssDriftMb: number;
  /** Least-squares slope of RSS over the windows after the first, in MB per 10 minutes. */
  rssSlopeMbPer10Min: number;
  p99FirstMs: number;
  p99LastMs: number;
  p99MaxMs: number;
  non2xx: number;
  errors: number;
}

/**
 * The mixed load of a soak, on each connection in turn: the form page, a results page, an API
 * prediction, and feedback on that very prediction (its id carried in the connection's context),
 * each review distinct so that the log grows as it would with readers.
 */
export function soakRequests(review: string): autocannon.Request[] {
  let made = 0;
  const predict = toAutocannon(caseRequest('predict', review));
  return [
    toAutocannon(caseRequest('get', review)),
    toAutocannon(caseRequest('results', review)),
    {
      ...predict,
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ review: feedbackReview(review, made++) }) }),
      onResponse: (status, body, context) => {
        (context as { predictionId?: string }).predictionId =
          status === 200 ? /"predictionId":"([^"]+)"/.exec(body)?.[1] : undefined;
      },
    },
    {
      method: 'POST',
      path: '/api/v1/feedback',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request, context) => ({
        ...request,
        body: JSON.stringify({
          predictionId: (context as { predictionId?: string }).predictionId ?? 'none',
          correct: made % 2 === 0,
        }),
      }),
    },
  ];
}

/** Least-squares slope of y over x; 0 with fewer than two points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / n;
  const my = points.reduce((sum, p) => sum + p.y, 0) / n;
  const sxx = points.reduce((sum, p) => sum + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((sum, p) => sum + (p.x - mx) * (p.y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/** What the windows add up to: drift, slope, p99 first, last and worst, failures. */
export function summarizeSoak(
  windows: readonly SoakWindow[],
): Pick<
  SoakReport,
  'rssDriftMb' | 'rssSlopeMbPer10Min' | 'p99FirstMs' | 'p99LastMs' | 'p99MaxMs' | 'non2xx' | 'errors'
> {
  const first = windows[0];
  const last = windows.at(-1);
  // The first window holds the warm-up growth (JIT, caches); the trend is read after it.
  const trend = slope(windows.slice(1).map((w) => ({ x: w.atS, y: w.rssMb })));
  return {
    rssDriftMb: first === undefined || last === undefined ? 0 : round(last.rssMb - first.rssMb, 1),
    rssSlopeMbPer10Min: round(trend * 600, 1),
    p99FirstMs: first?.p99Ms ?? 0,
    p99LastMs: last?.p99Ms ?? 0,
    p99MaxMs: windows.reduce((max, w) => Math.max(max, w.p99Ms), 0),
    non2xx: windows.reduce((sum, w) => sum + w.non2xx, 0),
    errors: windows.reduce((sum, w) => sum + w.errors, 0),
  };
}

export function formatSoakWindow(w: SoakWindow): string {
  return (
    `soak t=${w.atS.toFixed(0)}s  ${Math.round(w.rps)} req/s  p50 ${w.p50Ms.toFixed(1)} ms  p99 ${w.p99Ms.toFixed(1)} ms  ` +
    `max ${w.maxMs.toFixed(1)} ms  RSS ${w.rssMb.toFixed(1)} MB` +
    (w.non2xx + w.errors > 0 ? `  non-2xx ${w.non2xx}, errors ${w.errors}` : '')
  );
}

/**
 * Soak mode (`npm run bench -- --soak [S]`): one server (WORKERS = the first --workers setting),
 * warmed up, then S seconds of mixed load in windows; after each window a line with its rate,
 * p50/p99/max and the server's RSS. Ends with the RSS drift (last window minus first), the RSS
 * trend after the first window, and p99 first, last and worst: flat memory and a steady p99 over
 * ten minutes is the bar.
 */
export async function runSoak(
  options: BenchOptions,
  review: string,
  modelFile: string,
  context: BenchContext,
): Promise<SoakReport> {
  const { cleanup, log } = context;
  const workers = options.workers[0] ?? 1;
  const durationS = options.soak ?? 600;
  const windowS = options.soakWindow ?? Math.min(30, Math.max(1, durationS / 10));
  const server = await startBenchServer({
    root: context.root,
    workers,
    modelFile,
    logLevel: options.logLevel,
    cleanup,
  });
  try {
    log(
      `soak: ${durationS} s of mixed load (GET /, POST /results, POST /api/v1/predict, feedback on it) on ${server.url}, WORKERS=${workers}, ${options.connections} connections, a line every ${windowS} s`,
    );
    const requests = soakRequests(review);
    if (options.warmup > 0)
      await runLoad({ url: server.url, connections: options.connections, duration: options.warmup, cleanup, requests });
    const windows: SoakWindow[] = [];
    const started = performance.now();
    while ((performance.now() - started) / 1000 < durationS - 0.5) {
      const seconds = Math.min(windowS, durationS - (performance.now() - started) / 1000);
      const run = await runLoad({
        url: server.url,
        connections: options.connections,
        duration: Math.max(1, Math.round(seconds)),
        cleanup,
        requests,
      });
      const latency = summarizeLatencies(run.latencies);
      const window: SoakWindow = {
        atS: round((performance.now() - started) / 1000, 1),
        requests: run.counts.sent,
        rps: round(run.counts.requestsMean, 1),
        non2xx: run.counts.non2xx,
        errors: run.counts.errors + run.counts.timeouts,
        p50Ms: latency.p50,
        p99Ms: latency.p99,
        maxMs: latency.max,
        rssMb: treeRss(server.pid).totalMb,
      };
      windows.push(window);
      log(formatSoakWindow(window));
    }
    const summary = summarizeSoak(windows);
    log(
      `soak: RSS drift ${summary.rssDriftMb >= 0 ? '+' : ''}${summary.rssDriftMb} MB (first window to last), trend after the first ` +
        `${summary.rssSlopeMbPer10Min >= 0 ? '+' : ''}${summary.rssSlopeMbPer10Min} MB per 10 min; p99 ${summary.p99FirstMs} ms first, ` +
        `${summary.p99LastMs} ms last, ${summary.p99MaxMs} ms worst; ${summary.non2xx} non-2xx, ${summary.errors} errors`,
    );
    if (server.stderr().trim() !== '') log(`soak: server stderr:\n${server.stderr().trim()}`);
    return {
      bench: 'movieclassifier-soak',
      at: new Date().toISOString(),
      workers,
      connections: options.connections,
      durationS,
      windowS,
      windows,
      ...summary,
    };
  } finally {
    await server.stop();
  }
}
