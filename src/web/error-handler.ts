import { STATUS_CODES } from 'node:http';

import type { ErrorRequestHandler, Response } from 'express';
import createError from 'http-errors';

import { MovieClassifierError } from '../errors.js';
import type { Logger } from './logger.js';
import { requestIdOf } from './middleware/request-id.js';
import { renderPage } from './render-page.js';
import { REVIEW_MAX_LENGTH } from './validation.js';

/** Machine-readable codes of the JSON API's errors, by status (an error may carry its own `code`). */
const CODES: Record<number, string> = {
  400: 'invalid_request',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'already_recorded',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_review',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'unavailable',
};

/**
 * Codes an error of ours may carry instead of its status's (`createError(409, msg, { code })`).
 * Nothing else passes: errors from Node and libraries carry codes such as Z_DATA_ERROR, which
 * tell a client about our internals and nothing it can act on.
 */
const OWN_CODES: ReadonlySet<string> = new Set([
  'already_recorded',
  'csrf_failed',
  'database_busy',
  'unavailable',
  'unauthorized',
  'unlearnable',
  'checkpoint_missing',
]);

/**
 * What to tell a client for body-parser's errors, by their `type`; any other body-parser error
 * gets its status's message. Its own messages can carry a library's words ("incorrect header
 * check" from zlib, "Decompression failed" from brotli).
 */
const BODY_ERRORS: Record<string, string> = {
  'entity.too.large': `The request body is too large: a review may have at most ${REVIEW_MAX_LENGTH.toLocaleString('en')} characters. Please shorten it and try again.`,
  'entity.parse.failed': 'the request body is not valid JSON',
  'encoding.unsupported':
    'the request body has an unsupported Content-Encoding; send it uncompressed, or as gzip, deflate or br',
  'charset.unsupported': 'the request body has an unsupported charset; send it as UTF-8',
  'request.aborted': 'the request body was cut short',
  'request.size.invalid': 'the request body is shorter or longer than its Content-Length',
};

/** Page headings, by status. */
const TITLES: Record<number, string> = {
  400: 'That request could not be used',
  403: 'This form cannot be accepted',
  404: 'Page not found',
  405: 'Method not allowed',
  413: 'That review is too long',
  415: 'Unsupported form encoding',
  429: 'Too many requests',
  500: 'Something went wrong',
  503: 'Please try again in a moment',
};

const MESSAGES: Record<number, string> = {
  404: 'There is no page at this address.',
  413: `The request body is too large: a review may have at most ${REVIEW_MAX_LENGTH.toLocaleString('en')} characters. Please shorten it and try again.`,
  400: 'The request could not be used.',
  500: 'Something went wrong on our side. Please try again.',
  503: 'The database is busy or cannot be written just now, and nothing was stored. Please try again in a few seconds.',
};

interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  code?: unknown;
  type?: unknown;
  message?: unknown;
  stack?: unknown;
  /** Seconds, for Retry-After (DatabaseUnavailableError). */
  retryAfterSeconds?: unknown;
}

const API_PREFIX = '/api/';

/**
 * The one error path. Routes throw or call next(err); errors carrying an HTTP status (http-errors,
 * body-parser) keep it, anything else is a 500 whose message is not shown. /api/ paths get
 * `{"error":{"code","message"}}`; other paths get the error page (or JSON if that is all the client
 * accepts). The stack is shown only in development.
 *
 * Error-handling middleware must have four parameters; that arity is how Express recognises it.
 */
export function errorHandler(options: { development: boolean; logger?: Logger }): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const error: HttpLikeError = typeof err === 'object' && err !== null ? err : {};
    const status = httpStatus(error);
    // 503s are the database refusing writes for a while; the write gate logs that, rate-limited,
    // instead of a line per refused request.
    if (status >= 500 && status !== 503)
      options.logger?.error({ err, reqId: requestIdOf(res), method: req.method, path: req.path }, 'request failed');

    // Too late for a clean answer: let Express close the connection.
    if (res.headersSent) return next(err);

    const code =
      typeof error.code === 'string' && OWN_CODES.has(error.code) ? error.code : (CODES[status] ?? `http_${status}`);
    const message = publicMessage(error, status);
    const stack = options.development && typeof error.stack === 'string' ? error.stack : undefined;

    res.status(status);
    res.setHeader('Cache-Control', 'no-store');
    if (typeof error.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(error.retryAfterSeconds));
    const sendJson = () => res.json({ error: { code, message } });
    const sendPage = () => sendErrorPage(res, { status, message, stack }, options.logger);

    if (req.path.startsWith(API_PREFIX)) return sendJson();
    res.format({ html: sendPage, json: sendJson, default: sendPage });
  };
}

function httpStatus(error: HttpLikeError): number {
  const status = typeof error.status === 'number' ? error.status : error.statusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
}

function publicMessage(error: HttpLikeError, status: number): string {
  if (status >= 500 || error.expose === false) return MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error';
  // body-parser's errors: its own messages are terse ("request entity too large") or a library's
  // (a decompression failure's); say what happened and what to do instead.
  if (typeof error.type === 'string')
    return BODY_ERRORS[error.type] ?? MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error';
  // A library's error given a status on its way (body-parser wraps a zlib error as a 400): its
  // message is that library's, not ours.
  // Our own refusals that carry a status (RebuildRefusedError) say what to do: theirs is kept.
  if (!(error instanceof createError.HttpError) && !(error instanceof MovieClassifierError))
    return MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error';
  const message = typeof error.message === 'string' ? error.message : '';
  // http-errors fills in the status text ("Not Found") when no message was given.
  if (message === '' || message === STATUS_CODES[status]) return MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error';
  return message;
}

function sendErrorPage(
  res: Response,
  view: { status: number; message: string; stack: string | undefined },
  logger: Logger | undefined,
): void {
  const title = TITLES[view.status] ?? STATUS_CODES[view.status] ?? 'Error';
  renderPage(res, 'pages/error', { ...view, title }, (renderError) => {
    // The error page itself failed (a broken template): still answer, in plain text.
    logger?.error({ err: renderError }, 'the error page could not be rendered');
    res.type('text/plain').send(`${view.status} ${title}\n${view.message}\n`);
  });
}
