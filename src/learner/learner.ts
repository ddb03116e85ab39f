import { randomUUID } from 'node:crypto';
import { explain } from '../model/explain.js';
import type { LoadedModelFile } from '../model/model-file.js';
import type { Label } from '../model/types.js';
import { createPredictionBatcher, type PredictionBatcher } from '../store/prediction-batcher.js';
import type { Store, Verdict } from '../store/types.js';
import { NO_CHECKPOINTS, type Checkpoints } from './checkpoints.js';
import { advance, fromModelFile, type ModelAtLog } from './log-position.js';
import type { CheckScore, FoldCounts, Learner, ModelInfo, PredictOutcome } from './types.js';
import { checkAccuracy } from './update-model-file.js';

export interface LearnerOptions {
  /** The model file's contents to start from; the learner owns it from here on and mutates it. */
  model: LoadedModelFile;
  store: Store;
  /**
   * Kept model files to rebuild from when a verdict changes on a row the model holds.
   * @default none: such a change then throws, saying what is missing (fine for read-only replays)
   */
  checkpoints?: Checkpoints;
  /** Writes predictions in group commits. @default createPredictionBatcher(store) */
  predictions?: PredictionBatcher;
}

/**
 * The model as a fold over the feedback log: starts from a model file's weights, applies every
 * accepted review_db row after the file's watermark, and applies each new row — its own or
 * another process's — strictly in id order. A verdict changed on a row it already holds
 * (an operator's reject, update's check) makes it rebuild from a checkpoint without that row.
 *
 * @example
 *   const learner = createLearner({ model: readModelFile('data/model.bin'), store, checkpoints });
 *   const { predictionId, label } = await learner.predict('A wonderful, moving film.');
 *   learner.feedback(predictionId, true, { source: 'api', client: null }); // -> { status: 'recorded', verdict: 'accepted', ... }
 */
export function createLearner({
  model,
  store,
  checkpoints = NO_CHECKPOINTS,
  predictions = createPredictionBatcher(store),
}: LearnerOptions): Learner {
  let state: ModelAtLog = fromModelFile(model);
  let rebuilds = 0;
  let scored: { version: string; score: CheckScore } | undefined;
  const advanceTo = (upTo?: number): FoldCounts => {
    const next = advance(state, store, checkpoints, upTo);
    // advance() swaps in another model file only when it rebuilds from a checkpoint.
    if (next.state.model !== state.model) rebuilds++;
    state = next.state;
    return next.counts;
  };
  const replayed = advanceTo();
  const fileId = (): string => state.model.header.checksum.slice(0, 12);
  const version = (): string => `${fileId()}+${state.appliedThrough}.${state.verdictChangesSeen}`;

  return {
    replayed,

    async predict(review: string): Promise<PredictOutcome> {
      const { prediction, contributions, segments } = explain(state.model.model, review);
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

    feedback(predictionId, correct, { source, client }) {
      const prediction = store.getPrediction(predictionId);
      if (prediction === undefined) return { status: 'unknown' };
      const sentiment: Label = correct ? prediction.sentiment : prediction.sentiment === 1 ? 0 : 1;
      const outcome = store.recordFeedback(predictionId, sentiment, source, { client });
      if (outcome.status === 'recorded') advanceTo(outcome.reviewId);
      return outcome;
    },

    positiveProbability(review: string): number {
      return state.model.model.predict(review).positiveProbability;
    },

    catchUp: () => advanceTo(),

    reload(next: LoadedModelFile): FoldCounts {
      const moved = advance(fromModelFile(next), store, checkpoints);
      state = moved.state;
      return moved.counts;
    },

    changeVerdicts(reviewIds: readonly number[], verdict: Verdict, reason: string) {
      const changed = store.changeVerdicts(reviewIds, verdict, reason);
      advanceTo();
      return { changed, modelVersion: version() };
    },

    modelInfo(): ModelInfo {
      const { header } = state.model;
      return {
        version: version(),
        preset: header.spec.preset,
        formatVersion: header.formatVersion,
        trainedAt: header.training.trainedAt,
        documents: header.training.documents,
        heldOutAccuracy: header.training.heldOutAccuracy,
        nFeatures: header.spec.features.nFeatures,
        feedbackWatermark: header.feedbackWatermark,
        appliedThrough: state.appliedThrough,
        verdictChangesSeen: state.verdictChangesSeen,
        rebuiltFrom: state.rebuiltFrom,
        fileChecksum: header.checksum,
        rebuilds,
      };
    },

    checkScore(): CheckScore {
      const current = version();
      if (scored?.version !== current) {
        const { checkSet } = state.model;
        scored = { version: current, score: { accuracy: checkAccuracy(state.model.model, checkSet), size: checkSet.length } };
      }
      return scored.score;
    },

    drain: () => predictions.drain(),
  };
}
