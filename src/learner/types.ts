import type { LoadedModelFile } from '../model/model-file.js';
import type { TextSegment } from '../model/explain.js';
import type { Contribution, Prediction } from '../model/types.js';
import type { FeedbackOutcome, Verdict } from '../store/types.js';
import type { WriteFailure } from '../store/write-gate.js';

/** Where a feedback came from: review_db.source ('feedback' for the form, 'api') and the keyed client hash. */
export interface FeedbackOrigin {
  source: string;
  client: string | null;
}

export type { TextSegment };

export interface PredictOptions {
  /** Lay the words' weights back onto the text (`segments`), for highlighting. @default true */
  segments?: boolean;
  /** Words below this share of the strongest push are laid back as plain text (`ExplainOptions.segmentFloor`). @default 0 */
  segmentFloor?: number;
  /** Who asked: the keyed hash of the client's address, stored with the prediction for the per-client bound. @default null */
  client?: string | null;
}

export interface PredictOutcome extends Prediction {
  /** Id of the prediction stored server-side; feedback refers to it. */
  predictionId: string;
  /** Top terms for this text by |weight|, strongest first (at most 10). */
  explanation: Contribution[];
  /**
   * The whole review split into segments; concatenating `text` gives the review back. Empty when
   * the caller asked for none (`{ segments: false }`).
   */
  segments: TextSegment[];
  modelVersion: string;
}

/** What the served model is and how much of the log it holds (GET /healthz, start-up log). */
export interface ModelInfo {
  /** Short id of the loaded model file plus how much of the log is applied. */
  version: string;
  preset: string;
  formatVersion: number;
  trainedAt: string;
  documents: number;
  heldOutAccuracy: number | null;
  nFeatures: number;
  /** Highest review_db id folded into the model file. */
  feedbackWatermark: number;
  /** Highest review_db id applied in memory (>= feedbackWatermark). */
  appliedThrough: number;
  /** Last verdict change the served weights reflect. */
  verdictChangesSeen: number;
  /** The checkpoint the served weights were rebuilt from after a verdict change, or null. */
  rebuiltFrom: string | null;
  /** Checksum of the model file the served weights started from (the version's first 12 characters). */
  fileChecksum: string;
  /** Rebuilds after verdict changes this process has made since it started. */
  rebuilds: number;
}

/**
 * What {@link Learner.feedback} answers: the store's outcome, and for a row it recorded, whether
 * the served model holds it now. Accepted is not enough: a fold that failed leaves it unlearned.
 */
export type FeedbackAnswer =
  | Exclude<FeedbackOutcome, { status: 'recorded' }>
  | (Extract<FeedbackOutcome, { status: 'recorded' }> & { learned: boolean });

/** The served model no longer follows the log: why, since when (ISO-8601). */
export interface LearningFailure {
  since: string;
  reason: string;
}

/** How the served model does on the check set kept in its model file. */
export interface CheckScore {
  /** Share of the check set it labels right, or null when the file has no check set. */
  accuracy: number | null;
  size: number;
}

/** How a stretch of the log was applied to a model. */
export interface FoldCounts {
  folded: number;
  skipped: number;
  /** Highest id looked at (folded or skipped); the new watermark. */
  through: number;
}

/**
 * The one mutable thing the server owns: the model as a fold over the feedback log. Made by
 * `createLearner({ model, store })` (src/learner/learner.ts).
 */
export interface Learner {
  /** Rows applied when the learner was made (the log after the model file's watermark). */
  readonly replayed: FoldCounts;
  /**
   * Classify and explain a review, and store the prediction server-side. Resolves once the
   * prediction is in the database, so its id can be shown to a reader at once: feedback on it
   * reaching any process finds it. Rejects when it could not be stored.
   */
  predict(review: string, options?: PredictOptions): Promise<PredictOutcome>;
  /**
   * Record a reader's answer on a stored prediction: the label is the prediction's if `correct`,
   * the other one if not. Appends it to the log once, with the verdict the moderation rule gives
   * it, and applies the log up to it (so an accepted row is learned before this returns).
   * Rejects with DatabaseUnavailableError when the database did not take the row in time
   * (nothing stored).
   */
  feedback(predictionId: string, correct: boolean, origin: FeedbackOrigin): Promise<FeedbackAnswer>;
  /** P(positive) for a text under the served model; stores nothing. */
  positiveProbability(review: string): number;
  /** Apply log rows written by other processes since the last look. */
  catchUp(): Promise<FoldCounts>;
  /**
   * Serve another model file's contents (a newer `npm run update`, a retrained model): replays
   * the log after that file's watermark first, then swaps in one synchronous step, so every
   * request sees the old model or the new one, whole. Refuses (ModelFileError) a file that
   * belongs to another database (see assertModelMatchesDatabase); `path` names it in the message.
   */
  reload(next: LoadedModelFile, path?: string): Promise<FoldCounts>;
  /** Why the database is not taking writes, since when; null while it does (GET /healthz): asks the database when nothing was written lately. */
  writeFailure(): Promise<WriteFailure | null>;
  /**
   * Why the served model stopped following the log (a rebuild without a usable checkpoint, a log
   * that cannot be read), since when; null while it follows it (GET /healthz).
   */
  learningFailure(): LearningFailure | null;
  /**
   * An operator's verdict on log rows: sets it (recorded as a verdict change every process
   * follows) and, when it changes what the model holds, rebuilds the served model from a
   * checkpoint before returning. Returns the ids that changed and the version now served.
   */
  changeVerdicts(
    reviewIds: readonly number[],
    verdict: Verdict,
    reason: string,
  ): Promise<{ changed: number[]; modelVersion: string }>;
  modelInfo(): ModelInfo;
  /** The served model's accuracy on its file's check set; computed once per model version (~80 ms for 1,000 reviews). */
  checkScore(): CheckScore;
  /** Resolves once every prediction accepted so far is written (or has failed). */
  drain(): Promise<void>;
}
