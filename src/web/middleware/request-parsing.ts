import express, { type Request, type RequestHandler } from 'express';
import createError from 'http-errors';

import { REVIEW_MAX_LENGTH } from '../validation.js';

/** Room in a body for everything but the review: field names, the CSRF token, the prediction id. */
const OTHER_FIELDS_BYTES = 2048;

/**
 * Largest form body, in bytes: room for any review the validation accepts. A browser sends each
 * UTF-16 code unit of the review as at most 9 bytes: a character of 3 UTF-8 bytes (Chinese,
 * Japanese) is `%E4%B8%AD`; an emoji is 2 code units and 12 bytes; a line break is sent as CR LF,
 * `%0D%0A`. So a 10,000-character Japanese review is ~90 KB, over the 64 KB limit this replaced.
 */
export const FORM_BODY_LIMIT = REVIEW_MAX_LENGTH * 9 + OTHER_FIELDS_BYTES;

/**
 * Largest JSON body, in bytes (64 KB). JSON needs at most 6 bytes per code unit (`\u4e2d`, as
 * encoders that escape everything but ASCII write it), so any accepted review fits.
 */
export const JSON_BODY_LIMIT = 64 * 1024;

const parseJson = express.json({ limit: JSON_BODY_LIMIT, strict: true, type: 'application/json' });
// The form body is read by body-parser (limits, 413, charsets) as text and decoded with the
// platform's URLSearchParams: body-parser 2's urlencoded parser goes through `qs` even with
// `extended: false`, which cost ~65 µs of a ~2 ms POST /results here.
const readForm = express.text({ limit: FORM_BODY_LIMIT, type: 'application/x-www-form-urlencoded' });

/**
 * Decodes a form body into one string per field, in time linear in its size. Every field of our
 * forms is single, so a repeated field is a 400: read as a list it let `verdict=correct&verdict=correct`
 * count as Incorrect, and growing that list by copying made a 64 KB form of 32,767 repeats take
 * 5.5 s of the event loop (quadratic), freezing every other request.
 */
export const decodeForm: RequestHandler = (req, _res, next) => {
  if (typeof req.body !== 'string') return next();
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(req.body)) {
    if (fields.has(name)) {
      return next(createError(400, `The form field ${JSON.stringify(name.slice(0, 40))} was sent more than once; send each field once.`));
    }
    fields.set(name, value);
  }
  // fromEntries defines own properties, so a field named __proto__ stays a plain field.
  req.body = Object.fromEntries(fields);
  next();
};

/** Body of the JSON API: application/json, at most 64 KB, a JSON object. 415 / 413 / 400 otherwise. */
export function jsonBody(): RequestHandler[] {
  return [
    requireContentType('application/json', 'send the body as application/json'),
    parseJson,
    (req, _res, next) => {
      const body: unknown = req.body;
      if (body === undefined) return next(createError(400, 'the request needs a JSON object body'));
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return next(createError(400, 'the request body must be a JSON object'));
      }
      next();
    },
  ];
}

/** Body of a page form: application/x-www-form-urlencoded, at most FORM_BODY_LIMIT (~90 KB). 415 / 413 otherwise. */
export function formBody(): RequestHandler[] {
  return [
    requireContentType('application/x-www-form-urlencoded', 'send the form as application/x-www-form-urlencoded'),
    readForm,
    decodeForm,
    (req, _res, next) => {
      // Express 5 leaves req.body undefined when there was no body; validators expect an object.
      req.body ??= {};
      next();
    },
  ];
}

/**
 * A body of another type is refused with 415 rather than silently ignored (the body parsers skip
 * it and the handler would then complain about missing fields). A request without a body passes,
 * so it gets the usual "missing field" answer.
 */
function requireContentType(type: string, hint: string): RequestHandler {
  return (req, _res, next) => {
    if (hasBody(req) && req.is(type) === false) {
      const got = req.headers['content-type'] ?? 'none';
      return next(createError(415, `unsupported content type ${JSON.stringify(got)}; ${hint}`));
    }
    next();
  };
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
