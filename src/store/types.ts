import type { Label } from '../model/types.js';

/** A prediction shown to a reader; feedback refers to it by id so labels cannot be forged. */
export interface StoredPrediction {
  /** Random UUID (crypto.randomUUID()). */
  id: string;
  review: string;
  label: Label;
  /** Probability of `label`, in [0.5, 1]. */
  probability: number;
  /** Identifies the model that made it (checksum prefix of the model file + watermark). */
  modelVersion: string;
  /** ISO-8601 time. */
  createdAt: string;
  /** review_db id of the feedback given on it, or null while none was given. */
  feedbackReviewId: number | null;
}

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
  sentiment: Label;
  /** ISO-8601 time (classic rows keep whatever text they had; '' when they had NULL). */
  date: string;
  predictionId: string | null;
  /** 'feedback' | 'api' | 'classic-import' | ... */
  source: string;
  /** Id of the first earlier row with the same text and sentiment, or null: the fold skips repeats. */
  duplicateOf: number | null;
}

/** The review_db rows after some id, with the links the predictions hold to them, read in one snapshot. */
export interface FeedbackLinks {
  /** Rows with id > afterId, in id order: the id and the prediction the row answers (null when none). */
  rows: { id: number; predictionId: string | null }[];
  /** Predictions whose feedback is one of those rows; equals rows.length when every row came from feedback. */
  linkedPredictions: number;
}

export type FeedbackOutcome =
  | { status: 'recorded'; reviewId: number; sentiment: Label }
  | { status: 'duplicate'; reviewId: number; sentiment: Label }
  | { status: 'unknown' };

export interface Store {
  readonly path: string;
  /**
   * Stores a prediction. Written to SQLite with the other predictions of the same event-loop
   * turn, in one transaction, right after the turn (or at `flush()`, `recordFeedback`, `close`);
   * `getPrediction` sees it at once, other connections once `stored()` resolves.
   */
  insertPrediction(prediction: Omit<StoredPrediction, 'feedbackReviewId'>): void;
  getPrediction(id: string): StoredPrediction | undefined;
  /** Writes the predictions still queued, now. */
  flush(): void;
  /** Resolves once every prediction inserted so far is in SQLite (at once when none is queued). */
  stored(): Promise<void>;
  /**
   * In one transaction: unknown prediction -> 'unknown'; feedback already given -> 'duplicate'
   * (nothing written); else insert the review_db row (review text from the stored prediction,
   * the given sentiment, date, prediction id, source) and link the prediction to it.
   */
  recordFeedback(predictionId: string, sentiment: Label, source: string, date?: string): FeedbackOutcome;
  /** Append a labelled review that did not come from a prediction (imports, tests). Returns its id. */
  insertReview(review: string, sentiment: Label, source: string, date?: string): number;
  /**
   * review_db rows with id > afterId (and <= upTo when given), in id order, streamed with .iterate().
   * While the iterator is open the same Store can read but not write (the connection is busy):
   * finish or break out of the loop before recording anything.
   */
  reviewsAfter(afterId: number, upTo?: number): IterableIterator<ReviewRow>;
  maxReviewId(): number;
  /**
   * The rows after `afterId` and how many predictions link to them, in one read transaction, so
   * a writer on another connection cannot add a row between the two reads. For checking that each
   * feedback produced one row and one link (the bench); it reads ids only, not the texts.
   */
  feedbackLinksAfter(afterId: number): FeedbackLinks;
  countReviews(): number;
  close(): void;
}
