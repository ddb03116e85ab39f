import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import {
  createLearner,
  followChanges,
  openCheckpoints,
  updateModelFile,
  type ChangeLog,
} from '../../src/learner/index.js';
import { NO_CHECKPOINTS } from '../../src/learner/checkpoints.js';
import { readModelFile } from '../../src/model/model-file.js';
import { DEFAULT_MODERATION, moderationRule } from '../../src/moderation/index.js';
import { phrasesOf } from '../../src/moderation/fingerprint.js';
import { LEAN_PUSH_WEIGHT } from '../../src/store/rows.js';
import { openStore, type LogStore } from '../../src/store/index.js';
import { feedbackReview, PROBE_TEXTS } from '../helpers/probes.js';
import { checkpointsBeside, makeServerFolder, waitFor } from '../helpers/server-process.js';
import { logRows } from '../helpers/stores.js';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A model file and a database file in a fresh folder, and a store on it that afterEach closes. */
function folder(): { modelPath: string; dbPath: string; open: () => LogStore } {
  const paths = makeServerFolder('learner');
  cleanups.push(paths.remove);
  return {
    ...paths,
    open: () => {
      const store = openStore(paths.dbPath);
      cleanups.push(() => store.close());
      return store;
    },
  };
}

/** phrase_feedback's push by phrase, read through a connection of its own. */
function inspectPhrases(dbPath: string): Map<number, number> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db.prepare('SELECT phrase, push FROM phrase_feedback').all() as { phrase: number; push: number }[];
    return new Map(rows.map((row) => [row.phrase, row.push]));
  } finally {
    db.close();
  }
}

const probabilities = (learner: { positiveProbability(text: string): number }): number[] =>
  PROBE_TEXTS.map((text) => learner.positiveProbability(text));

/** A log that keeps what it is told, for asserting on what the follower reported. */
function memoryLog(): ChangeLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (_d, m) => lines.push(`info ${m}`),
    error: (_d, m) => lines.push(`error ${m}`),
    debug: (_d, m) => lines.push(`debug ${m}`),
  };
}

