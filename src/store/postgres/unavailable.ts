import pg from 'pg';

import { DatabaseUnavailableError, MovieClassifierError } from '../../errors.js';

/**
 * SQLSTATE classes and codes PostgreSQL answers when it cannot serve now, rather than "this
 * statement is wrong": 08 connection exception, 53 insufficient resources (disk full, out of
 * memory, too many connections), 57P01-57P03 shutting down or starting, 25006 read-only
 * transaction (a standby), 40001/40P01 are not here: the transaction is retried by its caller.
 */
const UNAVAILABLE_CLASSES = ['08', '53'];
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '25006']);

/**
 * Whether `error` means "the database is unavailable": an answer from PostgreSQL with one of the
 * codes above, or no answer at all — an error that is not PostgreSQL's (pg.DatabaseError) and not
 * ours is the connection failing (refused, reset, cut, the pool's connect timeout).
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    const code = error.code ?? '';
    return UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2));
  }
  return (
    error instanceof Error &&
    !(error instanceof MovieClassifierError) &&
    !(error instanceof TypeError) &&
    !(error instanceof RangeError)
  );
}

/** `error` as DatabaseUnavailableError when PostgreSQL is unavailable, else `error` itself. */
export function asUnavailable(error: unknown, where: string, retryAfterSeconds: number): unknown {
  if (!isUnavailable(error)) return error;
  const message = (error as Error).message;
  return new DatabaseUnavailableError(
    `the database ${where} is not reachable (${message}); nothing was stored, try again shortly`,
    retryAfterSeconds,
    {
      cause: error,
      reason: `PostgreSQL at ${where} is not reachable (${message})`,
    },
  );
}
