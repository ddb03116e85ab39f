import { Router } from 'express';

import type { Learner } from '../../learner/index.js';
import type { LogStore } from '../../store/types.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';

export interface HealthDeps {
  learner: Pick<Learner, 'modelInfo'>;
  store: Pick<LogStore, 'countReviews'>;
}

/** GET /healthz: the model's info (file, version, log applied) and how many labelled reviews the database holds. */
export function healthRoutes({ learner, store }: HealthDeps): Router {
  const router = Router();
  router
    .route('/healthz')
    .get(async (_req, res) => {
      const reviews = await store.countReviews();
      res.setHeader('Cache-Control', 'no-store');
      res.json({ status: 'ok', model: learner.modelInfo(), reviews });
    })
    .all(methodNotAllowed('GET, HEAD'));
  return router;
}
