import type { Fingerprint } from '../moderation/fingerprint.js';
import type { ConsoleStore, ModelEventLog } from './console.js';
import type { Label } from '../model/types.js';

/** A prediction shown to a reader; feedback refers to it by id so labels cannot be forged. */
export interface StoredPrediction {
  /** A UUID made by the learner (version 7: time-ordered, 74 random bits; see learner/prediction-id.ts). */
  id: string;
  review: string;
  /** The predicted label, 0 or 1 as in review_db.sentiment (the predictions table's `label` column). */
  sentiment: Label;
  /** Probability of `sentiment`, in [0.5, 1]. */
  probability: number;
  /** Identifies the model that made it (checksum prefix of the model file + watermark). */
  modelVersion: string;
  /** ISO-8601 time. */
  createdAt: string;
  /** review_db id of the feedback given on it, or null while none was given. */
  feedbackReviewId: number | null;
}

/** What a log row is to the model: folded, waiting for an operator, or never folded. */
export type Verdict = 'accepted' | 'held' | 'rejected';
export const VERDICTS: readonly Verdict[] = ['accepted', 'held', 'rejected'];

export interface VerdictDecision {
  verdict: Verdict;
  /** Why, in a few words ('near-duplicate of row 12 (similarity 0.91)'); null for a plain accept. */
  reason: string | null;
}

/** A row about to be written, as the verdict rule sees it. */
export interface WriteCandidate {
  review: string;
  /** May be anything for a classic import; the rule rejects what is not 0 or 1. */
  sentiment: unknown;
  /** Keyed hash of the client address; null for rows no client sent (imports). */
  client: string | null;
  /** The answer said the prediction was wrong (null when there was no prediction). */
  correction: boolean | null;
  /**
   * How far learning the row moves the model toward its label, from the prediction it answers:
   * 1 - the predicted probability of that label (about 1 for a confident prediction corrected,
   * 0.5 for an unsure one either way, about 0 for a confident one confirmed), the factor online
   * SGD scales its step by. Null for a row that answers no prediction (an import).
   */
  push: number | null;
  /** ISO-8601 time of the row. */
  date: string;
  fingerprint: Fingerprint;
}

/** What the verdict rule may ask of the rows written before the candidate (read in the same transaction). */
export interface LogHistory {
  /** Id of the first earlier row whose normalized text is the same, or null. */
  firstWithNormalizedHash(hash: string): number | null;
  /** Earlier rows sharing at least one LSH band key, with their MinHash signatures. */
  sharingBands(bandKeys: readonly number[]): Array<{ id: number; signature: Uint32Array }>;
  /** A client's accepted rows dated at or after `since` (ISO-8601), and how many of them were corrections. */
  acceptedFromClientSince(client: string, since: string): { rows: number; corrections: number };
  /**
   * For each of `phraseKeys` that any is found for: the accepted rows with a push dated at or
   * after `since` that hold it, their pushes summed by the label they gave (the newest
   * PHRASE_ROWS_PER_LOOKUP per phrase, so the lookup is bounded; see src/store/rows.ts).
   */
  feedbackWithPhrasesSince(phraseKeys: readonly number[], since: string): PhraseFeedback[];
}

/** Accepted rows of a window that hold one phrase: how far they pushed the model, by label. */
export interface PhraseFeedback {
  phrase: number;
  /** Sum of the pushes of the rows labelled negative. */
  toNegative: number;
  /** Sum of the pushes of the rows labelled positive. */
  toPositive: number;
  /** Sum of the squared pushes of all of them (the spread of a random walk of those steps). */
  squares: number;
}

/**
 * Decides a row's verdict once, when it is written, from the row and the log before it.
 * `asksPhrases` says whether it may ask `feedbackWithPhrasesSince` about a row with a push: a store
 * that answers the rule's questions ahead of time (PostgreSQL) skips that query when it is false.
 */
export type VerdictRule = ((candidate: WriteCandidate, history: LogHistory) => VerdictDecision) & {
  readonly asksPhrases?: boolean;
};

/** A prediction as handed to the store, before any feedback. */
export type NewPrediction = Omit<StoredPrediction, 'feedbackReviewId'> & {
  /**
   * Keyed hash of the address that asked (as review_db.client), which the per-client bound on
   * unanswered predictions counts by; null or absent for predictions no client asked for (tools).
   */
  client?: string | null;
};

