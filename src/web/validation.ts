import type { RequestHandler } from 'express';
import { body, validationResult, type ValidationError } from 'express-validator';
import createError from 'http-errors';

import { MIN_REVIEW_LENGTH } from '../learner/index.js';

/**
 * Longest review, in UTF-16 code units, as the form's `maxlength` counts them in the browser, and
 * counted before trimming: so the longest text either accepts has a known size on the wire, which
 * the body limits are derived from (src/web/middleware/request-parsing.ts).
 */
export const REVIEW_MAX_LENGTH = 10_000;

/** Ids are opaque to the web layer (the learner makes UUIDs); this only keeps junk away from SQL. */
const PREDICTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The review: a string of at most 10,000 characters (code units, as typed), then trimmed, at least
 * 15 characters. Same rule for the form and the API. The minimum is the learner's, so a review the
 * form accepts is one the model learns from.
 */
export const reviewRule = () =>
  body('review')
    .isString()
    .withMessage('Please enter your review as text.')
    .bail()
    // Not isLength: it counts an emoji as one character and skips variation selectors, so a
    // "10,000-character" review could be any size on the wire and overflow the body limit.
    .custom((value: string) => typedLength(value) <= REVIEW_MAX_LENGTH)
    .withMessage(`Please keep the review to at most ${REVIEW_MAX_LENGTH.toLocaleString('en')} characters.`)
    .bail()
    .trim()
    .isLength({ min: MIN_REVIEW_LENGTH })
    .withMessage(`Please enter a review of at least ${MIN_REVIEW_LENGTH} characters.`);

/**
 * A text's length as the form's `maxlength` counted it while it was typed: UTF-16 code units, a
 * line break counting once although the browser sends it as CR LF.
 */
function typedLength(text: string): number {
  let crlf = 0;
  for (let i = text.indexOf('\r\n'); i !== -1; i = text.indexOf('\r\n', i + 2)) crlf++;
  return text.length - crlf;
}

/** The prediction id, same rule for the form and the API: 1 to 64 letters, digits, '-' or '_'. */
const predictionIdRule = () =>
  body('predictionId')
    .isString()
    .withMessage('predictionId must be a string')
    .bail()
    .matches(PREDICTION_ID)
    .withMessage("predictionId must be 1 to 64 letters, digits, '-' or '_'");

/** The hidden fields of the results page's feedback form. */
export const feedbackFormRules = () => [
  predictionIdRule(),
  // isString first: isIn alone accepts a list whose every item is allowed.
  body('verdict').isString().bail().isIn(['correct', 'incorrect']).withMessage('verdict must be "correct" or "incorrect"'),
];

/** POST /api/v1/predict: exactly `{ "review": string }`. */
export const predictApiRules = () => [onlyFields(['review']), reviewRule()];

/** POST /api/v1/feedback: exactly `{ "predictionId": string, "correct": boolean }`, types checked strictly. */
export const feedbackApiRules = () => [
  onlyFields(['predictionId', 'correct']),
  predictionIdRule(),
  body('correct').isBoolean({ strict: true }).withMessage('correct must be true or false'),
];

/**
 * 400 for a JSON body with a field the endpoint does not take. Not express-validator's
 * checkExact: it walks its own field tree by the body's keys, so a key named `toString` reached
 * Object.prototype and threw (a 500), and such a key passed as known (found by the fuzz test).
 */
function onlyFields(allowed: readonly string[]): RequestHandler {
  const known = new Set(allowed);
  return (req, _res, next) => {
    const unknown = Object.keys(req.body as object).filter((key) => !known.has(key));
    if (unknown.length > 0) return next(createError(400, unknownFieldsMessage(unknown.map((path) => ({ path })))));
    next();
  };
}

/** For the JSON API: the first validation error, as a 400. */
export const rejectInvalid: RequestHandler = (req, _res, next) => {
  const errors = validationResult(req).array({ onlyFirstError: true });
  if (errors.length > 0) return next(createError(400, describeValidationError(errors[0]!)));
  next();
};

/** A field's error names the field; checkExact's unknown-fields error names them itself. */
function describeValidationError(error: ValidationError): string {
  return error.type === 'field' ? `${error.path}: ${String(error.msg)}` : String(error.msg);
}

function unknownFieldsMessage(fields: { path: string }[]): string {
  return `unknown field${fields.length === 1 ? '' : 's'}: ${fields.map((f) => f.path).join(', ')}`;
}
