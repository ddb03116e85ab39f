import { isLabel, type Label } from '../../src/model/types.js';
import { afterEach, describe, expect, it } from 'vitest';

import { createLearner, openCheckpoints, updateModelFile, type Learner } from '../../src/learner/index.js';
import { DEFAULT_MODERATION, moderationRule } from '../../src/moderation/index.js';
import { decodeModel, readModelFile, readModelFileBytes } from '../../src/model/model-file.js';
import { openStore, type LogStore } from '../../src/store/index.js';
import { feedbackReview, PROBE_TEXTS } from '../helpers/probes.js';
import { makeServerFolder } from '../helpers/server-process.js';

/** A row this app wrote, whose label is 0 or 1 (the store types it unknown: classic rows may hold anything). */
function labelOf(sentiment: unknown): Label {
  if (!isLabel(sentiment)) throw new Error(`expected a 0/1 label, got ${JSON.stringify(sentiment)}`);
  return sentiment;
}

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const NO_CLIENT_LIMITS = { ...DEFAULT_MODERATION, clientRowsPerDay: 0, clientCorrectionsPerDay: 0 };

/** A model file with its checkpoint kept, a database, and learners on it as servers make them. */
function world() {
  const paths = makeServerFolder('undo');
  cleanups.push(paths.remove);
  const checkpoints = openCheckpoints(`${paths.dir}/checkpoints`);
  const bytes = readModelFileBytes(paths.modelPath);
  // void: a checkpoint folder keeps synchronously (keep() is Awaitable only for the database's checkpoints).
  void checkpoints.keep(bytes, decodeModel(bytes, paths.modelPath).header);
  const open = (): LogStore => {
    const store = openStore(paths.dbPath, { verdictRule: moderationRule(NO_CLIENT_LIMITS) });
    cleanups.push(() => store.close());
    return store;
  };
  const learner = (store = open()): Promise<Learner> =>
    createLearner({ model: readModelFile(paths.modelPath), store, checkpoints });
  return { ...paths, checkpoints, open, learner };
}

const probabilities = (learner: Pick<Learner, 'positiveProbability'>): number[] =>
  PROBE_TEXTS.map((text) => learner.positiveProbability(text));

/** Feedback through a learner; returns the log row id. */
async function teach(learner: Learner, text: string, correct: boolean, client: string | null = null): Promise<number> {
  const { predictionId } = await learner.predict(text);
  const outcome = await learner.feedback(predictionId, correct, { source: 'api', client });
  if (outcome.status !== 'recorded') throw new Error(`feedback was ${outcome.status}`);
  return outcome.reviewId;
}

