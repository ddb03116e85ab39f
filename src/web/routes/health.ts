import { Router } from 'express';

import type { Learner } from '../../learner/index.js';
import type { LogStore } from '../../store/types.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';

export interface HealthDeps {
  learner: Pick<Learner, 'modelInfo' | 'writeFailure' | 'learningFailure'>;
  store: Pick<LogStore, 'countReviews'>;
  /**
   * HEALTH_DETAILS: add the model's facts and the number of stored reviews. Off by default: they
   * tell anyone the model's version, training date and how much feedback there is.
   */
  details: boolean;
}

/**
 * GET /healthz: `{"status":"ok"}`, or 503 `{"status":"unavailable","reason":...}` while the
 * database does not take writes (disk full, locked by another process): predictions and feedback
 * are refused then, so a load balancer should send readers elsewhere. Also 503 while the model
 * does not follow the log (no checkpoint to rebuild from): feedback is stored but not learned. With details on, also the
 * model's info and how many labelled reviews the database holds.
 */
export function healthRoutes({ learner, store, details }: HealthDeps): Router {
  const router = Router();
  router
    .route('/healthz')
    .get(async (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const status = await unavailable(learner);
      if (status.status !== 'ok') res.status(503);
      if (!details) return res.json(status);
      // A database that cannot be read (PostgreSQL away) leaves the count out, not the answer.
      const reviews = await Promise.resolve(store.countReviews()).catch(() => null);
      res.json({ ...status, model: learner.modelInfo(), reviews });
    })
    .all(methodNotAllowed('GET, HEAD'));
  return router;
}

async function unavailable(
  learner: HealthDeps['learner'],
): Promise<{ status: 'ok' } | { status: 'unavailable'; reason: string }> {
  const write = await learner.writeFailure();
  if (write !== null)
    return { status: 'unavailable', reason: `database writes failing since ${write.since}: ${write.reason}` };
  const learning = learner.learningFailure();
  if (learning !== null)
    return {
      status: 'unavailable',
      reason: `the model stopped learning from the log at ${learning.since}: ${learning.reason}`,
    };
  return { status: 'ok' };
}