describe('createLearner', () => {
  it('resolves predict() only once another connection can find the prediction', async () => {
    // Arrange
    const { modelPath, open } = folder();
    const learner = await createLearner({ model: readModelFile(modelPath), store: open() });
    const other = open();

    // Act
    const outcome = await learner.predict(PROBE_TEXTS[0]);

    // Assert
    expect(await other.getPrediction(outcome.predictionId)).toMatchObject({
      id: outcome.predictionId,
      review: PROBE_TEXTS[0],
      sentiment: outcome.label === 'positive' ? 1 : 0,
      modelVersion: outcome.modelVersion,
    });
  });

  it('stores feedback under the source the caller names', async () => {
    // Arrange
    const { modelPath, open } = folder();
    const store = open();
    const learner = await createLearner({ model: readModelFile(modelPath), store });
    const { predictionId } = await learner.predict(feedbackReview(0));

    // Act
    const outcome = await learner.feedback(predictionId, true, { source: 'feedback', client: null });

    // Assert
    expect(outcome).toMatchObject({ status: 'recorded', reviewId: 1 });
    expect((await logRows(store)).map((row) => row.source)).toEqual(['feedback']);
  });

  it("hands the store each phrase's counted lean: the phrase budget records a confirmation against it by more than its prediction's push", async () => {
    // Arrange: a sentence the counts read positive, in a text the model reads negative.
    const { modelPath, dbPath } = folder();
    const store = openStore(dbPath, { verdictRule: moderationRule(DEFAULT_MODERATION) });
    cleanups.push(() => store.close());
    const learner = await createLearner({ model: readModelFile(modelPath), store });
    const counts = readModelFile(modelPath).model; // the learner's model before it learns the answer
    const text = 'I really loved it, they said. Awful, boring, terrible, a waste, the worst, dull and poor.';
    const { predictionId, label, probability } = await learner.predict(text);
    expect(label).toBe('negative');

    // Act: "Correct".
    await learner.feedback(predictionId, true, { source: 'api', client: 'aaaaaaaaaaaaaaaa' });

    // Assert: each phrase's push is the larger of the prediction's (1 - probability) and a share
    // of how far the negative answer goes against the phrase's counted lean.
    const recorded = inspectPhrases(dbPath);
    const expected = phrasesOf(text).map(({ key, words }) => [
      key,
      Math.max(1 - probability, LEAN_PUSH_WEIGHT * counts.countLean(words)!),
    ]);
    expect(recorded.size).toBe(expected.length);
    for (const [key, push] of expected) expect(recorded.get(key)).toBeCloseTo(push, 6);
    const reallyLovedIt = expected.find(([key]) => key === phrasesOf('really loved it')[0].key)!;
    expect(reallyLovedIt[1]).toBeGreaterThan(1 - probability);
  });

  it('catches up with feedback another process wrote, ending at exactly its model', async () => {
    // Arrange: two learners on one database file, as two workers would be.
    const { modelPath, open } = folder();
    const first = await createLearner({ model: readModelFile(modelPath), store: open() });
    const second = await createLearner({ model: readModelFile(modelPath), store: open() });
    const before = probabilities(second);

    // Act
    for (let k = 0; k < 6; k++) {
      const { predictionId } = await first.predict(feedbackReview(k));
      expect((await first.feedback(predictionId, k % 3 !== 0, { source: 'api', client: null })).status).toBe(
        'recorded',
      );
    }
    const counts = await second.catchUp();

    // Assert
    expect(counts).toEqual({ folded: 6, skipped: 0, through: 6 });
    expect(probabilities(second)).toEqual(probabilities(first));
    expect(probabilities(second)).not.toEqual(before);
    expect(second.modelInfo()).toMatchObject({ appliedThrough: 6, feedbackWatermark: 0 });
    expect(await second.catchUp()).toEqual({ folded: 0, skipped: 0, through: 6 });
  });

  it('reloads an updated model file without changing a single probability, then learns on from it', async () => {
    // Arrange
    const { modelPath, open } = folder();
    const store = open();
    const learner = await createLearner({ model: readModelFile(modelPath), store });
    for (let k = 0; k < 4; k++) {
      const { predictionId } = await learner.predict(feedbackReview(k));
      await learner.feedback(predictionId, k % 2 === 0, { source: 'api', client: null });
    }
    const before = probabilities(learner);
    await updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath });

    // Act
    const counts = await learner.reload(readModelFile(modelPath));

    // Assert: the new file already holds the 4 rows, so nothing is replayed and nothing moves.
    expect(counts).toEqual({ folded: 0, skipped: 0, through: 4 });
    expect(probabilities(learner)).toEqual(before);
    expect(learner.modelInfo()).toMatchObject({ feedbackWatermark: 4, appliedThrough: 4 });
    const { predictionId } = await learner.predict(feedbackReview(9));
    await learner.feedback(predictionId, false, { source: 'api', client: null });
    const fresh = await createLearner({ model: readModelFile(modelPath), store: open() });
    expect(probabilities(learner)).toEqual(probabilities(fresh));
  });
});

describe('followChanges', () => {
  it('applies other processes’ rows on its poll and swaps in a rewritten model file', async () => {
    // Arrange
    const { modelPath, open } = folder();
    const writerStore = open();
    const writer = await createLearner({ model: readModelFile(modelPath), store: writerStore });
    const follower = await createLearner({ model: readModelFile(modelPath), store: open() });
    const log = memoryLog();
    const following = followChanges({
      learner: follower,
      checkpoints: openCheckpoints(`${modelPath}.checkpoints`),
      modelPath,
      pollMs: 20,
      log,
    });
    cleanups.push(following.stop);

    // Act 1: another process's feedback.
    const { predictionId } = await writer.predict(feedbackReview(1));
    await writer.feedback(predictionId, false, { source: 'api', client: null });
    await waitFor('the follower to apply row 1', () => follower.modelInfo().appliedThrough === 1, 2000);

    // Act 2: npm run update rewrites the file.
    await updateModelFile({ store: writerStore, checkpoints: checkpointsBeside(modelPath), modelPath });
    await waitFor('the follower to load the new file', () => follower.modelInfo().feedbackWatermark === 1, 2000);

    // Assert
    expect(probabilities(follower)).toEqual(probabilities(writer));
    expect(log.lines.some((line) => line.startsWith('info reloaded model'))).toBe(true);
  });

  it('keeps the current model and logs why when the file is not a model', async () => {
    // Arrange
    const { modelPath, open } = folder();
    const learner = await createLearner({ model: readModelFile(modelPath), store: open() });
    const version = learner.modelInfo().version;
    const log = memoryLog();
    const following = followChanges({
      learner,
      checkpoints: NO_CHECKPOINTS,
      modelPath: `${modelPath}.missing`,
      pollMs: 1000,
      log,
    });
    cleanups.push(following.stop);

    // Act
    await following.reloadModelFile('SIGHUP');

    // Assert
    expect(learner.modelInfo().version).toBe(version);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(/^error kept the current model: .*model\.bin\.missing/);
  });
});
