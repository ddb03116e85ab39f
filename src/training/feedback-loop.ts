import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32, shuffleInPlace } from '../corpus/random.js';
import type { LabelledDoc } from '../corpus/types.js';
import { createLearner } from '../learner/learner.js';
import { DEFAULT_MODERATION, moderationRule } from '../moderation/index.js';
import { decodeModel, encodeModel, type LoadedModelFile } from '../model/model-file.js';
import type { ModelSpec } from '../model/presets.js';
import type { SentimentModel } from '../model/sentiment-model.js';
import type { Label } from '../model/types.js';
import { openStore } from '../store/index.js';
import type { SparseRow } from '../text/sparse-row.js';
import { trainOnFeatures } from './cross-validation.js';
import type { Folds } from './folds.js';

/** Which folds play which part: the model is trained on `train`, readers answer on `feedback`, `test` is scored. */
export interface LoopParts {
  train: number[];
  feedback: number[];
  test: number[];
}

export interface FeedbackLoopResult {
  parts: { train: number; feedback: number; test: number };
  /** Feedback rows by verdict: what moderation let the model learn from. */
  verdicts: Record<string, number>;
  /** Readers' answers: "Correct" for a right prediction, "Incorrect" for a wrong one. */
  answers: { correct: number; incorrect: number };
  /** Accuracy on the test part: trained model, after the feedback, after a restart replaying the log, and retrained on train + feedback. */
  before: number;
  after: number;
  afterRestart: number;
  retrained: number;
  /** Whether the restarted learner gives every test review the same probability, to the bit. */
  restartIdentical: boolean;
  seconds: number;
}

/**
 * The learning loop as readers drive it, on movies nothing was trained on: a model trained on the
 * `train` folds serves through the app's own Learner over a fresh SQLite log with the moderation
 * rule on; each review of the `feedback` folds is classified and answered truthfully by its own
 * reader (one client per review, as many readers would); the `test` folds are scored before, after,
 * and after a restart (a new Learner on the same model file and log, which replays it), against a
 * model retrained on train + feedback as `npm run train` would.
 */
export async function runFeedbackLoop(options: {
  docs: readonly LabelledDoc[];
  rows: readonly SparseRow[];
  folds: Folds;
  parts: LoopParts;
  spec: ModelSpec;
  seed: number;
}): Promise<FeedbackLoopResult> {
  const { docs, rows, folds, parts, spec, seed } = options;
  const started = performance.now();
  const inParts = (which: number[]): number[] => docs.flatMap((_, i) => (which.includes(folds.fold[i]) ? [i] : []));
  const [trainIdx, testIdx] = [inParts(parts.train), inParts(parts.test)];
  // Readers come in no particular order: in corpus order all negative reviews would come first,
  // a one-sided stream that tilts the model and says nothing about truthful feedback.
  const feedbackIdx = shuffleInPlace(inParts(parts.feedback), mulberry32(seed ^ 0x2f6b));
  const labels = docs.map((doc) => doc.label);
  const test = testIdx.map((i) => docs[i]);
  const trained = asModelFile(trainOnFeatures(spec, rows, labels, trainIdx, seed), trainIdx.length);

  const folder = mkdtempSync(join(tmpdir(), 'movieclassifier-feedback-loop-'));
  try {
    const dbPath = join(folder, 'reviews.sqlite');
    const verdictRule = moderationRule(DEFAULT_MODERATION);
    const store = openStore(dbPath, { verdictRule });
    const learner = await createLearner({ model: copyOf(trained), store });
    const before = accuracy((text) => learner.positiveProbability(text), test);
    const verdicts: Record<string, number> = {};
    const answers = { correct: 0, incorrect: 0 };
    for (const [n, i] of feedbackIdx.entries()) {
      const doc = docs[i];
      const prediction = await learner.predict(doc.text, { segments: false });
      const correct = (prediction.label === 'positive' ? 1 : 0) === doc.label;
      if (correct) answers.correct++;
      else answers.incorrect++;
      const outcome = await learner.feedback(prediction.predictionId, correct, {
        source: 'feedback',
        client: `reader-${n}`,
      });
      const verdict = outcome.status === 'recorded' ? outcome.verdict : outcome.status;
      verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
    }
    await learner.drain();
    const live = test.map((doc) => learner.positiveProbability(doc.text));
    await store.close();

    const reopened = openStore(dbPath, { verdictRule });
    const restarted = await createLearner({ model: copyOf(trained), store: reopened });
    const replayed = test.map((doc) => restarted.positiveProbability(doc.text));
    await restarted.drain();
    await reopened.close();

    const retrained = trainOnFeatures(spec, rows, labels, [...trainIdx, ...feedbackIdx], seed);
    return {
      parts: { train: trainIdx.length, feedback: feedbackIdx.length, test: testIdx.length },
      verdicts,
      answers,
      before,
      after: accuracyOf(live, test),
      afterRestart: accuracyOf(replayed, test),
      retrained: accuracy((text) => retrained.predict(text).positiveProbability, test),
      restartIdentical: live.every((p, k) => Object.is(p, replayed[k])),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A trained model as a model file holds it (so the Learner starts as the server would). */
function asModelFile(model: SentimentModel, documents: number): Buffer {
  return encodeModel({
    model,
    training: {
      corpus: 'feedback loop',
      documents,
      epochs: model.spec.epochs,
      heldOutDocuments: 0,
      heldOutAccuracy: null,
      seed: 0,
      trainedAt: '',
    },
    feedbackWatermark: 0,
    checkSet: [],
    checkSetSource: 'none',
  });
}

function copyOf(bytes: Buffer): LoadedModelFile {
  return decodeModel(bytes, 'feedback-loop model');
}

function accuracyOf(positive: readonly number[], docs: readonly { label: Label }[]): number {
  let correct = 0;
  positive.forEach((p, k) => (correct += (p >= 0.5 ? 1 : 0) === docs[k].label ? 1 : 0));
  return correct / docs.length;
}

function accuracy(positiveProbability: (text: string) => number, docs: readonly LabelledDoc[]): number {
  return accuracyOf(
    docs.map((doc) => positiveProbability(doc.text)),
    docs,
  );
}

/**
 * The parts of `npm run evaluate -- --feedback-loop`: of 10 folds grouped by movie, the model is
 * trained on 6, readers answer on 2 (≈5,000 IMDb reviews, in a shuffled order), and the last 2
 * are scored (≈5,000: a gain measured on fewer is mostly noise).
 */
export const LOOP_PARTS: LoopParts = { train: [0, 1, 2, 3, 4, 5], feedback: [6, 7], test: [8, 9] };
export const LOOP_FOLDS = 10;
