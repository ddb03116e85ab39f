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
 * The database cannot take a write now (PostgreSQL restarting, SQLite locked by another process):
 * nothing was stored. The web layer answers 503 with Retry-After; the caller may try again.
 */
export class StoreUnavailableError extends MovieClassifierError {
  override name = 'StoreUnavailableError' as const;
  readonly status = 503;
  constructor(
    message: string,
    /** Seconds after which trying again makes sense. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
