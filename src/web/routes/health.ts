import { Router } from 'express';

import type { Learner } from '../../learner/index.js';
import type { Store } from '../../store/types.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';

export interface HealthDeps {
  learner: Pick<Learner, 'modelInfo'>;
  store: Pick<Store, 'countReviews'>;
  /**
   * HEALTH_DETAILS: add the model's facts and the number of stored reviews. Off by default: they
   * tell anyone the model's version, training date and how much feedback there is.
   */
  details: boolean;
}

/** GET /healthz: `{"status":"ok"}`; with details on, also the model's info and how many labelled reviews the database holds. */
export function healthRoutes({ learner, store, details }: HealthDeps): Router {
  const router = Router();
  router
    .route('/healthz')
    .get((_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(details ? { status: 'ok', model: learner.modelInfo(), reviews: store.countReviews() } : { status: 'ok' });
    })
    .all(methodNotAllowed('GET, HEAD'));
  return router;
}
