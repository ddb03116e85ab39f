import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { matchedData, validationResult } from 'express-validator';
import createError from 'http-errors';

import type { Learner } from '../learner/index.js';
import { labelName } from '../model/types.js';
import type { Csrf } from './csrf.js';
import { methodNotAllowed } from './method-not-allowed.js';
import type { RateLimits } from './rate-limits.js';
import { formBody } from './request-parsing.js';
import { noStore } from './security.js';
import { feedbackFormRules, REVIEW_MAX_LENGTH, REVIEW_MIN_LENGTH, reviewRule } from './validation.js';
import { explainTerms, highlightedHtml, highlightSegments } from './view-models.js';

export interface ReviewRoutesDeps {
  learner: Learner;
  csrf: Csrf;
  limits: RateLimits;
}

/** The pages a reader meets: the form, the prediction with its reasons, and the thank-you page. */
export function reviewRoutes({ learner, csrf, limits }: ReviewRoutesDeps): Router {
  const router = Router();

  router.route('/').get(showForm).all(methodNotAllowed('GET, HEAD'));

  router
    .route('/results')
    .post(limits.predict, formBody(), reviewRule(), noStore, showResults(learner, csrf))
    .all(methodNotAllowed('POST'));

  router
    .route('/thanks')
    .post(limits.feedback, formBody(), noStore, csrf.verify, feedbackFormRules(), recordFeedback(learner))
    .all(methodNotAllowed('POST'));

  return router;
}

const showForm: RequestHandler = (_req, res, next) => {
  renderPage(res, next, 'pages/index', { minLength: REVIEW_MIN_LENGTH, maxLength: REVIEW_MAX_LENGTH });
};

/**
 * Renders a page and sends it as one string. Express's `res.send` turns any body over 1,000
 * characters into a Buffer, which Node then writes with a separate header chunk (writev); a
 * string goes out with its headers in one write. The results page is ~10 KB and the hottest page.
 */
function renderPage(res: Response, next: NextFunction, view: string, locals: object): void {
  res.render(view, locals, (error: Error | null, html?: string) => {
    if (error !== null || html === undefined) return next(error ?? new Error(`rendering ${view} produced nothing`));
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(html));
    res.end(html);
  });
}

function showResults(learner: Learner, csrf: Csrf): RequestHandler {
  return async (req, res, next) => {
    const errors = validationResult(req).array({ onlyFirstError: true });
    if (errors.length > 0) return showFormAgain(req, res, String(errors[0]!.msg));

    const { review } = matchedData<{ review: string }>(req);
    const outcome = await learner.predict(review);
    renderPage(res, next, 'pages/results', {
      review,
      label: outcome.label,
      probability: outcome.probability,
      positiveProbability: outcome.positiveProbability,
      highlighted: highlightedHtml(highlightSegments(outcome.segments)),
      terms: explainTerms(outcome.explanation),
      predictionId: outcome.predictionId,
      csrfToken: csrf.issue(req, res),
    });
  };
}

/** 422: the form again, with the message under the field and the reader's text still in it. */
function showFormAgain(req: Request, res: Response, message: string): void {
  const typed: unknown = (req.body as Record<string, unknown>).review;
  res.status(422).render('pages/index', {
    minLength: REVIEW_MIN_LENGTH,
    maxLength: REVIEW_MAX_LENGTH,
    review: typeof typed === 'string' ? typed : '',
    error: message,
  });
}

function recordFeedback(learner: Learner): RequestHandler {
  return (req, res, next) => {
    const errors = validationResult(req).mapped();
    // A malformed id cannot name a stored prediction: answer as for an unknown one.
    if (errors.predictionId !== undefined) return next(unknownPrediction());
    if (errors.verdict !== undefined) return next(createError(400, 'Please answer with Correct or Incorrect.'));

    const { predictionId, verdict } = matchedData<{ predictionId: string; verdict: 'correct' | 'incorrect' }>(req);
    const outcome = learner.feedback(predictionId, verdict === 'correct', 'feedback');
    if (outcome.status === 'unknown') return next(unknownPrediction());

    renderPage(res, next, 'pages/thanks', {
      alreadyRecorded: outcome.status === 'duplicate',
      label: labelName(outcome.sentiment),
    });
  };
}

function unknownPrediction(): Error {
  return createError(404, 'There is no prediction with this id. Please submit your review again.');
}
