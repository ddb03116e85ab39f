import { randomUUID } from 'node:crypto';
import type { Learner, ModelFacts, PredictOutcome } from './learner-types.js';
import { explain } from './model/explain.js';
import type { LoadedModelFile } from './model/model-file.js';
import type { Label } from './model/types.js';
import type { FeedbackOutcome, ReviewRow, Store } from './store/types.js';

export type { Learner } from './learner-types.js';

/** Reviews shorter than this (trimmed) are not learned from: the form refuses them too. */
export const MIN_REVIEW_LENGTH = 15;

/**
 * Why a log row is not folded into the model, or null when it is. A rule of the log alone, so
 * every process, a restart and `npm run update` skip the same rows.
 */
export function foldRefusal(row: Pick<ReviewRow, 'review' | 'sentiment' | 'duplicateOf'>): string | null {
  if (row.sentiment !== 0 && row.sentiment !== 1) return 'sentiment is not 0 or 1';
  if (typeof row.review !== 'string' || row.review.trim().length < MIN_REVIEW_LENGTH) return 'text too short';
  if (row.duplicateOf !== null) return `repeats row ${row.duplicateOf}`;
  return null;
}

export interface FoldCounts {
  folded: number;
  skipped: number;
  /** Highest id looked at (folded or skipped); the new watermark. */
  through: number;
}

/**
 * Applies review_db rows after `afterId` (up to `upTo`), in id order, to the model: the fold
 * that the server, a restart and `npm run update` all share, so they all end at the same model.
 */
export function foldLog(bundle: LoadedModelFile, store: Store, afterId: number, upTo?: number): FoldCounts {
  const counts: FoldCounts = { folded: 0, skipped: 0, through: afterId };
  for (const row of store.reviewsAfter(afterId, upTo)) {
    if (foldRefusal(row) === null) {
      bundle.model.learn(row.review, row.sentiment as Label);
      counts.folded++;
    } else {
      counts.skipped++;
    }
    counts.through = row.id;
  }
  return counts;
}

export interface LearnerOptions {
  bundle: LoadedModelFile;
  store: Store;
}

export interface ServerLearner extends Learner {
  /** Rows applied at start-up (after the file's watermark). */
  readonly replayed: FoldCounts;
  /**
   * Swaps to another model file's contents (a newer `npm run update`, a retrained model): replays
   * the log after that file's watermark first, then swaps in one synchronous step, so every
   * request sees the old model or the new one, whole.
   */
  reload(next: LoadedModelFile): FoldCounts;
}

/**
 * The model as a fold over the feedback log: starts from a model file's weights, applies every
 * review_db row after the file's watermark, and applies each new feedback row — its own or
 * another process's — strictly in id order.
 */
export function createLearner({ bundle, store }: LearnerOptions): ServerLearner {
  let current = bundle;
  let appliedThrough = bundle.header.feedbackWatermark;
  let fileId = bundle.header.checksum.slice(0, 12);

  const catchUp = (upTo?: number): FoldCounts => {
    const counts = foldLog(current, store, appliedThrough, upTo);
    appliedThrough = counts.through;
    return counts;
  };
  const replayed = catchUp();
  const version = (): string => `${fileId}+${appliedThrough}`;

  return {
    replayed,
    reload(next: LoadedModelFile): FoldCounts {
      const counts = foldLog(next, store, next.header.feedbackWatermark);
      current = next;
      appliedThrough = counts.through;
      fileId = next.header.checksum.slice(0, 12);
      return counts;
    },
    predict(review: string): PredictOutcome {
      const { prediction, contributions, segments } = explain(current.model, review);
      const predictionId = randomUUID();
      const modelVersion = version();
      store.insertPrediction({
        id: predictionId,
        review,
        label: prediction.label === 'positive' ? 1 : 0,
        probability: prediction.probability,
        modelVersion,
        createdAt: new Date().toISOString(),
      });
      return { ...prediction, predictionId, explanation: contributions, segments, modelVersion };
    },

    stored(): Promise<void> {
      return store.stored();
    },

    feedback(predictionId: string, correct: boolean, source: 'form' | 'api'): FeedbackOutcome {
      const prediction = store.getPrediction(predictionId);
      if (prediction === undefined) return { status: 'unknown' };
      const sentiment: Label = correct ? prediction.label : prediction.label === 1 ? 0 : 1;
      const outcome = store.recordFeedback(predictionId, sentiment, source === 'form' ? 'feedback' : 'api');
      if (outcome.status === 'recorded') catchUp(outcome.reviewId);
      return outcome;
    },

    positiveProbability(review: string): number {
      return current.model.predict(review).positiveProbability;
    },

    catchUp(): number {
      return catchUp().folded;
    },

    facts(): ModelFacts {
      const { header } = current;
      return {
        version: version(),
        preset: header.spec.preset,
        formatVersion: header.formatVersion,
        trainedAt: header.training.trainedAt,
        documents: header.training.documents,
        heldOutAccuracy: header.training.heldOutAccuracy,
        nFeatures: header.spec.features.nFeatures,
        feedbackWatermark: header.feedbackWatermark,
        appliedThrough,
      };
    },
  };
}
