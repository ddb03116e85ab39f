import { DatabaseUnavailableError, InvalidInputError } from '../errors.js';

/** The part of a pino logger the gate writes to. */
export interface WriteLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** Options of {@link createWriteGate}. */
export interface WriteGateOptions {
  /**
   * How long a write may wait for the database before it is given up (DB_WRITE_WAIT_MS), in ms.
   * @default 2000
   */
  waitMs?: number;
  /** Most writes waiting at once; more are refused at once. @default 1000 */
  maxWaiting?: number;
  /**
   * A small write tried every `probeMs` while writes fail and none is waiting, so that the
   * failure clears (and /healthz says ok again) without traffic, and by {@link WriteGate.check}.
   * It may answer later (a promise, PostgreSQL). @default none
   */
  probe?: () => unknown;
  /** @default 1000 */
  probeMs?: number;
  /** Failures are logged when they start, then at most once per `logEveryMs`, and when they end. */
  log?: WriteLog;
  /** @default 30000 */
  logEveryMs?: number;
  /** {@link WriteGate.check} probes when nothing succeeded for this long, in ms. @default 2000 */
  checkMaxAgeMs?: number;
}

/** Why writes are failing, since when (GET /healthz). */
export interface WriteFailure {
  /** ISO-8601 time of the first failure in the current run of failures. */
  since: string;
  reason: string;
}

/** Runs the store's writes without ever making the event loop wait for the database; see {@link createWriteGate}. */
export interface WriteGate {
  /**
   * Runs `write` (a transactional store call; SQLite's answer at once, PostgreSQL's later) and resolves with its result. Rejects
   * with DatabaseUnavailableError when the database did not take it within `waitMs` (nothing was
   * written), and with the write's own error when that is not about the database being
   * unavailable (a constraint, a bad row).
   */
  run<T>(write: () => T | Promise<T>): Promise<T>;
  /** The current run of failures, or null while writes succeed. */
  failure(): WriteFailure | null;
  /**
   * The current run of failures, after running the probe when no write or probe has succeeded in
   * the last `maxAgeMs` (default `checkMaxAgeMs`): what /healthz asks.
   */
  check(maxAgeMs?: number): Promise<WriteFailure | null>;
  /** Writes waiting for their turn. */
  readonly waiting: number;
  /** Resolves once no write is waiting. */
  drain(): Promise<void>;
  /** Stops the probe timer (the process is closing). */
  stop(): void;
}

