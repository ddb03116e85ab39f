import type { RequestHandler } from 'express';
import createError from 'http-errors';

/** For a documented path asked with another method: 405 with the Allow header. */
export function methodNotAllowed(allow: string): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Allow', allow);
    next(createError(405, `use ${allow}`));
  };
}
