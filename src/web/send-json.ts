import type { Response } from 'express';

/**
 * Answers a JSON API request with `value`: the same bytes and Content-Type as Express's
 * `res.json` gives with the app's defaults (no replacer, spacing or escaping), without the steps
 * of `res.send` that a JSON answer to a POST never needs (Content-Type lookup, ETag and freshness
 * checks, copying bodies over 1,000 characters into a Buffer). The status is the response's
 * (set it before).
 *
 * @example sendJson(res.status(201), { reviewId: 7 })
 */
export function sendJson(res: Response, value: unknown): void {
  const body = JSON.stringify(value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
