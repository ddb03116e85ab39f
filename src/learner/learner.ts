import { randomUUID } from 'node:crypto';
import { explain } from '../model/explain.js';
import type { ModelBundle } from '../model/model-file.js';
import type { Label } from '../model/types.js';
import { createPredictionBatcher, type PredictionBatcher } from '../store/prediction-batcher.js';
import type { Store } from '../store/types.js';
import { createWriteGate, type WriteGate } from '../store/write-gate.js';
import { foldLog } from './fold.js';
import { assertModelMatchesDatabase } from './model-database-match.js';
import type { FoldCounts, Learner, ModelInfo, PredictOutcome } from './types.js';

export interface LearnerOptions {
  /** The model file's contents to start from; the learner owns it from here on and mutates it. */
  model: ModelBundle;
  store: Store;
  /** Where the model came from, for messages. @default 'the model file' */
  modelPath?: string;
  /** Every write to the store goes through it (waits for a locked or failing database without blocking). @default createWriteGate() */
  writes?: WriteGate;
  /** Writes predictions in group commits. @default createPredictionBatcher(store, { gate: writes }) */
  predictions?: PredictionBatcher;
}

/**
 * The model as a fold over the feedback log: starts from a model file's weights, applies every
 * review_db row after the file's watermark, and applies each new feedback row — its own or
 * another process's — strictly in id order.
 *
 * @example
 *   const learner = createLearner({ model: readModelFile('data/model.bin'), store: openStore(':memory:') });
 *   const { predictionId, label } = await learner.predict('A wonderful, moving film.');
 *   await learner.feedback(predictionId, true, 'api'); // -> { status: 'recorded', reviewId: 1, sentiment: 1, ... }
 */
export function createLearner({
  model,
  store,
  modelPath = 'the model file',
  writes = createWriteGate(),
  predictions = createPredictionBatcher(store, { gate: writes }),
}: LearnerOptions): Learner {
  assertModelMatchesDatabase(model.header, modelPath, store);
  let current = model;
  let appliedThrough = model.header.feedbackWatermark;
  let fileId = model.header.checksum.slice(0, 12);

  const catchUp = (upTo?: number): FoldCounts => {
    const counts = foldLog(current, store, appliedThrough, upTo);
    appliedThrough = counts.through;
    return counts;
  };
  const replayed = catchUp();
  const version = (): string => `${fileId}+${appliedThrough}`;

  return {
    replayed,

    async predict(review: string): Promise<PredictOutcome> {
      const { prediction, contributions, segments } = explain(current.model, review);
      const predictionId = randomUUID();
      const modelVersion = version();
      await predictions.enqueue({
        id: predictionId,
        review,
        sentiment: prediction.label === 'positive' ? 1 : 0,
        probability: prediction.probability,
        modelVersion,
        createdAt: new Date().toISOString(),
      });
      return { ...prediction, predictionId, explanation: contributions, segments, modelVersion };
    },

    async feedback(predictionId: string, correct: boolean, source: string) {
      const prediction = store.getPrediction(predictionId);
      if (prediction === undefined) return { status: 'unknown' };
      const sentiment: Label = correct ? prediction.sentiment : prediction.sentiment === 1 ? 0 : 1;
      const outcome = await writes.run(() => store.recordFeedback(predictionId, sentiment, source));
      if (outcome.status === 'recorded') catchUp(outcome.reviewId);
      return outcome;
    },

    positiveProbability(review: string): number {
      return current.model.positiveProbability(review);
    },

    catchUp: () => catchUp(),

    reload(next: ModelBundle, nextPath = modelPath): FoldCounts {
      assertModelMatchesDatabase(next.header, nextPath, store);
      const counts = foldLog(next, store, next.header.feedbackWatermark);
      current = next;
      appliedThrough = counts.through;
      fileId = next.header.checksum.slice(0, 12);
      return counts;
    },

    modelInfo(): ModelInfo {
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

    writeFailure: () => writes.failure(),

    async drain() {
      await predictions.drain();
      await writes.drain();
    },
  };
}
