import { InvalidInputError } from '../errors.js';
import { isLabel, type Label } from '../model/types.js';
import { reasonCodeOf } from '../moderation/reasons.js';
import type { NewPrediction, VerdictDecision, VerdictRule } from './types.js';

/** A log row as a caller hands it over, before its verdict and fingerprint. */
export interface LogRowInput {
  review: string;
  sentiment: Label;
  date: string;
  /** The prediction the row answers; null for an import. */
  predictionId: string | null;
  source: string;
  client: string | null;
  /** The answer said the prediction was wrong (null when there was no prediction). */
  correction: boolean | null;
  /** How far learning the row moves the model (WriteCandidate.push); null without a prediction. */
  push: number | null;
  /** Counted P(positive) of each of its phrases (FeedbackOptions.phraseLeans); null: none given. */
  phraseLeans: ReadonlyMap<number, number> | null;
}

/** WriteCandidate.push of an answer labelled `sentiment` to a prediction of `predicted` with `probability`. */
export function pushOf(sentiment: Label, prediction: { sentiment: Label; probability: number }): number {
  return sentiment === prediction.sentiment ? 1 - prediction.probability : prediction.probability;
}

/**
 * How much of an answer's push against a phrase's counted lean the phrase budget counts. Whole,
 * the learning loop (`npm run evaluate -- --feedback-loop --seed 1`) held 362 of 5,000 truthful
 * answers (gain +0.40 points against +0.56): the lean is that of the phrase's most telling n-gram,
 * not the phrase's own share of positive reviews ("of the best" counts 0.69; most reviews holding
 * it are positive), and honest answers on a common phrase add that error up. A quarter still
 * holds 200 confirmations of sure predictions (`npm run moderation:bars`, bar 8) within a few
 * dozen, before their documents move the counts far.
 */
export const LEAN_PUSH_WEIGHT = 0.25;

/**
 * The push the phrase budget records for one phrase of an accepted answer: the larger of the
 * prediction's push (how far the SGD step moves every n-gram of the review) and a share
 * (LEAN_PUSH_WEIGHT) of how far the answer goes against the phrase's counted lean (1 - lean for a
 * positive answer, lean for a negative one), which stands for the NB counts the answer moves by a
 * document however sure the prediction was. The prediction's push alone when no lean is given.
 */
export function phrasePush(row: Pick<LogRowInput, 'sentiment' | 'push' | 'phraseLeans'>, phrase: number): number {
  const push = row.push ?? 0;
  const lean = row.phraseLeans?.get(phrase);
  if (lean === undefined) return push;
  return Math.max(push, LEAN_PUSH_WEIGHT * (row.sentiment === 1 ? 1 - lean : lean));
}

/** What both engines check of a row before they write it. */

function assertLabel(value: unknown, what: string): asserts value is Label {
  if (!isLabel(value)) {
    throw new InvalidInputError(`${what} must be 0 (negative) or 1 (positive); got ${String(value)}`);
  }
}

/** Refuses a prediction row the predictions table would not hold as given. */
export function assertNewPrediction(prediction: NewPrediction): void {
  assertLabel(prediction.sentiment, 'sentiment');
  if (!(prediction.probability >= 0 && prediction.probability <= 1)) {
    throw new InvalidInputError(`probability must be in [0, 1]; got ${prediction.probability}`);
  }
  if (typeof prediction.id !== 'string' || prediction.id === '') {
    throw new InvalidInputError(`a prediction id must be a non-empty string; got ${String(prediction.id)}`);
  }
}

/** Refuses a per-client bound on unanswered predictions that is not a whole number >= 0 (0: no bound). */
export function assertPerClientBound(maxUnansweredPerClient: number): void {
  if (!Number.isSafeInteger(maxUnansweredPerClient) || maxUnansweredPerClient < 0) {
    throw new InvalidInputError(
      `maxUnansweredPerClient must be a whole number >= 0 (0: no bound); got ${maxUnansweredPerClient}`,
    );
  }
}

/** Refuses a log row's label or source that review_db would not hold from this app (either store). */
export function assertNewRow(sentiment: unknown, source: unknown): void {
  assertLabel(sentiment, 'sentiment');
  if (typeof source !== 'string' || source === '') {
    throw new InvalidInputError(`source must be a non-empty string such as 'feedback'; got ${String(source)}`);
  }
}

/**
 * The rule used when none is given: accept every row (its sentiment is checked before it gets
 * here). Tools and tests that import trusted rows use it; the server passes the moderation rule.
 */
export const ACCEPT_EVERY_ROW: VerdictRule = () => ({ verdict: 'accepted', reason: null });

/**
 * Rows the near-duplicate lookup reads per LSH band: the newest of those sharing it. Bounded, so
 * that a flood of rows sharing a band cannot make every later write read them all inside the
 * write transaction; 16 bands x 32 rows is at most 512 signatures compared.
 */
export const CANDIDATES_PER_BAND = 32;

/**
 * Accepted rows the phrase budget reads per phrase: the newest of the window. Bounded, so a
 * phrase that many rows hold ("one of the") costs the same as a rare one inside the write
 * transaction; the budget then judges a common phrase by its newest 256 rows.
 */
export const PHRASE_ROWS_PER_LOOKUP = 256;

/** Whether a new row's phrases go into the phrase budget: an accepted row that answers a prediction moves the model's weights. */
export function countsAgainstPhrases(row: { push: number | null }, decision: VerdictDecision): boolean {
  return row.push !== null && decision.verdict === 'accepted';
}

/**
 * Whether a new row's band keys go into the similarity index: not when it was rejected for
 * repeating an earlier row, which is in the index already and finds what this one would.
 */
export function indexesBands(decision: VerdictDecision): boolean {
  if (decision.verdict !== 'rejected') return true;
  const code = reasonCodeOf(decision.reason);
  return code !== 'repeat' && code !== 'near-duplicate';
}
