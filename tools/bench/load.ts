import autocannon from 'autocannon';

import type { Cleanup, CleanupStep } from './cleanup.js';
import type { CaseName } from './options.js';
import { SERVER_HOST } from '../server-process.js';
import { BenchError } from './bench-server.js';
import { LatencyRecorder, type LoadCounts } from './stats.js';

/** One HTTP request of a load case. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

/** The request of each fixed-request case (the feedback case builds one per prediction). */
export function caseRequest(name: Exclude<CaseName, 'feedback'>, review: string): LoadRequest {
  switch (name) {
    case 'get':
      return { method: 'GET', path: '/' };
    case 'results':
      return {
        method: 'POST',
        path: '/results',
        headers: FORM_HEADERS,
        body: new URLSearchParams({ review }).toString(),
      };
    case 'predict':
      return { method: 'POST', path: '/api/v1/predict', headers: JSON_HEADERS, body: JSON.stringify({ review }) };
  }
}

/**
 * The review of the n-th prediction made for the feedback case: the bench review's words in an
 * order of its own (a seeded shuffle). The moderation rule rejects a review that repeats or
 * nearly repeats an earlier one (MinHash over word 3-shingles), so each feedback row needs its
 * own wording, or the case would measure a log that never learns. The same words keep its length
 * and sentiment.
 */
export function feedbackReview(review: string, n: number): string {
  const words = review.split(/\s+/).filter((word) => word !== '');
  let state = (n + 1) * 0x9e3779b1;
  for (let i = words.length - 1; i > 0; i--) {
    state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5;
    const j = ((state ^ (state >>> 13)) >>> 0) % (i + 1);
    [words[i], words[j]] = [words[j], words[i]];
  }
  return words.join(' ');
}

export interface LoadRunOptions {
  url: string;
  connections: number;
  /** Seconds of load; with `amount`, the run stops at whichever comes first. */
  duration?: number;
  /** Send exactly this many requests (fewer if `duration` runs out first). */
  amount?: number;
  /** Requests sent in turn on each connection. */
  requests: autocannon.Request[];
  cleanup: Cleanup;
}

export interface LoadRunResult {
  counts: LoadCounts;
  /** Latencies of the 2xx answers in ms, sorted ascending. */
  latencies: Float64Array;
}

/**
 * Runs autocannon against a 127.0.0.1 URL and returns its counts with exact 2xx latencies.
 * While it runs, the cleanup can stop it.
 */
export function runLoad(options: LoadRunOptions): Promise<LoadRunResult> {
  if (!options.url.startsWith(`http://${SERVER_HOST}:`)) {
    throw new BenchError(`the bench only loads http://${SERVER_HOST}, not ${options.url}`);
  }
  options.cleanup.throwIfAborted();
  const recorder = new LatencyRecorder();
  return new Promise<LoadRunResult>((resolve, reject) => {
    // eslint-disable-next-line prefer-const -- set once autocannon() returns, but its callback reads it and runs synchronously on bad options, where a const would still be uninitialised
    let step: CleanupStep | undefined;
    let timer: NodeJS.Timeout | undefined;
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        timeout: 10,
        ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 10 }),
        requests: options.requests,
      },
      (error: unknown, result: autocannon.Result) => {
        step?.dismiss();
        if (timer !== undefined) clearTimeout(timer);
        if (error)
          return reject(
            error instanceof Error ? error : new Error(typeof error === 'string' ? error : JSON.stringify(error)),
          );
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat?.count ?? 0;
        resolve({
          counts: {
            duration: result.duration,
            requestsMean: result.requests.mean,
            sent: result.requests.sent,
            ok2xx: result['2xx'],
            non2xx: result.non2xx,
            errors: result.errors,
            timeouts: result.timeouts,
            statusCodes,
          },
          latencies: recorder.sorted(),
        });
      },
    );
    step = options.cleanup.add('stop the load generator', () => instance.stop());
    // autocannon ignores `duration` when given `amount`; stop it ourselves (it ends at its next 1 s tick).
    if (options.amount !== undefined && options.duration !== undefined) {
      timer = setTimeout(() => instance.stop(), options.duration * 1000);
    }
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) recorder.record(responseTime);
    });
  });
}

/** A fixed request as autocannon wants it. */
export function toAutocannon(request: LoadRequest): autocannon.Request {
  return {
    method: request.method,
    path: request.path,
    ...(request.headers !== undefined ? { headers: request.headers } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
  };
}

export interface PredictionPool {
  ids: string[];
  seconds: number;
  /** Predict requests that did not answer 200 with an id. */
  failed: number;
}

/**
 * Creates `count` stored predictions through POST /api/v1/predict (each on its own variant of the
 * review, see `feedbackReview`) and returns their ids, for the feedback case to answer.
 */
export async function createPredictions(options: {
  url: string;
  review: string;
  count: number;
  connections: number;
  cleanup: Cleanup;
}): Promise<PredictionPool> {
  const ids: string[] = [];
  let made = 0;
  let failed = 0;
  const started = performance.now();
  const predict = caseRequest('predict', options.review);
  await runLoad({
    url: options.url,
    connections: options.connections,
    amount: Math.max(options.count, options.connections),
    cleanup: options.cleanup,
    requests: [
      {
        ...toAutocannon(predict),
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ review: feedbackReview(options.review, made++) }),
        }),
        onResponse: (status, body) => {
          const id = status === 200 ? /"predictionId":"([^"]+)"/.exec(body)?.[1] : undefined;
          if (id === undefined) failed++;
          else ids.push(id);
        },
      },
    ],
  });
  return { ids, seconds: (performance.now() - started) / 1000, failed };
}

export interface FeedbackRun extends LoadRunResult {
  /** review_db ids from the 201 answers. */
  reviewIds: number[];
  /** Prediction ids handed to requests. */
  used: number;
  /** True when every prediction of the pool was answered before `duration` was up (the run was shorter). */
  exhausted: boolean;
}

/**
 * The feedback case: POST /api/v1/feedback with a distinct prediction id per request (never one
 * twice: the run sends at most one request per id), alternating correct true/false, for
 * `duration` seconds or until the pool is used up, whichever comes first.
 */
export async function runFeedbackLoad(options: {
  url: string;
  ids: readonly string[];
  connections: number;
  duration: number;
  cleanup: Cleanup;
}): Promise<FeedbackRun> {
  const { ids } = options;
  if (ids.length < options.connections) {
    throw new BenchError(`the feedback case needs at least one prediction per connection, got ${ids.length}`);
  }
  const reviewIds: number[] = [];
  let next = 0;
  const result = await runLoad({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    amount: ids.length,
    cleanup: options.cleanup,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/feedback',
        headers: JSON_HEADERS,
        setupRequest: (request) => {
          // autocannon builds no more requests than `amount`; the clamp only guards against a miscount.
          const n = Math.min(next++, ids.length - 1);
          return { ...request, body: JSON.stringify({ predictionId: ids[n], correct: n % 2 === 0 }) };
        },
        onResponse: (status, body) => {
          if (status < 200 || status >= 300) return;
          const id = /"reviewId":(\d+)/.exec(body)?.[1];
          if (id !== undefined) reviewIds.push(Number(id));
        },
      },
    ],
  });
  const used = Math.min(next, ids.length);
  return { ...result, reviewIds, used, exhausted: result.counts.ok2xx + result.counts.non2xx >= ids.length };
}
