import { predictionId } from './prediction-id.js';
import { explain } from '../model/explain.js';
import { phraseLeans } from '../moderation/phrase-leans.js';
import type { LoadedModelFile } from '../model/model-file.js';
import type { Label } from '../model/types.js';
import { createPredictionBatcher, type PredictionBatcher } from '../store/prediction-batcher.js';
import type { LogStore, Verdict } from '../store/types.js';
import { createWriteGate, type WriteGate } from '../store/write-gate.js';
import { NO_CHECKPOINTS, type Checkpoints } from './checkpoints.js';
import { assertModelMatchesDatabase } from './model-database-match.js';
import { advance, fromModelFile, type ModelAtLog } from './log-position.js';
import { assertRebuildable } from './rebuild-check.js';
import type {
  CheckScore,
  FoldCounts,
  Learner,
  LearningFailure,
  ModelInfo,
  PredictOptions,
  PredictOutcome,
} from './types.js';
import { checkAccuracy } from './update-model-file.js';

export interface LearnerOptions {
  /** The model file's contents to start from; the learner owns it from here on and mutates it. */
  model: LoadedModelFile;
  store: LogStore;
  /**
   * Kept model files to rebuild from when a verdict changes on a row the model holds.
   * @default none: such a change then throws, saying what is missing (fine for read-only replays)
   */
  checkpoints?: Checkpoints;
  /** Where the model came from, for messages. @default 'the model file' */
  modelPath?: string;
  /** Every write to the store goes through it (waits for a locked or failing database without blocking). @default createWriteGate() */
  writes?: WriteGate;
  /** Writes predictions in group commits. @default createPredictionBatcher(store, { gate: writes }) */
  predictions?: PredictionBatcher;
}

/**
 * The model as a fold over the feedback log: starts from a model file's weights, applies every
 * accepted review_db row after the file's watermark, and applies each new row — its own or
 * another process's — strictly in id order. A verdict changed on a row it already holds
 * (an operator's reject, update's check) makes it rebuild from a checkpoint without that row.
 *
 * Everything that moves the model (feedback, catching up, reloading, verdict changes) runs one
 * at a time, in arrival order: with a store that answers later (PostgreSQL), two of them must not
 * both read the rows after the same watermark and apply them twice. Predictions read the model
 * in between: it is swapped whole.
 *
 * @example
 *   const learner = await createLearner({ model: readModelFile('data/model.bin'), store, checkpoints });
 *   const { predictionId, label } = await learner.predict('A wonderful, moving film.');
 *   await learner.feedback(predictionId, true, { source: 'api', client: null }); // -> { status: 'recorded', verdict: 'accepted', ... }
 */