/** A row of the feedback log `review_db`, in the classic columns plus id and provenance. */
export interface ReviewRow {
  id: number;
  /** The review text ('' for a classic-import row that had NULL). */
  review: string;
  /**
   * 0 or 1 for every row this app wrote (a CHECK enforces it). Rows adopted from a classic
   * database (source 'classic-import') are kept exactly as found, so a broken one can carry
   * another value (2, 0.5, 'maybe', null): the fold must skip rows whose sentiment is not 0 or 1.
   */
  sentiment: unknown;
  /** ISO-8601 time (classic rows keep whatever text they had; '' when they had NULL). */
  date: string;
  predictionId: string | null;
  /** 'feedback' | 'api' | 'classic-import' | ... */
  source: string;
  verdict: Verdict;
  verdictReason: string | null;
  /** Keyed hash of the client address, or null (imports, rows from before client identity). */
  client: string | null;
}

/** The review_db rows after some id, with the links the predictions hold to them, read in one snapshot. */
export interface FeedbackLinks {
  /** Rows with id > afterId, in id order: the id and the prediction the row answers (null when none). */
  rows: { id: number; predictionId: string | null }[];
  /** Predictions whose feedback is one of those rows; equals rows.length when every row came from feedback. */
  linkedPredictions: number;
}

export type FeedbackOutcome =
  | { status: 'recorded'; reviewId: number; sentiment: Label; verdict: Verdict; reason: string | null }
  | { status: 'duplicate'; reviewId: number; sentiment: Label; verdict: Verdict; reason: string | null }
  | { status: 'unknown' };

/** Who sent a log row and when (defaults: no client, now). */
export interface RowOptions {
  /** ISO-8601 time. @default now */
  date?: string;
  /** Keyed hash of the client address. @default null */
  client?: string | null;
}

export interface FeedbackOptions extends RowOptions {
  /**
   * The prediction as the caller has just read it (getPrediction): spares the store reading it
   * again before its write lock. The write still checks, under the lock, that the prediction is
   * stored and not yet answered; a prediction's text and label never change.
   */
  prediction?: Pick<StoredPrediction, 'review' | 'sentiment' | 'probability'>;
  /**
   * How often documents holding each phrase of the review were positive, by the model's counts
   * (by key, as fingerprint's phraseKeys; see moderation/phrase-leans.ts). The phrase budget then
   * counts, for each phrase, the larger of the prediction's push and how far the answer goes
   * against that lean (src/store/rows.ts, phrasePush). Without it, every phrase counts the
   * prediction's push (WriteCandidate.push).
   */
  phraseLeans?: ReadonlyMap<number, number>;
}

/** One change of a row's verdict after it was written (an operator, or update's check set). */
export interface VerdictChange {
  /** Position in the verdict_changes table: processes remember the last one they applied. */
  id: number;
  reviewId: number;
  verdict: Verdict;
}

/** A log row as the operator sees it. */
export interface FeedbackListRow {
  id: number;
  review: string;
  sentiment: unknown;
  date: string;
  verdict: Verdict;
  reason: string | null;
  client: string | null;
  source: string;
  predictionId: string | null;
}

/** A value now (SQLite) or later (PostgreSQL). */
export type Awaitable<T> = T | Promise<T>;

/**
 * The log as the learner, the web layer and `npm run update` use it: SQLite answers at once,
 * PostgreSQL later, so every result may be a promise and every caller awaits it.
 */
