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
 * Fixed one-minute windows per client address (req.ip; trust proxy is off, so it is the socket's
 * peer, and IPv6 addresses are grouped by /56 by express-rate-limit's key generator). Counters live
 * in each process's memory: with several workers a client gets up to WORKERS times the limit.
 * Over the limit, the request goes to the error handler as a 429 (page or JSON) with Retry-After.
 */
export function setUpRateLimits(config: Pick<Config, 'rateLimit'>): RateLimits {
  if (!config.rateLimit.enabled) return { predict: passThrough, feedback: passThrough };
  return {
    predict: limiter(config.rateLimit.predictPerMinute, 'predictions'),
    feedback: limiter(config.rateLimit.feedbackPerMinute, 'feedback answers'),
  };
}

function limiter(perMinute: number, what: string): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => {
      next(createError(429, `Too many ${what} from your address (${perMinute} a minute); try again in a minute.`));
    },
  });
}
