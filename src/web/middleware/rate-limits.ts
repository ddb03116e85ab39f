import cluster from 'node:cluster';

import { ClusterMemoryStoreWorker } from '@express-rate-limit/cluster-memory-store';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import createError from 'http-errors';

import type { Config } from '../../config.js';

export interface RateLimits {
  /** POST /results and POST /api/v1/predict share one budget per client address. */
  predict: RequestHandler;
  /** POST /thanks and POST /api/v1/feedback share another. */
  feedback: RequestHandler;
}

const passThrough: RequestHandler = (_req, _res, next) => next();

/**
 * Fixed one-minute windows per client address (req.ip: the socket's peer, or with TRUST_PROXY the
 * address the trusted proxy reports; IPv6 addresses are grouped by /56 by express-rate-limit's key
 * generator). Over the limit, the request goes to the error handler as a 429 (page or JSON) with
 * Retry-After.
 *
 * The counters are the instance's: in a single process they live in its memory; with WORKERS=N
 * they live in the cluster primary (express-rate-limit's cluster store, one IPC round trip per
 * limited request; src/main.ts starts the primary's side), so a client has the limit across all
 * the workers, not N times it. Instances on one PostgreSQL do not share them: a client that a load
 * balancer spreads over K instances gets up to K times the limit (see docs/api.md for why).
 */
export function setUpRateLimits(config: Pick<Config, 'rateLimit'>): RateLimits {
  if (!config.rateLimit.enabled) return { predict: passThrough, feedback: passThrough };
  return {
    predict: limiter(config.rateLimit.predictPerMinute, 'predictions', 'predict'),
    feedback: limiter(config.rateLimit.feedbackPerMinute, 'feedback answers', 'feedback'),
  };
}

function limiter(perMinute: number, what: string, prefix: string): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    // In a worker, the counters are kept by the primary for all the workers (see above).
    ...(cluster.isWorker ? { store: new ClusterMemoryStoreWorker({ prefix }) } : {}),
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => {
      next(createError(429, `Too many ${what} from your address (${perMinute} a minute); try again in a minute.`));
    },
  });
}
