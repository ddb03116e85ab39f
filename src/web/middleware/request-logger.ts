import type { RequestHandler } from 'express';

import type { Logger } from '../logger.js';
import { requestIdOf } from './request-id.js';

/**
 * One line per request, written when the response is finished (or the client went away).
 * Logs the path without the query string and never the body: reviews are the readers' text.
 */
export function requestLogger(logger: Logger): RequestHandler {
  if (!logger.isLevelEnabled('info')) return (_req, _res, next) => next();
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      logger.info(
        {
          reqId: requestIdOf(res),
          method: req.method,
          path: req.originalUrl.split('?', 1)[0],
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 100) / 100,
          ip: req.ip,
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'request',
      );
    });
    next();
  };
}
