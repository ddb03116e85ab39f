import { Router } from 'express';

import { MIN_REVIEW_LENGTH } from '../moderation/index.js';
import { VERDICTS } from '../store/types.js';
import { methodNotAllowed } from './middleware/method-not-allowed.js';
import { REVIEW_MAX_LENGTH } from './validation.js';

/** Where the description is served, under the API it describes. */
export const OPENAPI_PATH = '/openapi.json';

const CLIENT_ID = {
  type: 'string',
  pattern: '^[0-9a-f]{16}$',
  description: 'A client id: 16 hex characters (a keyed hash of the client address)',
} as const;
const PREDICTION_ID = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'The id of a stored prediction',
} as const;
const MODEL_VERSION = {
  type: 'string',
  description:
    'The served model: the model file it started from (12 hex characters), + the last log row applied, . the last verdict change seen',
  examples: ['bcdc823466c3+42.0'],
} as const;

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => ({ description, content: json(ref('Error')) });
/** The shared answers (components.responses), by the status they are given under. */
const SHARED_RESPONSES = {
  BadRequest: '400',
  Unauthorized: '401',
  NotFoundWithoutToken: '404',
  MethodNotAllowed: '405',
  PayloadTooLarge: '413',
  UnsupportedMediaType: '415',
  RateLimited: '429',
  InternalError: '500',
  Unavailable: '503',
} as const;
const refs = (...names: Array<keyof typeof SHARED_RESPONSES>) =>
  Object.fromEntries(names.map((name) => [SHARED_RESPONSES[name], { $ref: `#/components/responses/${name}` }]));

/** What the public JSON POST routes (predict, feedback) may answer besides their own outcomes. */
const PUBLIC_POST_ERRORS = refs(
  'BadRequest',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'RateLimited',
  'Unavailable',
  'InternalError',
  'MethodNotAllowed',
);