interface Waiting {
  write: () => unknown;
  deadline: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Delays between tries while the database refuses writes, in ms; the last one repeats. */
const RETRY_DELAYS_MS = [2, 5, 10, 20, 50, 100];

/** Why the database is unavailable, or null when `error` is about something else (a bad row). */
function unavailableReason(error: unknown): string | null {
  return error instanceof DatabaseUnavailableError ? error.reason : null;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * Keeps the event loop free when the database does not take writes. better-sqlite3 is synchronous:
 * with a busy timeout of seconds, a write waiting for another process's lock stalls every request
 * (GET / and /healthz included) for that long. So the server's connection waits only a few ms
 * (its busy timeout), and a write the database refuses waits here instead, asynchronously, and is
 * tried again every few ms, first in line, until it goes through or `waitMs` has passed; writes
 * made meanwhile queue behind it (at most `maxWaiting`), in order, without touching the database.
 *
 * A write refused because the database is unavailable never half-happens: each store write is one
 * transaction. Failures are logged once when they start, at most every `logEveryMs` while they
 * last, and once when they end.
 *
 * @example
 *   const gate = createWriteGate({ waitMs: 2000, probe: () => store.checkWritable(), log });
 *   const outcome = await gate.run(() => store.recordFeedback(id, 1, 'api'));
 */
export function createWriteGate(options: WriteGateOptions = {}): WriteGate {
  const {
    waitMs = 2000,
    maxWaiting = 1000,
    probe,
    probeMs = 1000,
    log,
    logEveryMs = 30_000,
    checkMaxAgeMs = 2000,
  } = options;
  if (!Number.isSafeInteger(waitMs) || waitMs < 0)
    throw new InvalidInputError(`waitMs must be a whole number >= 0; got ${waitMs}`);
  const queue: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  let tries = 0;
  let failing: (WriteFailure & { at: number; given: number; lastLog: number }) | null = null;
  let stopped = false;
  let probing: Promise<void> | undefined;
  let lastChecked = 0;

  const giveUp = (waiting: Waiting): void => {
    if (failing !== null) failing.given++;
    waiting.reject(
      new DatabaseUnavailableError(
        `The database did not take the write within ${waitMs} ms: ${failing?.reason ?? 'it is unavailable'}. Nothing was stored; try again.`,
        Math.max(1, Math.ceil(waitMs / 1000)),
      ),
    );
  };

  const failed = (reason: string): void => {
    const now = Date.now();
    if (failing === null) {
      failing = { since: new Date(now).toISOString(), reason, at: now, given: 0, lastLog: now };
      log?.warn({ reason }, `database writes are failing: ${reason}; retrying for up to ${waitMs} ms per write`);
    } else if (now - failing.lastLog >= logEveryMs) {
      failing.lastLog = now;
      failing.reason = reason;
      log?.warn(
        { reason, since: failing.since, givenUp: failing.given },
        `database writes still failing: ${reason} (since ${failing.since}; ${failing.given} writes given up)`,
      );
    }
  };

  const succeeded = (): void => {
    lastChecked = Date.now();
    if (failing === null) return;
    log?.info(
      { since: failing.since, givenUp: failing.given },
      `database writes succeed again after ${Math.round((Date.now() - failing.at) / 1000)} s`,
    );
    failing = null;
  };

  /** Tries `write` once: true when it is settled (done, or failed for good), false to try again. */
  const attempt = (waiting: Waiting): boolean => {
    let result: unknown;
    try {
      result = waiting.write();
    } catch (error) {
      const reason = unavailableReason(error);
      if (reason === null) {
        waiting.reject(error);
        return true;
      }
      failed(reason);
      return false;
    }
    if (isThenable(result)) {
      // PostgreSQL answers later, on its own connection: its failure is recorded, not retried
      // (the pool already waited for a connection), so /healthz sees it as it sees SQLite's.
      result.then(
        (value) => {
          succeeded();
          waiting.resolve(value);
        },
        (error: unknown) => {
          const reason = unavailableReason(error);
          if (reason !== null) failed(reason);
          waiting.reject(error);
        },
      );
      return true;
    }
    succeeded();
    waiting.resolve(result);
    return true;
  };

  const schedule = (): void => {
    if (timer !== undefined) return;
    if (queue.length > 0) {
      const delay = RETRY_DELAYS_MS[Math.min(tries, RETRY_DELAYS_MS.length - 1)];
      timer = setTimeout(retry, delay);
    } else if (failing !== null && probe !== undefined && !stopped) {
      timer = setTimeout(probeNow, probeMs);
      timer.unref();
    }
  };

  const retry = (): void => {
    timer = undefined;
    tries++;
    // The first in line is tried; the rest follow it as soon as it succeeds, in this same turn:
    // each write is short, and the queue is bounded.
    while (queue.length > 0) {
      const head = queue[0];
      if (Date.now() > head.deadline) {
        queue.shift();
        giveUp(head);
        continue;
      }
      if (!attempt(head)) break;
      queue.shift();
      tries = 0;
    }
    schedule();
  };

  /** Runs the probe once and records what it found; resolves when it has answered. */
  const runProbe = async (): Promise<void> => {
    if (probe === undefined) return;
    try {
      await probe();
      succeeded();
    } catch (error) {
      failed(unavailableReason(error) ?? (error as Error).message);
    }
    lastChecked = Date.now();
  };

  const probeNow = (): void => {
    timer = undefined;
    if (queue.length > 0 || probe === undefined) return schedule();
    probing ??= runProbe().finally(() => {
      probing = undefined;
      schedule();
    });
  };

  return {
    run<T>(write: () => T | Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const waiting: Waiting = {
          write,
          deadline: Date.now() + waitMs,
          resolve: resolve as (value: unknown) => void,
          reject,
        };
        // Behind others, wait in line: trying now would jump the queue, and each try while the
        // database is locked costs the event loop up to the connection's busy timeout.
        if (queue.length === 0 && (timer === undefined || failing === null)) {
          if (attempt(waiting)) return;
        } else if (queue.length >= maxWaiting) {
          return giveUp(waiting);
        }
        queue.push(waiting);
        if (timer !== undefined && queue.length === 1) {
          // A probe was scheduled; a real write takes its place.
          clearTimeout(timer);
          timer = undefined;
        }
        schedule();
      });
    },

    failure() {
      return failing === null ? null : { since: failing.since, reason: failing.reason };
    },

    async check(maxAgeMs = checkMaxAgeMs) {
      // Nothing written for a while (no traffic): ask the database, so that a monitor learns of a
      // database that went away without waiting for a reader to be refused.
      if (failing === null && Date.now() - lastChecked >= maxAgeMs && queue.length === 0 && !stopped) {
        probing ??= runProbe().finally(() => {
          probing = undefined;
          schedule();
        });
        await probing;
      }
      return this.failure();
    },

    get waiting() {
      return queue.length;
    },

    async drain() {
      while (queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    },

    stop() {
      stopped = true;
      // A probe may go; writes still waiting keep their timer until they settle (drain).
      if (timer !== undefined && queue.length === 0) {
        clearTimeout(timer);
        timer = undefined;
      }
    },
  };
}