export async function createLearner({
  model,
  store,
  checkpoints = NO_CHECKPOINTS,
  modelPath = 'the model file',
  writes = createWriteGate(),
  predictions = createPredictionBatcher(store, { gate: writes }),
}: LearnerOptions): Promise<Learner> {
  await assertModelMatchesDatabase(model.header, modelPath, store);
  let state: ModelAtLog = fromModelFile(model);
  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `step` after every step queued before it; a failed step does not stop the next. */
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const result = queue.then(step, step);
    queue = result.catch(() => undefined);
    return result;
  };
  let rebuilds = 0;
  let scored: { version: string; score: CheckScore } | undefined;
  /** Why the log is not being folded, since when; null while it is (GET /healthz turns 503). */
  let foldFailure: LearningFailure | null = null;
  const advanceTo = async (upTo?: number): Promise<FoldCounts> => {
    try {
      const next = await advance(state, store, checkpoints, upTo);
      // advance() swaps in another model file only when it rebuilds from a checkpoint.
      if (next.state.model !== state.model) rebuilds++;
      state = next.state;
      foldFailure = null;
      return next.counts;
    } catch (error) {
      foldFailure = { since: foldFailure?.since ?? new Date().toISOString(), reason: (error as Error).message };
      throw error;
    }
  };
  const replayed = await serially(() => advanceTo());
  /** A look at the log that is queued and not started yet: whoever asks now shares it. */
  let queuedLook: Promise<FoldCounts> | null = null;
  /**
   * Brings the model to the end of the log. Other instances announce every row they write
   * (NOTIFY), and every feedback waits for its row: one look per row would queue hundreds of
   * looks a second, each a few round trips, one after another. A look that has not started yet
   * reads every row committed before it starts, so callers share it; a call made while a look
   * runs queues the next one, since the running look may have read the log before the new row.
   */
  const lookAtLog = (): Promise<FoldCounts> => {
    queuedLook ??= serially(() => {
      queuedLook = null;
      return advanceTo();
    });
    return queuedLook;
  };
  const fileId = (): string => state.model.header.checksum.slice(0, 12);
  const version = (): string => `${fileId()}+${state.appliedThrough}.${state.verdictChangesSeen}`;

  return {
    replayed,

    async predict(
      review: string,
      { segments: withSegments = true, segmentFloor = 0, client = null }: PredictOptions = {},
    ): Promise<PredictOutcome> {
      const { prediction, contributions, segments } = explain(state.model.model, review, {
        segments: withSegments,
        segmentFloor,
      });
      const id = predictionId();
      const modelVersion = version();
      await predictions.enqueue({
        id,
        review,
        sentiment: prediction.label === 'positive' ? 1 : 0,
        probability: prediction.probability,
        modelVersion,
        createdAt: new Date().toISOString(),
        client,
      });
      return { ...prediction, predictionId: id, explanation: contributions, segments, modelVersion };
    },

    async feedback(predictionId, correct, { source, client }) {
      const prediction = await store.getPrediction(predictionId);
      if (prediction === undefined) return { status: 'unknown' };
      const sentiment: Label = correct ? prediction.sentiment : prediction.sentiment === 1 ? 0 : 1;
      const { model } = state.model;
      const leans = phraseLeans(prediction.review, (words) => model.countLean(words)) ?? undefined;
      const outcome = await writes.run(() =>
        store.recordFeedback(predictionId, sentiment, source, { client, prediction, phraseLeans: leans }),
      );
      // The row is stored from here on: a failure to apply it now (the database went away between
      // the two) must not tell the reader it was not stored. The next look at the log applies it.
      // GET /healthz says so meanwhile (foldFailure), and the answer does not claim it was learned.
      if (outcome.status !== 'recorded') return outcome;
      if (state.appliedThrough < outcome.reviewId) await lookAtLog().catch(() => undefined);
      return { ...outcome, learned: outcome.verdict === 'accepted' && state.appliedThrough >= outcome.reviewId };
    },

    positiveProbability(review: string): number {
      return state.model.model.predict(review).positiveProbability;
    },

    catchUp: lookAtLog,

    reload: (next: LoadedModelFile, nextPath = modelPath) =>
      serially(async () => {
        await assertModelMatchesDatabase(next.header, nextPath, store);
        const moved = await advance(fromModelFile(next), store, checkpoints);
        state = moved.state;
        foldFailure = null;
        return moved.counts;
      }),

    changeVerdicts: (reviewIds: readonly number[], verdict: Verdict, reason: string) =>
      serially(async () => {
        await assertRebuildable(state, store, checkpoints, reviewIds, verdict);
        const changed = await writes.run(() => store.changeVerdicts(reviewIds, verdict, reason));
        await advanceTo();
        return { changed, modelVersion: version() };
      }),

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
        scored = {
          version: current,
          score: { accuracy: checkAccuracy(state.model.model, checkSet), size: checkSet.length },
        };
      }
      return scored.score;
    },

    writeFailure: () => writes.check(),

    learningFailure: () => foldFailure,

    async drain() {
      await predictions.drain();
      await writes.drain();
    },
  };
}
