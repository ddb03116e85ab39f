import { InvalidInputError } from '../errors.js';
import { assertNewPrediction } from './store.js';
import type { LogStore, NewPrediction } from './types.js';

/** Options of {@link createPredictionBatcher}. */
export interface PredictionBatcherOptions {
  /**
   * Tries per batch before its predictions are given up (their `enqueue` promises reject).
   * @default 3
   */
  attempts?: number;
  /** Wait before the second try, doubled before each further one, in milliseconds. @default 50 */
  retryDelayMs?: number;
  /** Told of each failed try that will be retried (for a log line). */
  onRetry?: (error: unknown, attempt: number, rows: number) => void;
}

/** Queues predictions and writes them in group commits; see {@link createPredictionBatcher}. */
export interface PredictionBatcher {
  /** Resolves once `row` is committed; rejects when it could not be (bad row, or every try failed). */
  enqueue(row: NewPrediction): Promise<void>;
  /** Resolves once every row enqueued so far is committed or given up. */
  drain(): Promise<void>;
  /** Rows waiting for their batch to commit. */
  readonly queued: number;
}

interface Waiter {
  row: NewPrediction;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for predictions: every row enqueued during one turn of the event loop is written
 * in one transaction right after the turn (setImmediate), and each `enqueue` resolves when its
 * batch is committed. A commit costs ~100 µs of system calls here; one per request cost ~20% of
 * predict throughput. A failing batch is tried `attempts` times in all, then its rows are given
 * up: their callers get the error and never hand the ids to a reader, so nothing acknowledged
 * is lost, and a broken database cannot grow an endless retry loop.
 *
 * @example
 *   const batcher = createPredictionBatcher(store);
 *   await batcher.enqueue({ id, review, sentiment: 1, probability: 0.93, modelVersion, createdAt });
 */
export function createPredictionBatcher(
  store: Pick<LogStore, 'insertPredictions'>,
  options: PredictionBatcherOptions = {},
): PredictionBatcher {
  const { attempts = 3, retryDelayMs = 50, onRetry } = options;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new InvalidInputError(`attempts must be a whole number >= 1; got ${attempts}`);
  }
  let queue: Waiter[] = [];
  let scheduled = false;
  let waiting = 0;
  const inFlight = new Set<Promise<void>>();

  const write = async (batch: Waiter[]): Promise<void> => {
    const rows = batch.map((waiter) => waiter.row);
    for (let attempt = 1; ; attempt++) {
      try {
        await store.insertPredictions(rows);
        waiting -= batch.length;
        for (const waiter of batch) waiter.resolve();
        return;
      } catch (error) {
        if (attempt >= attempts) {
          waiting -= batch.length;
          for (const waiter of batch) waiter.reject(error);
          return;
        }
        onRetry?.(error, attempt, rows.length);
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  };

  const writeQueued = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    const done = write(batch).finally(() => inFlight.delete(done));
    inFlight.add(done);
  };

  return {
    enqueue(row) {
      try {
        // Checked alone, now: one bad row must not fail the batch it would share with others.
        assertNewPrediction(row);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        waiting++;
        if (!scheduled) {
          scheduled = true;
          setImmediate(writeQueued);
        }
      });
    },

    async drain() {
      while (queue.length > 0 || inFlight.size > 0) {
        if (queue.length > 0 && !scheduled) writeQueued();
        await Promise.all([...inFlight, new Promise((resolve) => setImmediate(resolve))]);
      }
    },

    get queued() {
      return waiting;
    },
  };
}
