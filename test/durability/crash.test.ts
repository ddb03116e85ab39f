import { afterEach, describe, expect, it } from 'vitest';

import { createLearner } from '../../src/learner/index.js';
import { readModelFile } from '../../src/model/model-file.js';
import { openStore } from '../../src/store/index.js';
import { feedbackReview, fileProbabilities, PROBE_TEXTS, serverProbabilities } from '../helpers/probes.js';
import { useServerLogs } from '../helpers/server-logs.js';
import {
  feedback,
  health,
  makeServerFolder,
  predict,
  startServerProcess,
  stopAllServers,
} from '../helpers/server-process.js';
import { logRows, STORE_KINDS } from '../helpers/stores.js';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
});

const FEEDBACK_COUNT = 6;

describe.each(STORE_KINDS)('on %s', (kind) => {
  const serverLog = useServerLogs(kind);

  // Two server start-ups in one test: give a busy machine room.
  describe('a server killed with SIGKILL right after a feedback response', { timeout: 40_000 }, () => {
    it('has every feedback row exactly once after a restart, and gives exactly the probabilities of a learner that never crashed', async () => {
      // Arrange: the server, and a reference learner in this process on its own database that
      // gets the same verdicts one at a time as they happen (never restarted, never replayed).
      const paths = makeServerFolder('crash');
      cleanups.push(paths.remove);
      const log = await serverLog(paths);
      const referenceStore = openStore(':memory:');
      cleanups.push(() => referenceStore.close());
      const reference = await createLearner({ model: readModelFile(paths.modelPath), store: referenceStore });
      const server = await startServerProcess(paths, { env: log.env });
      const sent: { predictionId: string; label: string }[] = [];

      // Act
      for (let k = 0; k < FEEDBACK_COUNT; k++) {
        const prediction = await predict(server, feedbackReview(k));
        const res = await feedback(server, prediction.predictionId, false);
        expect(res.status).toBe(201);
        sent.push(prediction);
        const mirrored = await reference.predict(feedbackReview(k));
        expect(mirrored.label).toBe(prediction.label);
        expect((await reference.feedback(mirrored.predictionId, false, { source: 'api', client: null })).status).toBe(
          'recorded',
        );
      }
      const killed = await server.kill(); // no graceful shutdown: straight after the last 201
      const restarted = await startServerProcess(paths, { env: log.env });
      const afterRestart = await serverProbabilities(restarted);

      // Assert: the log holds each verdict once, with the label the model did not give ("Incorrect").
      expect(killed.signal).toBe('SIGKILL');
      const store = await log.open();
      const rows = await logRows(store);
      expect(rows.map((row) => row.predictionId)).toEqual(sent.map((p) => p.predictionId));
      expect(rows.map((row) => row.sentiment)).toEqual(sent.map((p) => (p.label === 'positive' ? 0 : 1)));
      expect(await store.countReviews()).toBe(FEEDBACK_COUNT);
      expect((await health(restarted)).model).toMatchObject({ appliedThrough: FEEDBACK_COUNT, feedbackWatermark: 0 });
      // The restart says what it replayed, and how long that took.
      expect(restarted.startUp[0].replay).toMatchObject({
        folded: FEEDBACK_COUNT,
        skipped: 0,
        through: FEEDBACK_COUNT,
      });
      expect(restarted.startUp[0].replay?.ms).toEqual(expect.any(Number));

      // Assert: the restarted model is the never-crashed one, to the last bit.
      const neverCrashed = PROBE_TEXTS.map((text) => reference.positiveProbability(text));
      afterRestart.forEach((p, i) =>
        expect(p === neverCrashed[i], `probe ${i}: ${p} !== ${neverCrashed[i]}`).toBe(true),
      );
      expect(afterRestart).toEqual(await log.replayed());
      // The feedback did move the model, so a restart that had lost it would fail the comparison.
      expect(afterRestart).not.toEqual(fileProbabilities(paths.modelPath));
    });
  });
});
