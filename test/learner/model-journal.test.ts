import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  createLearner,
  modelJournal,
  openCheckpoints,
  updateEvent,
  updateModelFile,
  type Learner,
} from '../../src/learner/index.js';
import { decodeModel, writeFileAtomic } from '../../src/model/model-file.js';
import { openStore, type LogStore } from '../../src/store/index.js';
import { feedbackReview } from '../helpers/probes.js';
import { makeTestModel, testModelBytes } from '../helpers/model.js';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A model file, its checkpoint, one database, and learners on it as two workers would have. */
function world() {
  const dir = mkdtempSync(join(tmpdir(), 'movieclassifier-journal-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const modelPath = join(dir, 'model.bin');
  writeFileAtomic(modelPath, testModelBytes());
  const checkpoints = openCheckpoints(join(dir, 'checkpoints'));
  // void: a checkpoint folder keeps synchronously (keep() is Awaitable only for the database's checkpoints).
  void checkpoints.keep(testModelBytes(), decodeModel(testModelBytes(), modelPath).header);
  const open = (): LogStore => {
    const store = openStore(join(dir, 'reviews.sqlite'));
    cleanups.push(() => store.close());
    return store;
  };
  const store = open();
  const learner = (s: LogStore = store): Promise<Learner> =>
    createLearner({ model: makeTestModel(), store: s, checkpoints });
  const journalOf = (l: Learner, s: LogStore = store, at = '2026-05-01T12:00:00.000Z') =>
    modelJournal({
      learner: l,
      events: s.modelEvents,
      changes: s.console,
      now: () => new Date(at),
      onError: (e) => {
        throw e;
      },
    });
  return { dir, modelPath, checkpoints, store, open, learner, journalOf };
}

async function teach(learner: Learner, k: number): Promise<number> {
  const { predictionId } = await learner.predict(feedbackReview(k));
  const outcome = await learner.feedback(predictionId, k % 2 === 0, { source: 'api', client: null });
  if (outcome.status !== 'recorded') throw new Error(outcome.status);
  return outcome.reviewId;
}

describe('modelJournal', () => {
  it('records the trained model once, at its training time, with its check-set accuracy, however many workers start', async () => {
    const w = world();
    const first = await w.learner();
    const second = await w.learner(w.open());

    await w.journalOf(first).note();
    await w.journalOf(second).note();

    const events = await w.store.modelEvents.list(10);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'trained',
      at: '2026-01-01T00:00:00.000Z',
      key: `file:${first.modelInfo().fileChecksum}`,
      checkAccuracy: first.checkScore().accuracy,
      checkSize: 40,
      watermark: 0,
    });
    expect(events[0].checkAccuracy).toBeGreaterThan(0.5);
  });

  it('records a rebuild after a verdict change once, saying why and from which checkpoint', async () => {
    // Arrange
    const w = world();
    const served = await w.learner();
    const other = await w.learner(w.open());
    const journal = w.journalOf(served);
    const otherJournal = w.journalOf(other);
    await journal.note();
    await otherJournal.note();
    const ids = [await teach(served, 1), await teach(served, 2), await teach(served, 3)];
    await other.catchUp();
    await otherJournal.note();

    // Act: an operator rejects a learned row in one worker; the other follows on its next look.
    await served.changeVerdicts([ids[1]], 'rejected', 'rejected by an operator');
    await journal.note();
    await other.catchUp();
    await otherJournal.note();

    // Assert
    const events = await w.store.modelEvents.list(10);
    expect(events.map((e) => e.kind)).toEqual(['rebuild', 'trained']);
    expect(events[0]).toMatchObject({
      key: 'rebuild:1',
      modelVersion: served.modelInfo().version,
      watermark: 3,
      verdictChanges: 1,
      detail: expect.stringMatching(
        /^rebuilt from model-w0-v0-[0-9a-f]{16}\.bin after 1 verdict change \(rejected by an operator\)$/,
      ),
    });
    expect(served.modelInfo().version).toBe(other.modelInfo().version);
  });

  it('records a rebuild that happened before its first look', async () => {
    const w = world();
    const served = await w.learner();
    const id = await teach(served, 1);
    await served.changeVerdicts([id], 'rejected', 'rejected by an operator');

    await w.journalOf(served).note();

    expect((await w.store.modelEvents.list(10)).map((e) => e.kind).sort()).toEqual(['rebuild', 'trained']);
  });

  it('records nothing more when the servers load the file `npm run update` wrote and recorded', async () => {
    // Arrange
    const w = world();
    const served = await w.learner();
    await w.journalOf(served).note();
    await teach(served, 1);
    await teach(served, 2);

    // Act
    const result = await updateModelFile({ store: w.store, modelPath: w.modelPath, checkpoints: w.checkpoints });
    await w.store.modelEvents.record(updateEvent(result, new Date('2026-05-01T13:00:00.000Z'))!);
    const reloaded = await createLearner({
      model: decodeModel(readFileSync(w.modelPath), w.modelPath),
      store: w.store,
      checkpoints: w.checkpoints,
    });
    await w.journalOf(reloaded).note();

    // Assert
    const events = await w.store.modelEvents.list(10);
    expect(events.map((e) => e.kind)).toEqual(['update', 'trained']);
    expect(events[0]).toMatchObject({
      key: `file:${result.checksum}`,
      modelVersion: reloaded.modelInfo().version,
      watermark: 2,
      checkAccuracy: result.accuracyAfter,
      detail: `folded 2 rows (log through row 2), check accuracy ${result.accuracyBefore!.toFixed(4)} before`,
    });
  });

  it('records a model file loaded that no update wrote as a reload', async () => {
    const w = world();
    const served = await w.learner();
    await teach(served, 1);
    await updateModelFile({ store: w.store, modelPath: w.modelPath, checkpoints: w.checkpoints });
    const reloaded = await createLearner({
      model: decodeModel(readFileSync(w.modelPath), w.modelPath),
      store: w.store,
      checkpoints: w.checkpoints,
    });

    await w.journalOf(reloaded).note();

    expect(await w.store.modelEvents.list(10)).toEqual([
      expect.objectContaining({
        kind: 'reload',
        watermark: 1,
        detail: 'model file holding the log through row 1 loaded',
      }),
    ]);
  });
});