export interface LogStore {
  /** Where the log is: a file path, ':memory:', or a PostgreSQL address without its password. */
  readonly path: string;
  /**
   * The id this database was given when it was created (migration 5): model files folded from
   * its log record it, so a model file is not used with another database's log.
   */
  readonly databaseId: string;
  /** Stores one prediction, committed on return. A repeated id throws InvalidInputError. */
  insertPrediction(prediction: NewPrediction): Awaitable<void>;
  /**
   * Stores predictions in one transaction (all or none): what the prediction batcher calls. With
   * a per-client bound (the store's `maxUnansweredPerClient`), the same transaction deletes the
   * oldest unanswered predictions of each client in the batch beyond the newest that many.
   */
  insertPredictions(predictions: readonly NewPrediction[]): Awaitable<void>;
  getPrediction(id: string): Awaitable<StoredPrediction | undefined>;
  /**
   * In one transaction: unknown prediction -> 'unknown'; feedback already given -> 'duplicate'
   * (nothing written); else insert the review_db row (review text from the stored prediction,
   * the given sentiment, date, prediction id, source, client) with the verdict the store's rule
   * decides, and link the prediction to it.
   */
  recordFeedback(
    predictionId: string,
    sentiment: Label,
    source: string,
    options?: FeedbackOptions,
  ): Awaitable<FeedbackOutcome>;
  /** Append a labelled review that did not come from a prediction (imports, tests). Returns its id. */
  insertReview(review: string, sentiment: Label, source: string, options?: RowOptions): Awaitable<number>;
  /**
   * review_db rows with id > afterId (and <= upTo when given), in id order, streamed with .iterate().
   * While the iterator is open the same SQLite store can read but not write (the connection is busy):
   * finish or break out of the loop before recording anything.
   */
  reviewsAfter(afterId: number, upTo?: number): Iterable<ReviewRow> | AsyncIterable<ReviewRow>;
  maxReviewId(): Awaitable<number>;
  /**
   * The rows after `afterId` and how many predictions link to them, in one read transaction, so
   * a writer on another connection cannot add a row between the two reads. For checking that each
   * feedback produced one row and one link (the bench); it reads ids only, not the texts.
   */
  feedbackLinksAfter(afterId: number): Awaitable<FeedbackLinks>;
  countReviews(): Awaitable<number>;
  /**
   * Sets the verdict of the given rows, in one transaction, recording each real change in
   * verdict_changes (rows that already have it, or do not exist, are left alone; a row whose
   * sentiment is not 0 or 1 cannot be accepted). Returns the ids whose verdict changed.
   */
  changeVerdicts(reviewIds: readonly number[], verdict: Verdict, reason: string, at?: string): Awaitable<number[]>;
  /** Ids of every row the client sent, oldest first. */
  reviewIdsOfClient(client: string): Awaitable<number[]>;
  /** Verdict changes after the one with id `afterId`, in order. */
  verdictChangesAfter(afterId: number): Awaitable<VerdictChange[]>;
  /** Id of the last verdict change (0 when there is none). */
  lastVerdictChangeId(): Awaitable<number>;
  /** The lowest review_db id whose verdict changed after the change with id `afterId`, or null. */
  firstRowChangedAfter(afterId: number): Awaitable<number | null>;
  /** One log row as the operator sees it, or undefined. */
  getReview(id: number): Awaitable<FeedbackListRow | undefined>;
  /** Deletes up to `limit` unanswered predictions made before `before` (ISO-8601); returns how many. */
  deleteUnansweredPredictionsBefore(before: string, limit: number): Awaitable<number>;
  /** Deletes up to `limit` unanswered predictions beyond the newest `keep`, the oldest first; returns how many. */
  deleteUnansweredPredictionsBeyond(keep: number, limit: number): Awaitable<number>;
  /**
   * Deletes up to `limit` of the phrase budget's rows (phrase_feedback) dated before `before`
   * (ISO-8601); returns how many. The budget reads only the 24 hours before a new row.
   */
  deletePhraseFeedbackBefore(before: string, limit: number): Awaitable<number>;
  /** Gives pages freed by deletions back to the file system (SQLite); returns how many (0 where that is automatic). */
  reclaimFreePages(maxPages: number): Awaitable<number>;
  /** A small write: throws if the database cannot be written now. */
  checkWritable(): Awaitable<void>;
  /** What the operator's console reads: summaries, log pages, export, clients (src/store/sqlite/console-store.ts). */
  readonly console: ConsoleStore;
  /** The model's timeline: trained, updates, reloads, rebuilds. */
  readonly modelEvents: ModelEventLog;
  close(): Awaitable<void>;
  /**
   * Calls `listener` soon after another process appends to the log or changes a verdict
   * (PostgreSQL LISTEN/NOTIFY); absent where polling is the only way (SQLite). Returns a
   * function that stops listening.
   */
  onChange?(listener: () => void): () => void;
}
