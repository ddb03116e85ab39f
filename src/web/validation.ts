import type { Request, RequestHandler } from 'express';
import { body, matchedData, validationResult, type ValidationError } from 'express-validator';
import createError from 'http-errors';

import { MIN_REVIEW_LENGTH } from '../moderation/index.js';

/**
 * Longest review, in UTF-16 code units, as the form's `maxlength` counts them in the browser, and
 * counted before trimming: so the longest text either accepts has a known size on the wire, which
 * the body limits are derived from (src/web/middleware/request-parsing.ts).
 */
export const REVIEW_MAX_LENGTH = 10_000;

/** Ids are opaque to the web layer (the learner makes UUIDs); this only keeps junk away from SQL. */
const PREDICTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/*
 * express-validator's chains below are the rules, and they give every error. Running one cost
 * ~35 µs of a ~500 µs POST /results (a context built per request, fields selected with lodash,
 * each validator awaited in turn), so each rule set also has a plain check that accepts only what
 * its chain accepts, with the same sanitized value, and hands everything else to the chain: valid
 * requests skip the chain, invalid ones get its exact errors. test/web/validation.test.ts holds
 * each check against its chain alone over tricky inputs.
 */
const CHECKED = Symbol('fields accepted by the plain check');

type CheckedRequest = Request & { [CHECKED]?: Record<string, unknown> };

/** A rule set as one middleware, with its chain reachable for the tests. */
export type RuleSet = RequestHandler & { chain: RequestHandler };

/**
 * Runs `accept`: when it returns the fields, they are the request's checked data and the chain is
 * skipped; when it returns undefined, the chain runs as usual.
 */
function withPlainCheck(chain: RequestHandler, accept: (req: Request) => Record<string, unknown> | undefined): RuleSet {
  const middleware: RequestHandler = (req, res, next) => {
    const fields = accept(req);
    if (fields === undefined) return chain(req, res, next);
    (req as CheckedRequest)[CHECKED] = fields;
    next();
  };
  return Object.assign(middleware, { chain });
}

/** The first error of the request's rules (express-validator's, `onlyFirstError`), or undefined. */
export function firstValidationError(req: Request): ValidationError | undefined {
  if ((req as CheckedRequest)[CHECKED] !== undefined) return undefined;
  return validationResult(req).array({ onlyFirstError: true })[0];
}

/** The request's errors by field (express-validator's `mapped()`); empty when the rules passed. */
export function validationErrorsByField(req: Request): Record<string, ValidationError> {
  if ((req as CheckedRequest)[CHECKED] !== undefined) return {};
  return validationResult(req).mapped();
}

/** The fields the rules checked, sanitized (express-validator's `matchedData`). */
export function checkedData<T extends object>(req: Request): T {
  return ((req as CheckedRequest)[CHECKED] as T | undefined) ?? matchedData<T>(req);
}

/** Several chains as one middleware, run in order as Express would run them. */
function inOrder(chains: readonly RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    const run = (k: number): void => {
      if (k === chains.length) return next();
      void chains[k](req, res, (error?: unknown) => (error === undefined ? run(k + 1) : next(error)));
    };
    run(0);
  };
}

const bodyOf = (req: Request): Record<string, unknown> => req.body as Record<string, unknown>;

// Characters validator's isLength counts differently from .length (surrogate pairs count once,
// variation selectors not at all): a review holding one goes through the chain.
// eslint-disable-next-line no-misleading-character-class -- each surrogate half and each variation selector is matched on its own, not as part of a combined character
const LENGTH_COUNTS_DIFFERENTLY = /[\uD800-\uDFFF\uFE0E\uFE0F]/;

/**
 * The review rule's plain check: a string of at most 10,000 typed characters whose trimmed text
 * has at least 15. Trims the body field as the chain's sanitizer does (String#trim removes what
 * validator's trim does: the spec's WhiteSpace and LineTerminator).
 */
