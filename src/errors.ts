/**
 * Every error this project throws on purpose extends MovieClassifierError, so callers can tell
 * "we refused this, here is why" from a bug. Messages say what happened and what to do.
 */
export class MovieClassifierError extends Error {
  override name: string = 'MovieClassifierError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Input that cannot be used (bad CSV row, bad option, bad review text). */
export class InvalidInputError extends MovieClassifierError {
  override name = 'InvalidInputError' as const;
}

/** A model file that is truncated, corrupted, foreign or of another format version. */
export class ModelFileError extends MovieClassifierError {
  override name = 'ModelFileError' as const;
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A database whose schema this build cannot use (for example, from a newer version). */
export class DatabaseVersionError extends MovieClassifierError {
  override name = 'DatabaseVersionError' as const;
  constructor(
    message: string,
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(message);
  }
}

/** A missing or malformed setting. */
export class ConfigError extends MovieClassifierError {
  override name = 'ConfigError' as const;
}

/**
 * Command-line arguments that cannot be used (an unknown option, a missing or malformed value).
 * The scripts' runner prints the message and the script's usage, and exits with code 2.
 */
export class UsageError extends MovieClassifierError {
  override name = 'UsageError' as const;
}

/**
 * The database is unavailable: another process holds its write lock, writes fail (disk full,
 * read-only, I/O error), or the server cannot be reached (PostgreSQL stopped). Both stores throw
 * this for every such failure, and only this, so the write gate and /healthz need not know the
 * engine. Nothing was stored; the same request may succeed later. The web layer answers 503 with
 * Retry-After.
 */
export class DatabaseUnavailableError extends MovieClassifierError {
  override name = 'DatabaseUnavailableError' as const;
  readonly status = 503;
  readonly code = 'unavailable';
  /** Why, in a few words, for /healthz and the log ('the database is locked by another process'). */
  readonly reason: string;
  constructor(
    message: string,
    /** Seconds after which trying again makes sense. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options);
    this.reason = options?.reason ?? message;
  }
}

/** A database file that cannot be opened as it is: missing, not SQLite, locked, read-only, corrupt. */
export class DatabaseOpenError extends MovieClassifierError {
  override name = 'DatabaseOpenError' as const;
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A verdict change the served model could not follow: it changes a row the model already learned,
 * and no readable checkpoint from before that row is kept to rebuild from. Refused before anything
 * is recorded; the web layer answers 409 with the message, which names what to put back.
 */
export class RebuildRefusedError extends MovieClassifierError {
  override name = 'RebuildRefusedError' as const;
  readonly status = 409;
  readonly code = 'checkpoint_missing';
  constructor(
    message: string,
    /** The lowest log row the change touches. */
    readonly row: number,
  ) {
    super(message);
  }
}
