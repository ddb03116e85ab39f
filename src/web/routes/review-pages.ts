import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import createError from 'http-errors';

import { type Learner } from '../../learner/index.js';
import { MIN_REVIEW_LENGTH } from '../../moderation/index.js';
import { labelName } from '../../model/types.js';
import type { ClientOf } from '../client-identity.js';
import type { Csrf } from '../middleware/csrf.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';
import type { RateLimits } from '../middleware/rate-limits.js';
import { formBody } from '../middleware/request-parsing.js';
import { noStore } from '../middleware/security.js';
import { renderPage } from '../render-page.js';
import {
  checkedData,
  feedbackFormRules,
  firstValidationError,
  REVIEW_MAX_LENGTH,
  reviewRule,
  validationErrorsByField,
} from '../validation.js';
import { explainTerms, HIGHLIGHT_FLOOR, highlightedHtml, termItemsHtml } from '../view-models.js';
import { reasonCodeOf, readerWords } from '../../moderation/reasons.js';

export interface ReviewPageDeps {
  learner: Learner;
  csrf: Csrf;
  limits: RateLimits;
  clientOf: ClientOf;
}

/** review_db.source of the rows written by the feedback form. */
const FORM_SOURCE = 'feedback';

/** The pages a reader meets: the form, the prediction with its reasons, and the thank-you page. */
export function reviewPageRoutes({ learner, csrf, limits, clientOf }: ReviewPageDeps): Router {
  const router = Router();

  router.route('/').get(showForm).all(methodNotAllowed('GET, HEAD'));

  router
    .route('/results')
    .post(limits.predict, formBody(), reviewRule(), noStore, showResults(learner, csrf, clientOf))
    .all(methodNotAllowed('POST'));

  router
    .route('/thanks')
    .post(limits.feedback, formBody(), noStore, csrf.verify, feedbackFormRules(), recordFeedback(learner, clientOf))
    .all(methodNotAllowed('POST'));

  return router;
}

const showForm: RequestHandler = (_req, res, next) => {
  renderPage(res, 'pages/index', { minLength: MIN_REVIEW_LENGTH, maxLength: REVIEW_MAX_LENGTH }, next);
};

function showResults(learner: Learner, csrf: Csrf, clientOf: ClientOf): RequestHandler {
  return async (req, res, next) => {
    const error = firstValidationError(req);
    if (error !== undefined) return showFormAgain(req, res, next, String(error.msg));

    const { review } = checkedData<{ review: string }>(req);
    // Stored with its client: that client's oldest unanswered predictions go beyond PREDICTION_MAX_PER_CLIENT.
    const outcome = await learner.predict(review, { segmentFloor: HIGHLIGHT_FLOOR, client: clientOf(req) });
    renderPage(
      res,
      'pages/results',
      {
        label: outcome.label,
        probability: outcome.probability,
        highlighted: highlightedHtml(outcome.segments),
        termItems: termItemsHtml(explainTerms(outcome.explanation)),
        predictionId: outcome.predictionId,
        csrfToken: csrf.issue(req, res),
      },
      next,
    );
  };
}

/** 422: the form again, with the message under the field and the reader's text still in it. */
function showFormAgain(req: Request, res: Response, next: NextFunction, message: string): void {
  const typed: unknown = (req.body as Record<string, unknown>).review;
  res.status(422);
  renderPage(
    res,
    'pages/index',
    {
      minLength: MIN_REVIEW_LENGTH,
      maxLength: REVIEW_MAX_LENGTH,
      // Trimmed here too: a text refused for its length is not trimmed by the rule.
      review: typeof typed === 'string' ? typed.trim() : '',
      error: message,
    },
    next,
  );
}

function recordFeedback(learner: Learner, clientOf: ClientOf): RequestHandler {
  return async (req, res, next) => {
    const errors = validationErrorsByField(req);
    // A malformed id cannot name a stored prediction: answer as for an unknown one.
    if (errors.predictionId !== undefined) return next(unknownPrediction());
    if (errors.verdict !== undefined) return next(createError(400, 'Please answer with Correct or Incorrect.'));

    const { predictionId, verdict } = checkedData<{ predictionId: string; verdict: 'correct' | 'incorrect' }>(req);
    const outcome = await learner.feedback(predictionId, verdict === 'correct', {
      source: FORM_SOURCE,
      client: clientOf(req),
    });
    if (outcome.status === 'unknown') return next(unknownPrediction());

    renderPage(
      res,
      'pages/thanks',
      {
        alreadyRecorded: outcome.status === 'duplicate',
        label: labelName(outcome.sentiment),
        verdict: outcome.verdict,
        learned: outcome.status === 'recorded' && outcome.learned,
        notLearnedBecause: readerWords(reasonCodeOf(outcome.reason)),
      },
      next,
    );
  };
}

function unknownPrediction(): Error {
  return createError(404, 'There is no prediction with this id: it may have expired. Please submit your review again.');
}