/**
 * The OpenAPI 3.1 description of the JSON API (/api/v1): what each endpoint takes and answers,
 * errors included, and the admin API's bearer token. Written by hand next to the routes it
 * describes; test/web/routes/openapi.test.ts holds it to the router (every route described) and
 * to real answers (each validates against its schema).
 */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  info: {
    title: 'movieclassifier API',
    version: '1',
    description:
      'Classify a movie review as positive or negative, and tell the model whether it was right: accepted answers are learned ' +
      'from at once. The admin API (ADMIN_TOKEN set) lists the feedback log and accepts or rejects rows. ' +
      'Every error is `{"error": {"code", "message"}}`; every answer carries an X-Request-Id.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: '/api/v1' }],
  tags: [
    { name: 'classify', description: 'Predictions and feedback; no authentication, rate-limited per client address' },
    {
      name: 'admin',
      description:
        'The feedback log, for operators: Authorization: Bearer <ADMIN_TOKEN>; 404 when ADMIN_TOKEN is unset',
    },
  ],
  paths: {
    '/predict': {
      post: {
        tags: ['classify'],
        operationId: 'predict',
        summary: 'Classify a review',
        description:
          'Stores the prediction so that feedback can name it. Unanswered ones expire after PREDICTION_TTL_HOURS, and ' +
          "beyond the client's newest PREDICTION_MAX_PER_CLIENT (default 500) unanswered ones the oldest go first. " +
          'Counts against the prediction rate limit (RATE_LIMIT_PREDICT_PER_MIN) shared with the form.',
        requestBody: { required: true, content: json(ref('PredictRequest')) },
        responses: {
          '200': { description: 'The prediction', content: json(ref('Prediction')) },
          ...PUBLIC_POST_ERRORS,
        },
      },
    },
    '/feedback': {
      post: {
        tags: ['classify'],
        operationId: 'feedback',
        summary: 'Say whether a prediction was right',
        description:
          'Adds the review with its right label to the feedback log, once per prediction. The moderation rule gives the row ' +
          'its verdict: accepted rows are learned from at once, held and rejected ones are kept for an operator. ' +
          'Counts against the feedback rate limit (RATE_LIMIT_FEEDBACK_PER_MIN) shared with the form.',
        requestBody: { required: true, content: json(ref('FeedbackRequest')) },
        responses: {
          '201': { description: 'The row added to the log', content: json(ref('FeedbackRecorded')) },
          '404': error('No such prediction (unanswered predictions expire): predict again'),
          '409': error('Feedback on this prediction was already recorded (code already_recorded)'),
          ...PUBLIC_POST_ERRORS,
        },
      },
    },
    [OPENAPI_PATH]: {
      get: {
        tags: ['classify'],
        operationId: 'openapi',
        summary: 'This description',
        responses: {
          '200': { description: 'The OpenAPI 3.1 document', content: json({ type: 'object' }) },
          ...refs('MethodNotAllowed'),
        },
      },
    },
    '/admin/feedback': {
      get: {
        tags: ['admin'],
        operationId: 'listFeedback',
        summary: 'List the feedback log, newest first',
        security: [{ adminToken: [] }],
        parameters: [
          { name: 'verdict', in: 'query', schema: { type: 'string', enum: VERDICTS } },
          { name: 'client', in: 'query', schema: CLIENT_ID },
          { name: 'label', in: 'query', schema: { type: 'string', enum: ['positive', 'negative', '0', '1'] } },
          {
            name: 'q',
            in: 'query',
            description: 'Text the review contains',
            schema: { type: 'string', minLength: 1, maxLength: 200 },
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          {
            name: 'before',
            in: 'query',
            description: 'Only rows with a smaller id: the last id of the previous page',
            schema: { type: 'integer', minimum: 1 },
          },
        ],
        responses: {
          '200': {
            description: 'One page of rows',
            content: json({
              type: 'object',
              required: ['rows'],
              additionalProperties: false,
              properties: { rows: { type: 'array', items: ref('LogRow') } },
            }),
          },
          ...refs('BadRequest', 'Unauthorized', 'NotFoundWithoutToken', 'MethodNotAllowed', 'InternalError'),
        },
      },
    },
    '/admin/feedback/{id}/accept': verdictChange('accept', 'Accept a row: the served model learns it', true),
    '/admin/feedback/{id}/reject': verdictChange(
      'reject',
      'Reject a row: the served model is rebuilt without it',
      false,
    ),
    '/admin/clients/{client}/reject': {
      post: {
        tags: ['admin'],
        operationId: 'rejectClient',
        summary: 'Reject every row of a client: the served model is rebuilt without them',
        security: [{ adminToken: [] }],
        parameters: [{ name: 'client', in: 'path', required: true, schema: CLIENT_ID }],
        responses: {
          '200': {
            description: 'Done; the served model is the one without the rows',
            content: json({
              type: 'object',
              required: ['modelVersion', 'changed', 'rows', 'client'],
              additionalProperties: false,
              properties: {
                modelVersion: MODEL_VERSION,
                changed: { type: 'integer', minimum: 0, description: 'Rows whose verdict this changed' },
                rows: { type: 'integer', minimum: 0, description: "The client's rows in the log" },
                client: CLIENT_ID,
              },
            }),
          },
          ...refs('BadRequest', 'Unauthorized', 'NotFoundWithoutToken', 'MethodNotAllowed', 'InternalError'),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN setting (at least 24 characters)' },
    },
    schemas: {
      PredictRequest: {
        type: 'object',
        required: ['review'],
        additionalProperties: false,
        properties: {
          review: {
            type: 'string',
            maxLength: REVIEW_MAX_LENGTH,
            description: `The review: at most ${REVIEW_MAX_LENGTH} characters, at least ${MIN_REVIEW_LENGTH} once trimmed, no NUL (U+0000)`,
          },
        },
      },
      Prediction: {
        type: 'object',
        required: ['label', 'probability', 'positiveProbability', 'predictionId', 'modelVersion', 'explanation'],
        additionalProperties: false,
        properties: {
          label: ref('Label'),
          probability: { type: 'number', minimum: 0, maximum: 1, description: 'How sure the model is of the label' },
          positiveProbability: { type: 'number', minimum: 0, maximum: 1 },
          predictionId: PREDICTION_ID,
          modelVersion: MODEL_VERSION,
          explanation: {
            type: 'array',
            description: 'The terms that weighed most, positive weights toward positive',
            items: {
              type: 'object',
              required: ['term', 'weight'],
              additionalProperties: false,
              properties: { term: { type: 'string' }, weight: { type: 'number' } },
            },
          },
        },
      },
      FeedbackRequest: {
        type: 'object',
        required: ['predictionId', 'correct'],
        additionalProperties: false,
        properties: {
          predictionId: PREDICTION_ID,
          correct: { type: 'boolean', description: 'Whether the predicted label was right' },
        },
      },
      FeedbackRecorded: {
        type: 'object',
        required: ['label', 'reviewId', 'verdict', 'learned'],
        additionalProperties: false,
        properties: {
          label: { ...ref('Label'), description: 'The right label, as stored' },
          reviewId: { type: 'integer', minimum: 1, description: 'The row in the feedback log' },
          verdict: ref('Verdict'),
          learned: { type: 'boolean', description: 'True when the row was accepted, and so is in the model now' },
          reason: { type: 'string', description: 'Why the row was held or rejected' },
        },
      },
      LogRow: {
        type: 'object',
        required: ['id', 'review', 'sentiment', 'date', 'verdict', 'reason', 'client', 'source', 'predictionId'],
        additionalProperties: false,
        properties: {
          id: { type: 'integer', minimum: 1 },
          review: { type: 'string' },
          sentiment: { description: '1 positive, 0 negative; rows imported from elsewhere may hold anything' },
          date: { type: 'string' },
          verdict: ref('Verdict'),
          reason: { type: ['string', 'null'] },
          client: { oneOf: [CLIENT_ID, { type: 'null' }] },
          source: { type: 'string', description: 'Where the row came from: form, api, import...' },
          predictionId: { oneOf: [PREDICTION_ID, { type: 'null' }] },
        },
      },
      VerdictChanged: {
        type: 'object',
        required: ['modelVersion', 'changed', 'id', 'verdict'],
        additionalProperties: false,
        properties: {
          modelVersion: MODEL_VERSION,
          changed: { type: 'integer', enum: [0, 1], description: '0 when the row had that verdict already' },
          id: { type: 'integer', minimum: 1 },
          verdict: ref('Verdict'),
        },
      },
      Label: { type: 'string', enum: ['positive', 'negative'] },
      Verdict: {
        type: 'string',
        enum: VERDICTS,
        description: 'accepted: learned from; held: waits for an operator; rejected: never learned',
      },
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            additionalProperties: false,
            properties: {
              code: {
                type: 'string',
                description:
                  'Machine-readable: invalid_request, unauthorized, not_found, method_not_allowed, already_recorded, unlearnable, ' +
                  'payload_too_large, unsupported_media_type, rate_limited, internal_error, unavailable, ...',
              },
              message: { type: 'string', description: 'What happened and what to do, for people' },
            },
          },
        },
      },
    },
    responses: {
      BadRequest: error('The body or a parameter is not what the endpoint takes; the message names the field'),
      Unauthorized: {
        description: 'No Authorization: Bearer <ADMIN_TOKEN>, or another token',
        headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
        content: json(ref('Error')),
      },
      NotFoundWithoutToken: error('No such row; or ADMIN_TOKEN is unset and the admin API does not exist'),
      MethodNotAllowed: {
        description: 'Another method: the Allow header lists the ones the path takes',
        headers: { Allow: { schema: { type: 'string' } } },
        content: json(ref('Error')),
      },
      PayloadTooLarge: error('The body is larger than a 10,000-character review needs'),
      UnsupportedMediaType: error('The body is not application/json'),
      RateLimited: {
        description: 'Over the per-minute limit of this client address; nothing was stored',
        headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds until the window resets' } },
        content: json(ref('Error')),
      },
      Unavailable: {
        description: 'The database did not take the write in time; nothing was stored',
        headers: { 'Retry-After': { schema: { type: 'integer' } } },
        content: json(ref('Error')),
      },
      InternalError: error(
        'A fault on our side; the message says nothing of it (the log does, under the X-Request-Id)',
      ),
    },
  },
} as const;

function verdictChange(action: 'accept' | 'reject', summary: string, accept: boolean) {
  return {
    post: {
      tags: ['admin'],
      operationId: `${action}Row`,
      summary,
      description:
        'Answers once this process serves the model with the change; the other processes follow within their poll interval.',
      security: [{ adminToken: [] }],
      parameters: [
        {
          name: 'id',
          in: 'path',
          required: true,
          description: 'The log row id',
          schema: { type: 'integer', minimum: 1 },
        },
      ],
      responses: {
        '200': { description: 'Done', content: json(ref('VerdictChanged')) },
        ...(accept
          ? { '409': error('The row has a sentiment other than 0 or 1: it cannot be learned from (code unlearnable)') }
          : {}),
        ...refs('BadRequest', 'Unauthorized', 'NotFoundWithoutToken', 'MethodNotAllowed', 'InternalError'),
      },
    },
  };
}

/** GET /api/v1/openapi.json: the description, the same bytes every time. */
export function openApiRoutes(): Router {
  const body = JSON.stringify(OPENAPI_DOCUMENT);
  const router = Router();
  router
    .route(OPENAPI_PATH)
    .get((_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.type('application/json').send(body);
    })
    .all(methodNotAllowed('GET, HEAD'));
  return router;
}
