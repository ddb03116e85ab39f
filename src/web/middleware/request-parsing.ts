import { isUtf8 } from 'node:buffer';

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

const JSON_TYPE = 'application/json';

/**
 * Parses a JSON body. As for forms (`readFormText`), body-parser reads every body it is not sure
 * of, and a plain one (a Content-Length within the limit, uncompressed, UTF-8) is read here and
 * parsed as body-parser parses it in strict mode: an object or an array, or a 400 of the same
 * type ('entity.parse.failed') the error handler words. test/web/middleware/body-reading.test.ts
 * holds the two side by side.
 */
export function readJson(): RequestHandler {
  const readAnyJson = express.json({ limit: JSON_BODY_LIMIT, strict: true, type: JSON_TYPE });
  const plain = usualSpellings(JSON_TYPE);
  return (req, res, next) => {
    if (req.body !== undefined || !isPlainBody(req, plain, JSON_BODY_LIMIT)) return readAnyJson(req, res, next);
    readUtf8(req, (text) => {
      try {
        req.body = parseStrictJson(text);
      } catch (error) {
        return next(createError(400, (error as Error).message, { body: text, type: 'entity.parse.failed' }));
      }
      next();
    });
  };
}

/** JSON.parse, refusing (as body-parser's strict mode) a text that is not an object or array. */
function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {}; // body-parser: an empty body is an empty object
  // eslint-disable-next-line no-control-regex -- tab, LF and CR are JSON whitespace (RFC 8259), skipped like the space
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[')
    throw new SyntaxError(`Unexpected token ${JSON.stringify(first ?? '')}: the body must be a JSON object or array`);
  return JSON.parse(text);
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Reads a form body as text, for decodeForm. body-parser reads every body it is not sure of
 * (chunked, compressed, another charset, over the limit: its limits, 413s and charsets); a plain
 * form, what every browser sends, is read here directly: a Content-Length within the limit, no
 * Content-Encoding, UTF-8. body-parser's type matching, content-type parsing and iconv decoding
 * cost ~40 µs of a ~500 µs POST /results; this costs a few. Node's HTTP parser ends the body
 * exactly at its Content-Length. Decoded as body-parser does (invalid bytes become U+FFFD, a
 * leading byte-order mark is dropped); test/web/middleware/body-reading.test.ts holds the two
 * side by side. body-parser 2's urlencoded parser is not used at all: it goes through `qs` even
 * with `extended: false`, which cost ~65 µs.
 */
export function readFormText(): RequestHandler {
  const readAnyForm = express.text({ limit: FORM_BODY_LIMIT, type: FORM_TYPE });
  const plain = usualSpellings(FORM_TYPE);
  return (req, res, next) => {
    if (req.body !== undefined || !isPlainBody(req, plain, FORM_BODY_LIMIT)) return readAnyForm(req, res, next);
    readUtf8(req, (text) => {
      req.body = text;
      next();
    });
  };
}

/** How clients spell a Content-Type of ours (compared lower-cased): alone, or saying UTF-8. */
function usualSpellings(type: string): ReadonlySet<string> {
  return new Set([type, `${type}; charset=utf-8`]);
}

/** A body as browsers and clients usually send it: of one of these types, its length given and within `limit`, uncompressed. */
function isPlainBody(req: Request, types: ReadonlySet<string>, limit: number): boolean {
  const {
    'content-type': type,
    'content-length': length,
    'content-encoding': encoding,
    'transfer-encoding': chunked,
  } = req.headers;
  if (type === undefined || length === undefined || chunked !== undefined) return false;
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  if (!types.has(type.toLowerCase())) return false;
  return /^\d{1,9}$/.test(length) && Number(length) <= limit;
}

/**
 * The body as text, decoded as body-parser decodes UTF-8 (invalid bytes become U+FFFD, a leading
 * byte-order mark is dropped). Node's HTTP parser ends it exactly at its Content-Length; a client
 * that goes away before the end gets no answer, as there is no one to send it to.
 */
function readUtf8(req: Request, then: (text: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => {
    const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
    then(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  });
}

/**
 * Decodes a form body into one string per field, in time linear in its size. Every field of our
 * forms is single, so a repeated field is a 400: read as a list it let `verdict=correct&verdict=correct`
 * count as Incorrect, and growing that list by copying made a 64 KB form of 32,767 repeats take
 * 5.5 s of the event loop (quadratic), freezing every other request.
 */
export const decodeForm: RequestHandler = (req, _res, next) => {
  if (typeof req.body !== 'string') {
    // Express 5 leaves req.body undefined when there was no body; validators expect an object.
    req.body ??= {};
    return next();
  }
  const fields = new Map<string, string>();
  for (const [name, value] of formPairs(req.body)) {
    if (fields.has(name)) {
      return next(
        createError(
          400,
          `The form field ${JSON.stringify(name.slice(0, 40))} was sent more than once; send each field once.`,
        ),
      );
    }
    fields.set(name, value);
  }
  // fromEntries defines own properties, so a field named __proto__ stays a plain field.
  req.body = Object.fromEntries(fields);
  next();
};

/**
 * The name-value pairs of an application/x-www-form-urlencoded text, exactly as URLSearchParams
 * gives them. Browsers percent-encode everything but ASCII, and such a text is decoded here, by
 * the same steps (WHATWG percent-decoding, then UTF-8), into one buffer per part; URLSearchParams'
 * own decoder, written in JavaScript, allocated ~14 KB for a 1 KB review and took ~15 µs. A text it
 * would decode differently (not ASCII, or bytes that are not UTF-8, which URLSearchParams replaces
 * with U+FFFD) goes to URLSearchParams. test/web/middleware/form-decoding.test.ts holds the two
 * side by side.
 */
export function formPairs(text: string): Iterable<[string, string]> {
  if (NOT_ASCII.test(text)) return new URLSearchParams(text);
  const pairs: [string, string][] = [];
  // The URLSearchParams constructor drops a leading '?'.
  for (const piece of (text.startsWith('?') ? text.slice(1) : text).split('&')) {
    if (piece === '') continue;
    const at = piece.indexOf('=');
    const name = decodePart(at < 0 ? piece : piece.slice(0, at));
    const value = at < 0 ? '' : decodePart(piece.slice(at + 1));
    if (name === undefined || value === undefined) return new URLSearchParams(text);
    pairs.push([name, value]);
  }
  return pairs;
}

// eslint-disable-next-line no-control-regex -- the range starts at NUL so that it spans all of ASCII, control characters included
const NOT_ASCII = /[^\x00-\x7f]/;

/** Value of each ASCII hex digit, -1 for any other character below 128. */
const HEX_VALUE = Int8Array.from({ length: 128 }, (_, code) => {
  const digit = '0123456789abcdef'.indexOf(String.fromCharCode(code).toLowerCase());
  return digit;
});

/** One ASCII name or value: '+' is a space, %XX a byte; undefined when the bytes are not UTF-8. */
function decodePart(part: string): string | undefined {
  if (!part.includes('%') && !part.includes('+')) return part;
  const bytes = Buffer.allocUnsafe(part.length);
  let n = 0;
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    if (code === 0x2b) {
      bytes[n++] = 0x20;
      continue;
    }
    if (code === 0x25 && i + 2 < part.length) {
      const high = HEX_VALUE[part.charCodeAt(i + 1)];
      const low = HEX_VALUE[part.charCodeAt(i + 2)];
      if (high >= 0 && low >= 0) {
        bytes[n++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    // A '%' without two hex digits after it stays itself, as in URLSearchParams.
    bytes[n++] = code;
  }
  const decoded = bytes.subarray(0, n);
  return isUtf8(decoded) ? decoded.toString('utf8') : undefined;
}

/** Body of the JSON API: application/json, at most 64 KB, a JSON object. 415 / 413 / 400 otherwise. */
export function jsonBody(): RequestHandler[] {
  return [
    requireContentType(JSON_TYPE, 'send the body as application/json'),
    readJson(),
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
    requireContentType(FORM_TYPE, 'send the form as application/x-www-form-urlencoded'),
    readFormText(),
    decodeForm,
  ];
}

/**
 * A body of another type is refused with 415 rather than silently ignored (the body parsers skip
 * it and the handler would then complain about missing fields). A request without a body passes,
 * so it gets the usual "missing field" answer.
 */
function requireContentType(type: string, hint: string): RequestHandler {
  const commonForms = usualSpellings(type);
  return (req, _res, next) => {
    const given = req.headers['content-type'];
    // The common spellings skip type-is's parsing.
    if (given !== undefined && commonForms.has(given.toLowerCase())) return next();
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