describe('undo: changing the verdict of rows the model already learned', () => {
  it('rebuilds the model without the rejected rows, bit-identical to one that never saw them', async () => {
    // Arrange: honest rows, then an attacker's, then honest rows again.
    const w = world();
    const served = await w.learner();
    for (let k = 0; k < 3; k++) await teach(served, feedbackReview(k), true, 'honest0000000001');
    const attack: number[] = [];
    for (let k = 3; k < 9; k++) attack.push(await teach(served, feedbackReview(k), false, 'attacker00000001'));
    for (let k = 9; k < 12; k++) await teach(served, feedbackReview(k), true, 'honest0000000002');
    const poisoned = probabilities(served);

    // Act
    const { changed, modelVersion } = await served.changeVerdicts(attack, 'rejected', 'test: attack');

    // Reference: a fresh log with the same rows (text and label) minus the attacker's: absent, not rejected.
    const clean = world();
    const cleanStore = clean.open();
    for await (const row of w.open().reviewsAfter(0))
      if (!attack.includes(row.id)) await cleanStore.insertReview(row.review, labelOf(row.sentiment), 'api');
    const reference = await clean.learner(cleanStore);

    // Assert
    expect(changed).toEqual(attack);
    expect(modelVersion).toMatch(/^[0-9a-f]{12}\+12\.6$/);
    expect(served.modelInfo()).toMatchObject({ appliedThrough: 12, verdictChangesSeen: 6 });
    expect(served.modelInfo().rebuiltFrom).toMatch(/checkpoints\/model-w0-v0-[0-9a-f]{16}\.bin$/);
    expect(probabilities(served)).not.toEqual(poisoned);
    probabilities(served).forEach((p, i) => expect(p === probabilities(reference)[i], `probe ${i}`).toBe(true));
  });

  it('is followed by another process on its next look at the log, and by a restart', async () => {
    // Arrange
    const w = world();
    const first = await w.learner();
    const second = await w.learner();
    const ids: number[] = [];
    for (let k = 0; k < 6; k++) ids.push(await teach(first, feedbackReview(k), k % 2 === 0));
    await second.catchUp();
    const before = probabilities(second);

    // Act
    await first.changeVerdicts([ids[1], ids[4]], 'rejected', 'test');
    await second.catchUp();
    const restarted = await w.learner();

    // Assert
    expect(probabilities(second)).toEqual(probabilities(first));
    expect(probabilities(restarted)).toEqual(probabilities(first));
    expect(probabilities(second)).not.toEqual(before);
    expect(second.modelInfo().version).toBe(first.modelInfo().version);
  });

  it('accepting a held row puts it back in its place in the log, as if it had been accepted when written', async () => {
    // Arrange: a client over its corrections cap gets its second correction held.
    const w = world();
    const capped = openStore(w.dbPath, {
      verdictRule: moderationRule({ ...DEFAULT_MODERATION, clientCorrectionsPerDay: 1 }),
    });
    cleanups.push(() => capped.close());
    const served = await w.learner(capped);
    await teach(served, feedbackReview(0), false, 'client0000000001');
    const heldId = await teach(served, feedbackReview(1), false, 'client0000000001');
    await teach(served, feedbackReview(2), true, 'client0000000002');
    expect(await capped.getReview(heldId)).toMatchObject({ verdict: 'held' });

    // Act
    await served.changeVerdicts([heldId], 'accepted', 'test: looked fine');

    // Reference: the same rows, every one accepted when written.
    const reference = world();
    const referenceStore = reference.open();
    for await (const row of capped.reviewsAfter(0))
      await referenceStore.insertReview(row.review, labelOf(row.sentiment), 'api');
    const unlimited = await reference.learner(referenceStore);

    // Assert
    probabilities(served).forEach((p, i) => expect(p === probabilities(unlimited)[i], `probe ${i}`).toBe(true));
  });

  it('starts from the newest checkpoint no change touches: an update after the rejected rows is not used', async () => {
    // Arrange: rows 1-4, update (checkpoint at 4), rows 5-8, update (checkpoint at 8).
    const w = world();
    const store = w.open();
    const served = await w.learner(store);
    for (let k = 0; k < 4; k++) await teach(served, feedbackReview(k), true);
    await updateModelFile({ store, modelPath: w.modelPath, checkpoints: w.checkpoints });
    for (let k = 4; k < 8; k++) await teach(served, feedbackReview(k), false);
    await updateModelFile({ store, modelPath: w.modelPath, checkpoints: w.checkpoints });
    const restarted = await w.learner();

    // Act: reject row 7 (after the first checkpoint, before the second).
    await restarted.changeVerdicts([7], 'rejected', 'test');

    const reference = world();
    const referenceStore = reference.open();
    for await (const row of store.reviewsAfter(0))
      if (row.id !== 7) await referenceStore.insertReview(row.review, labelOf(row.sentiment), 'api');
    const never = await reference.learner(referenceStore);

    // Assert
    expect((await w.checkpoints.list()).map((c) => c.watermark)).toEqual([8, 4, 0]);
    expect(restarted.modelInfo().rebuiltFrom).toMatch(/model-w4-v0-/);
    probabilities(restarted).forEach((p, i) => expect(p === probabilities(never)[i], `probe ${i}`).toBe(true));
    // And update writes that model, noting the change it reflects.
    const result = await updateModelFile({ store, modelPath: w.modelPath, checkpoints: w.checkpoints });
    expect(result.written).toBe(true);
    expect(readModelFile(w.modelPath).header).toMatchObject({ feedbackWatermark: 8, verdictChangesThrough: 1 });
    expect(probabilities(await w.learner())).toEqual(probabilities(never));
  });

  it('says what is missing when no checkpoint is from before the changed row', async () => {
    // Arrange
    const w = world();
    const served = await createLearner({ model: readModelFile(w.modelPath), store: w.open() });
    const id = await teach(served, feedbackReview(0), true);

    // Act + Assert
    await expect(served.changeVerdicts([id], 'rejected', 'test')).rejects.toThrow(
      /nothing was changed: .*no readable checkpoint in .* is from before that row/,
    );
  });
});