function acceptReview(fields: Record<string, unknown>): string | undefined {
  const value = fields.review;
  if (typeof value !== 'string' || typedLength(value) > REVIEW_MAX_LENGTH) return undefined;
  const review = value.trim();
  if (review.length < MIN_REVIEW_LENGTH || LENGTH_COUNTS_DIFFERENTLY.test(review) || review.includes(NUL)) {
    return undefined;
  }
  fields.review = review;
  return review;
}

/**
 * The review: a string of at most 10,000 characters (code units, as typed) with no NUL, then
 * trimmed, at least 15 characters. Same rule for the form and the API. The minimum is the learner's, so a review the
 * form accepts is one the model learns from.
 */
export const reviewRule = (): RuleSet =>
  withPlainCheck(reviewChain(), (req) => {
    const review = acceptReview(bodyOf(req));
    return review === undefined ? undefined : { review };
  });

// PostgreSQL's text cannot hold U+0000: stored there, one such review failed the insert of every
// prediction batched with it (other readers' too). Refused on both engines, so they answer alike.
const NUL = '\u0000';

const reviewChain = () =>
  body('review')
    .isString()
    .withMessage('Please enter your review as text.')
    .bail()
    .custom((value: string) => !value.includes(NUL))
    .withMessage('Please remove the NUL character (U+0000) from the review: it cannot be stored.')
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

const VERDICT_ANSWERS: readonly unknown[] = ['correct', 'incorrect'];

const acceptPredictionId = (value: unknown): value is string => typeof value === 'string' && PREDICTION_ID.test(value);

/** The hidden fields of the results page's feedback form. */
export const feedbackFormRules = (): RuleSet =>
  withPlainCheck(
    inOrder([
      predictionIdRule(),
      // isString first: isIn alone accepts a list whose every item is allowed.
      body('verdict').isString().bail().isIn(VERDICT_ANSWERS).withMessage('verdict must be "correct" or "incorrect"'),
    ]),
    (req) => {
      const { predictionId, verdict } = bodyOf(req);
      return acceptPredictionId(predictionId) && typeof verdict === 'string' && VERDICT_ANSWERS.includes(verdict)
        ? { predictionId, verdict }
        : undefined;
    },
  );

/** POST /api/v1/predict: exactly `{ "review": string }`. */
export const predictApiRules = (): RuleSet => afterOnlyFields(['review'], reviewRule());

/** POST /api/v1/feedback: exactly `{ "predictionId": string, "correct": boolean }`, types checked strictly. */
export const feedbackApiRules = (): RuleSet => {
  const fields = withPlainCheck(
    inOrder([
      predictionIdRule(),
      body('correct').isBoolean({ strict: true }).withMessage('correct must be true or false'),
    ]),
    (req) => {
      const { predictionId, correct } = bodyOf(req);
      return acceptPredictionId(predictionId) && typeof correct === 'boolean' ? { predictionId, correct } : undefined;
    },
  );
  return afterOnlyFields(['predictionId', 'correct'], fields);
};

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

/** `rules` behind a 400 for any field not in `allowed`; its chain likewise. */
function afterOnlyFields(allowed: readonly string[], rules: RuleSet): RuleSet {
  const only = onlyFields(allowed);
  return Object.assign(inOrder([only, rules]), { chain: inOrder([only, rules.chain]) });
}

/** For the JSON API: the first validation error, as a 400. */
export const rejectInvalid: RequestHandler = (req, _res, next) => {
  const error = firstValidationError(req);
  if (error !== undefined) return next(createError(400, describeValidationError(error)));
  next();
};

/** A field's error names the field; checkExact's unknown-fields error names them itself. */
function describeValidationError(error: ValidationError): string {
  return error.type === 'field' ? `${error.path}: ${String(error.msg)}` : String(error.msg);
}

function unknownFieldsMessage(fields: { path: string }[]): string {
  return `unknown field${fields.length === 1 ? '' : 's'}: ${fields.map((f) => f.path).join(', ')}`;
}
