import { Router, type RequestHandler } from 'express';
import createError from 'http-errors';

import type { Learner } from '../../learner/index.js';
import { labelName } from '../../model/types.js';
import type { ClientOf } from '../client-identity.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';
import { sendJson } from '../send-json.js';
import type { RateLimits } from '../middleware/rate-limits.js';
import { jsonBody } from '../middleware/request-parsing.js';
import { checkedData, feedbackApiRules, predictApiRules, rejectInvalid } from '../validation.js';
import { reasonCodeOf } from '../../moderation/reasons.js';

export interface ApiRoutesDeps {
  learner: Learner;
  limits: RateLimits;
  clientOf: ClientOf;
  /**
   * The model version an answer carries: the full one with HEALTH_DETAILS on, an opaque one
   * (publicModelVersion) otherwise. @default the full one
   */
  versionShown?: (fullVersion: string) => string;
}

/** review_db.source of the rows written through the API. */
const API_SOURCE = 'api';

/**
 * The JSON API, mounted at /api/v1, under the same rules as the pages. It needs no CSRF token:
 * it accepts only application/json, which a cross-site form cannot send, and a cross-site script
 * cannot send it without a CORS preflight, which this app never answers.
 */
export function apiRoutes({ learner, limits, clientOf, versionShown = (full) => full }: ApiRoutesDeps): Router {
  const router = Router();

  router
    .route('/predict')
    .post(limits.predict, jsonBody(), predictApiRules(), rejectInvalid, predict(learner, clientOf, versionShown))
    .all(methodNotAllowed('POST'));

  router
    .route('/feedback')
    .post(limits.feedback, jsonBody(), feedbackApiRules(), rejectInvalid, feedback(learner, clientOf))
    .all(methodNotAllowed('POST'));

  return router;
}

function predict(learner: Learner, clientOf: ClientOf, versionShown: (fullVersion: string) => string): RequestHandler {
  return async (req, res) => {
    const { review } = checkedData<{ review: string }>(req);
    // The answer names the top terms; it does not highlight the text. The client is stored with
    // the prediction: its oldest unanswered ones go beyond PREDICTION_MAX_PER_CLIENT.
    const outcome = await learner.predict(review, { segments: false, client: clientOf(req) });
    res.setHeader('Cache-Control', 'no-store');
    sendJson(res, {
      label: outcome.label,
      probability: outcome.probability,
      positiveProbability: outcome.positiveProbability,
      predictionId: outcome.predictionId,
      modelVersion: versionShown(outcome.modelVersion),
      explanation: outcome.explanation.map(({ term, weight }) => ({ term, weight })),
    });
  };
}

function feedback(learner: Learner, clientOf: ClientOf): RequestHandler {
  return async (req, res, next) => {
    const { predictionId, correct } = checkedData<{ predictionId: string; correct: boolean }>(req);
    const outcome = await learner.feedback(predictionId, correct, { source: API_SOURCE, client: clientOf(req) });
    switch (outcome.status) {
      case 'unknown':
        return next(
          createError(
            404,
            `no prediction with id ${JSON.stringify(predictionId)} (unanswered predictions expire); predict again`,
          ),
        );
      case 'duplicate':
        return next(
          createError(409, `feedback on prediction ${predictionId} was already recorded`, { code: 'already_recorded' }),
        );
      case 'recorded':
        res.setHeader('Cache-Control', 'no-store');
        // `learned` is true only when the row was accepted and the served model holds it now.
        sendJson(res.status(201), {
          label: labelName(outcome.sentiment),
          reviewId: outcome.reviewId,
          verdict: outcome.verdict,
          learned: outcome.learned,
          ...(outcome.reason === null ? {} : { reason: outcome.reason, reasonCode: reasonCodeOf(outcome.reason) }),
        });
    }
  };
}
