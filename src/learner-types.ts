import type { TextSegment } from './model/explain.js';
import type { Contribution, Prediction } from './model/types.js';
import type { FeedbackOutcome } from './store/types.js';

/** A stretch of the review text as the reader typed it, with how much it pushed the decision. */
export type { TextSegment };

export interface PredictOutcome extends Prediction {
  /** Id of the prediction stored server-side; feedback refers to it. */
  predictionId: string;
  /** Top terms for this text by |weight|, strongest first (at most 10). */
  explanation: Contribution[];
  /** The whole review split into segments; concatenating `text` gives the review back. */
  segments: TextSegment[];
  modelVersion: string;
}

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
}

/**
 * The one mutable thing the server owns: the model as a fold over the feedback log.
 * Implemented in src/learner.ts (`createLearner({ model, store })`).
 */
export interface Learner {
  /**
   * Classify, store the prediction server-side, and return it with its explanation. Resolves once
   * the prediction is in the database, so its id can be shown to a reader at once.
   */
  predict(review: string): Promise<PredictOutcome>;
  /**
   * Record the reader's verdict on a stored prediction: derives the label (the prediction if
   * correct, the other one if not), appends it to review_db once, and applies the log up to it.
   */
  feedback(predictionId: string, correct: boolean, source: string): FeedbackOutcome;
  /** P(positive) for a text, without storing anything (used by tests and /healthz probes). */
  positiveProbability(review: string): number;
  /** Apply review_db rows added by other processes; returns how many were applied. */
  catchUp(): number;
  modelInfo(): ModelInfo;
}

