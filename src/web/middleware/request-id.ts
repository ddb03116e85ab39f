import { randomUUID } from 'node:crypto';

import type { RequestHandler, Response } from 'express';

/**
 * An id taken from a client or a proxy in front: short, and only characters that cannot break a
 * log line or a header (UUIDs, ULIDs, hex and the usual tracing ids all fit).
 */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives each request an id, sent back as X-Request-Id and put on each log line of the request
 * (`reqId`): the incoming X-Request-Id when it is sane (a proxy or a client that made one can
 * then find the same request here), otherwise a new UUID.
 */
export const requestId: RequestHandler = (req, res, next) => {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};

/** The request's id as `requestId` set it (undefined before it ran). */
export function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}
