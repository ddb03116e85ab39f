import type { LogStore } from '../../src/store/index.js';

/** Did every feedback the server acknowledged land in review_db exactly once? */
export interface FeedbackCheck {
  /** review_db rows added during the case. */
  rowsAdded: number;
  /** 2xx answers carrying a review id. */
  answered: number;
  /** Of those ids, how many name a row added during the case (each counted once). */
  answeredAndStored: number;
  /** Ids that two answers shared (should be 0). */
  repeatedAnswerIds: number;
  /** Rows sharing a prediction id with another new row (should be 0: one row per prediction). */
  duplicatePredictionRows: number;
  /** Predictions now linked to a new row; equals rowsAdded when the links were written too. */
  linkedPredictions: number;
  /**
   * Rows stored for requests whose answer the load generator no longer waited for: it closes its
   * connections when the time is up, and the server still finishes what it had read. At most one
   * per connection.
   */
  storedAfterCutOff: number;
  /** Every acknowledged feedback stored once, linked, and no row without a request. */
  exactlyOnce: boolean;
}

/** The server's database, as the bench reads it: a read-only LogStore on the file the server has open. */
export type FeedbackLog = Pick<LogStore, 'maxReviewId' | 'feedbackLinksAfter'>;

/**
 * Waits until no new review_db row has appeared for `quietMs` (the server finishing requests
 * whose connections the load generator already closed), at most `timeoutMs`.
 */
export async function waitForQuietLog(log: FeedbackLog, quietMs = 300, timeoutMs = 5000): Promise<void> {
  const started = performance.now();
  let last = await log.maxReviewId();
  let lastChange = performance.now();
  while (performance.now() - lastChange < quietMs && performance.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await log.maxReviewId();
    if (now !== last) {
      last = now;
      lastChange = performance.now();
    }
  }
}

/**
 * Reads back, in one snapshot, the rows added after `afterId` and the predictions linked to them,
 * and checks them against the review ids the 2xx answers reported.
 *
 * @param connections the load's connection count: the bound on rows stored after the cut-off.
 */
export async function checkFeedbackRows(
  log: FeedbackLog,
  afterId: number,
  answeredIds: readonly number[],
  connections: number,
): Promise<FeedbackCheck> {
  const { rows, linkedPredictions } = await log.feedbackLinksAfter(afterId);
  return compareFeedback(rows, answeredIds, linkedPredictions, connections);
}

/** The pure part of `checkFeedbackRows`. */
export function compareFeedback(
  rows: readonly { id: number; predictionId: string | null }[],
  answeredIds: readonly number[],
  linkedPredictions: number,
  connections: number,
): FeedbackCheck {
  const stored = new Set(rows.map((row) => row.id));
  const answered = new Set(answeredIds);
  let answeredAndStored = 0;
  for (const id of answered) if (stored.has(id)) answeredAndStored++;
  const predictionIds = new Set(rows.map((row) => row.predictionId));
  const storedAfterCutOff = rows.length - answeredAndStored;
  const duplicatePredictionRows = rows.length - predictionIds.size;
  const repeatedAnswerIds = answeredIds.length - answered.size;
  return {
    rowsAdded: rows.length,
    answered: answeredIds.length,
    answeredAndStored,
    repeatedAnswerIds,
    duplicatePredictionRows,
    linkedPredictions,
    storedAfterCutOff,
    exactlyOnce:
      answeredAndStored === answeredIds.length &&
      repeatedAnswerIds === 0 &&
      duplicatePredictionRows === 0 &&
      linkedPredictions === rows.length &&
      storedAfterCutOff >= 0 &&
      storedAfterCutOff <= connections,
  };
}
