import type { LogStore } from '../types.js';

/** Predictions deleted per transaction: the write lock is held a few ms, then other writes go. */
const DELETE_BATCH = 500;
/** Pages given back to the file system per step (4 MB of 4 KB pages). */
const RECLAIM_BATCH = 1000;
const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

export interface ExpiryLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface SweepResult {
  deleted: number;
  /** Pages given back to the file system (0 for a database made before incremental vacuum). */
  pagesFreed: number;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Deletes every unanswered prediction made before `before` (ISO-8601), a batch per transaction
 * with a turn of the event loop between batches, then gives the freed pages back to the file
 * system. Answered predictions stay: their feedback row refers to them.
 *
 * @example
 *   await sweepExpiredPredictions(store, new Date(Date.now() - 24 * 3600_000).toISOString());
 */
export async function sweepExpiredPredictions(
  store: Pick<LogStore, 'deleteUnansweredPredictionsBefore' | 'deleteUnansweredPredictionsBeyond' | 'reclaimFreePages'>,
  before: string,
  /** PREDICTION_MAX_TOTAL: then also the oldest unanswered beyond this many go; 0: no bound. */
  maxTotal = 0,
): Promise<SweepResult> {
  const result: SweepResult = { deleted: 0, pagesFreed: 0 };
  const batches = [() => store.deleteUnansweredPredictionsBefore(before, DELETE_BATCH)];
  if (maxTotal > 0) batches.push(() => store.deleteUnansweredPredictionsBeyond(maxTotal, DELETE_BATCH));
  for (const batch of batches) {
    for (;;) {
      const deleted = await batch();
      result.deleted += deleted;
      if (deleted < DELETE_BATCH) break;
      await nextTurn();
    }
  }
  if (result.deleted === 0) return result;
  for (;;) {
    const freed = await store.reclaimFreePages(RECLAIM_BATCH);
    result.pagesFreed += freed;
    if (freed < RECLAIM_BATCH) break;
    await nextTurn();
  }
  return result;
}

/** The phrase budget reads 24 hours back; its rows are kept an hour longer, for clocks that differ. */
const PHRASE_FEEDBACK_KEPT_MS = 25 * HOUR_MS;

/** Deletes the phrase budget's rows older than it reads, in batches; returns how many went. */
export async function prunePhraseFeedback(
  store: Pick<LogStore, 'deletePhraseFeedbackBefore'>,
  before = new Date(Date.now() - PHRASE_FEEDBACK_KEPT_MS).toISOString(),
): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await store.deletePhraseFeedbackBefore(before, DELETE_BATCH * 10);
    total += deleted;
    if (deleted < DELETE_BATCH * 10) return total;
    await nextTurn();
  }
}

export interface PredictionExpiryOptions {
  store: Pick<
    LogStore,
    | 'deleteUnansweredPredictionsBefore'
    | 'deleteUnansweredPredictionsBeyond'
    | 'reclaimFreePages'
    | 'deletePhraseFeedbackBefore'
  >;
  /** PREDICTION_TTL_HOURS: unanswered predictions older than this go. */
  ttlHours: number;
  /** PREDICTION_MAX_TOTAL: the oldest unanswered predictions beyond this many go too; 0: no bound. @default 0 */
  maxTotal?: number;
  /** How often to sweep. @default a quarter of the TTL, at most an hour; at most a minute with maxTotal */
  intervalMs?: number;
  log?: ExpiryLog;
}

/**
 * Sweeps expired predictions now and then every `intervalMs` (unref'd: it never keeps the
 * process alive). Every prediction keeps its review text (up to 40 KB), so without this the
 * table grew by every prediction ever made, answered or not. A sweep that finds the database
 * busy or failing gives up until the next one; the write gate reports failing writes.
 */
export function startPredictionExpiry(options: PredictionExpiryOptions): { stop(): void } {
  const { store, ttlHours, log, maxTotal = 0 } = options;
  const ttlMs = ttlHours * HOUR_MS;
  // With a bound on the total, a flood is trimmed within a minute, not within the hour.
  const intervalMs = options.intervalMs ?? Math.min(HOUR_MS, ttlMs / 4, maxTotal > 0 ? MINUTE_MS : HOUR_MS);
  let running = false;
  const sweep = (): void => {
    if (running) return;
    running = true;
    // Phrase rows first: the sweep reclaims free pages after deleting predictions.
    prunePhraseFeedback(store)
      .then(() => sweepExpiredPredictions(store, new Date(Date.now() - ttlMs).toISOString(), maxTotal))
      .then(({ deleted, pagesFreed }) => {
        const beyond = maxTotal > 0 ? ` or beyond the newest ${maxTotal}` : '';
        if (deleted > 0)
          log?.info(
            { deleted, pagesFreed },
            `deleted ${deleted} unanswered predictions older than ${ttlHours} h${beyond}`,
          );
      })
      .catch((error: unknown) =>
        log?.warn({ err: error }, `could not delete expired predictions now: ${(error as Error).message}`),
      )
      .finally(() => (running = false));
  };
  const first = setTimeout(sweep, 0);
  const timer = setInterval(sweep, intervalMs);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
