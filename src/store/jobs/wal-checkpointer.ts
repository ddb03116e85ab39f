import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

import { InvalidInputError } from '../../errors.js';

/** Options of {@link startWalCheckpointer}. */
export interface WalCheckpointerOptions {
  /** How often the WAL is checkpointed, in ms. @default 250 */
  everyMs?: number;
  /** Where a checkpoint that failed for another reason than a lock is reported. */
  log?: WarnLog;
  /** Shortest time between two warnings of failed checkpoints, in ms. @default 30_000 */
  warnEveryMs?: number;
}

export interface WarnLog {
  warn(details: object, message: string): void;
}

/** The thread checkpointing a database's WAL; see {@link startWalCheckpointer}. */
export interface WalCheckpointer {
  /** Stops the thread; resolves once its connection is closed. */
  stop(): Promise<void>;
}

// Plain CommonJS, evaluated by the thread: no build step, the same under tsx, vitest and dist/.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// No busy wait: a checkpoint that finds the database busy is simply tried again next time.
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    const code = String(error && error.code);
    if (!/^SQLITE_(BUSY|LOCKED)/.test(code)) parentPort.postMessage({ message: String(error && error.message), code });
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints the WAL of the SQLite database at `path` from a worker thread, every `everyMs`.
 *
 * Left to SQLite, the commit that takes the WAL past 1,000 pages checkpoints it, in the thread
 * that commits: it copies the pages into the database file and syncs both files to disk, which
 * took 4–76 ms for 1% of the commits of 8 one-kilobyte predictions (60% of all the time spent
 * writing them), and every request on that event loop waited with it. A PASSIVE checkpoint here
 * never waits for the serving connections nor makes them wait, so they keep serving; open them
 * with a high `autoCheckpointPages` so that they checkpoint only if this thread falls behind.
 */
export function startWalCheckpointer(path: string, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const { everyMs = 250, log, warnEveryMs = 30_000 } = options;
  if (!(Number.isSafeInteger(everyMs) && everyMs >= 1))
    throw new InvalidInputError(`everyMs must be a whole number of ms >= 1; got ${everyMs}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const thread = new Worker(THREAD, { eval: true, workerData: { path, everyMs, driver } });
  // The thread must not keep the process alive, nor its failure take the process down: the
  // serving connections checkpoint by themselves past `autoCheckpointPages`.
  thread.unref();
  const failed = log === undefined ? () => {} : checkpointFailureWarnings(log, { everyMs: warnEveryMs });
  thread.on('message', failed);
  thread.on('error', (error) => {
    log?.warn(
      { err: error },
      `the WAL checkpoint thread stopped: ${error.message}; commits will checkpoint the WAL themselves`,
    );
  });
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  return {
    stop() {
      thread.postMessage('stop');
      return exited;
    },
  };
}

/**
 * Warns of failed checkpoints at most once per `everyMs`: the thread tries every 250 ms, and on a
 * full disk every try fails. The first failure is warned at once; the ones after it within
 * `everyMs` are counted, and the next warning says how many there were.
 */
export function checkpointFailureWarnings(
  log: WarnLog,
  { everyMs, now = () => Date.now() }: { everyMs: number; now?: () => number },
): (failure: { message: string; code: string }) => void {
  let lastWarned = Number.NEGATIVE_INFINITY;
  let quiet = 0;
  return (failure) => {
    const at = now();
    if (at - lastWarned < everyMs) {
      quiet++;
      return;
    }
    const more = quiet === 0 ? '' : ` (it failed ${quiet} more time${quiet === 1 ? '' : 's'} since the last warning)`;
    log.warn(
      { code: failure.code, failuresNotWarned: quiet },
      `checkpointing the database's WAL failed: ${failure.message}; will try again${more}`,
    );
    lastWarned = at;
    quiet = 0;
  };
}
