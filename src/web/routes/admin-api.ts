import { createHash, timingSafeEqual } from 'node:crypto';

import { Router, type RequestHandler } from 'express';
import { checkExact, matchedData, param, query } from 'express-validator';
import createError from 'http-errors';

import { NoSuchRowError, UnlearnableRowError, type Operator } from '../../moderation/operator.js';
import { searchTerms, VERDICTS, type ConsoleFilter, type Verdict } from '../../store/index.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';
import { rejectInvalid } from '../validation.js';

export interface AdminApiDeps {
  operator: Operator;
  /** ADMIN_TOKEN; the routes exist only when it is set (src/web/app.ts). */
  token: string;
}

const MAX_LIMIT = 500;
/** The API lists whole reviews: a length no review reaches. */
const WHOLE_TEXT = 2 ** 30;

/**
 * The admin JSON API, mounted at /api/v1/admin, for operators and their tools: list the feedback
 * log, accept or reject a row, reject every row of a client. Every request needs
 * `Authorization: Bearer <ADMIN_TOKEN>`. A change answers once this process serves the model
 * without (or with) the rows, with that model's version; the other processes follow the verdict
 * change within their poll interval. No CSRF token: a browser never sends the bearer token on
 * its own, so a cross-site request cannot carry it.
 */
export function adminApiRoutes({ operator, token }: AdminApiDeps): Router {
  const router = Router();
  router.use(requireBearer(token));

  router
    .route('/feedback')
    .get(singleValues, ...feedbackQueryRules(), rejectInvalid, listFeedback(operator))
    .all(methodNotAllowed('GET, HEAD'));

  for (const verdict of ['accept', 'reject'] as const) {
    router
      .route(`/feedback/:id/${verdict}`)
      .post(
        param('id').isInt({ min: 1 }).withMessage('must be a log row id').toInt(),
        rejectInvalid,
        setRowVerdict(operator, verdict),
      )
      .all(methodNotAllowed('POST'));
  }

  router
    .route('/clients/:client/reject')
    .post(
      param('client')
        .matches(/^[0-9a-f]{16}$/)
        .withMessage('must be a client id (16 hex characters)'),
      rejectInvalid,
      rejectClient(operator),
    )
    .all(methodNotAllowed('POST'));

  return router;
}

/**
 * 401 unless the request carries the token. Compared as SHA-256 digests with timingSafeEqual, so
 * neither the token's length nor how much of it matched shows in the time taken.
 */
function requireBearer(token: string): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req, res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (match !== null && timingSafeEqual(given, expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="movieclassifier admin"');
    next(
      createError(401, 'the admin API needs the header Authorization: Bearer <ADMIN_TOKEN>', { code: 'unauthorized' }),
    );
  };
}

/** `?verdict=a&verdict=b` parses to an array: every filter takes one value, so that is a 400. */
const singleValues: RequestHandler = (req, _res, next) => {
  const repeated = Object.entries(req.query).find(([, value]) => typeof value !== 'string');
  if (repeated !== undefined) return next(createError(400, `${repeated[0]}: give it once, as one value`));
  next();
};

const feedbackQueryRules = () => [
  checkExact(
    [
      query('verdict')
        .optional()
        .isIn(VERDICTS)
        .withMessage(`must be one of ${VERDICTS.join(', ')}`),
      query('client')
        .optional()
        .matches(/^[0-9a-f]{16}$/)
        .withMessage('must be a client id (16 hex characters)'),
      query('label').optional().isIn(['positive', 'negative', '0', '1']).withMessage('must be positive or negative'),
      query('q')
        .optional()
        .isString()
        .isLength({ min: 1, max: 200 })
        .withMessage('must be 1 to 200 characters')
        .bail()
        .custom((q: string) => searchTerms(q).length > 0)
        .withMessage('must hold a word to search for (letters or digits; a word ending in * is its start)'),
      query('limit')
        .optional()
        .isInt({ min: 1, max: MAX_LIMIT })
        .withMessage(`must be a whole number from 1 to ${MAX_LIMIT}`)
        .toInt(),
      query('before').optional().isInt({ min: 1 }).withMessage('must be a log row id').toInt(),
    ],
    {
      message: (fields: { path: string }[]) => `unknown parameter: ${fields.map((f) => f.path).join(', ')}`,
      locations: ['query'],
    },
  ),
];

/**
 * The log, newest first, through the console's indexed query: `q` holds words the text must have
 * (a word ending in `*` is the start of one), as in the console's search.
 */
function listFeedback(operator: Operator): RequestHandler {
  return async (req, res) => {
    const q = matchedData<{
      verdict?: Verdict;
      client?: string;
      label?: string;
      q?: string;
      limit?: number;
      before?: number;
    }>(req);
    const filter: ConsoleFilter = {};
    if (q.verdict !== undefined) filter.verdict = q.verdict;
    if (q.client !== undefined) filter.client = q.client;
    if (q.label !== undefined) filter.sentiment = q.label === 'positive' || q.label === '1' ? 1 : 0;
    if (q.q !== undefined) filter.words = searchTerms(q.q);
    const rows = await operator.list(filter, {
      limit: q.limit ?? 50,
      excerptChars: WHOLE_TEXT,
      ...(q.before === undefined ? {} : { before: q.before }),
    });
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      rows: rows.map(({ id, excerpt, sentiment, date, verdict, reason, client, source, predictionId }) => ({
        id,
        review: excerpt,
        sentiment,
        date,
        verdict,
        reason,
        client,
        source,
        predictionId,
      })),
    });
  };
}

function setRowVerdict(operator: Operator, action: 'accept' | 'reject'): RequestHandler {
  const verdict = action === 'accept' ? 'accepted' : 'rejected';
  return async (req, res, next) => {
    const { id } = matchedData<{ id: number }>(req);
    try {
      const { changed, modelVersion } = await operator.setVerdict(id, verdict);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ modelVersion, changed: changed.length, id, verdict });
    } catch (error) {
      if (error instanceof NoSuchRowError) return next(createError(404, `no log row with id ${id}`));
      if (error instanceof UnlearnableRowError) return next(createError(409, error.message, { code: 'unlearnable' }));
      throw error;
    }
  };
}

function rejectClient(operator: Operator): RequestHandler {
  return async (req, res) => {
    const { client } = matchedData<{ client: string }>(req);
    const { changed, modelVersion, rows } = await operator.rejectClient(client);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ modelVersion, changed: changed.length, rows, client });
  };
}
