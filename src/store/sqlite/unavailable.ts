import { DatabaseUnavailableError } from '../../errors.js';

/**
 * The SQLite errors that say "not now" rather than "never": another connection holds the write
 * lock, or the file cannot be written at the moment (disk full, read-only, I/O error).
 */
const UNAVAILABLE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
];

/** Why the database is unavailable, in a few words, or null when `error` is not about that. */
function unavailableReason(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix))) return null;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return 'the database is locked by another process';
  if (code.startsWith('SQLITE_FULL')) return 'the disk or the database is full';
  if (code.startsWith('SQLITE_READONLY')) return 'the database cannot be written (read-only)';
  return `the database cannot be written (${(error as Error).message})`;
}

/** `error` as DatabaseUnavailableError when SQLite said "not now", else `error` itself. */
export function asUnavailable(error: unknown, path: string): unknown {
  const reason = unavailableReason(error);
  if (reason === null) return error;
  const detail = (error as Error).message;
  return new DatabaseUnavailableError(
    `database ${path}: ${reason} (${detail}); nothing was stored, try again shortly`,
    1,
    { cause: error, reason },
  );
}

/**
 * The store with every method's "not now" failures turned into DatabaseUnavailableError, as
 * PostgreSQL's store throws them: callers need not know SQLite's error codes.
 */
export function throwingUnavailable<T extends object>(target: T, path: string): T {
  const guarded = { ...target } as Record<string, unknown>;
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') continue;
    const method = value as (...args: unknown[]) => unknown;
    guarded[name] = function guard(this: unknown, ...args: unknown[]) {
      try {
        return method.apply(this, args);
      } catch (error) {
        throw asUnavailable(error, path);
      }
    };
  }
  return guarded as T;
}
