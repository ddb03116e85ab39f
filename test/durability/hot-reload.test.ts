import { afterEach, describe, expect, it } from 'vitest';

import { updateModelFile } from '../../src/learner/index.js';
import { createLearner } from '../../src/learner/index.js';
import { readModelFile } from '../../src/model/model-file.js';
import { openStore } from '../../src/store/index.js';
import { useServerLogs } from '../helpers/server-logs.js';
import { STORE_KINDS } from '../helpers/stores.js';
import { feedbackReview, PROBE_TEXTS, serverProbabilities } from '../helpers/probes.js';
import {
  checkpointsBeside,
  feedback,
  health,
  makeServerFolder,
  POLL_MS,
  postJson,
  predict,
  startServerProcess,
  stopAllServers,
  waitFor,
} from '../helpers/server-process.js';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
});

describe.each(STORE_KINDS)('on %s', (kind) => {
  const serverLog = useServerLogs(kind);

  describe('a server running while `npm run update` rewrites its model (the file, or the one published in PostgreSQL)', () => {
    it('swaps to the new model within a few poll intervals, keeps answering, and gives the same probabilities as before', async () => {
      // Arrange: the server learns some feedback online; then update folds that same feedback into the file.
      const paths = makeServerFolder('hot-reload');
      cleanups.push(paths.remove);
      const log = await serverLog(paths);
      const server = await startServerProcess(paths, { env: log.env });
      const FEEDBACK_COUNT = 5;
      for (let k = 0; k < FEEDBACK_COUNT; k++) {
        const prediction = await predict(server, feedbackReview(k));
        expect((await feedback(server, prediction.predictionId, k % 2 === 0)).status).toBe(201);
      }
      const before = await serverProbabilities(server);
      const healthBefore = await health(server);

      // Act
      const result = await log.update();
      const statuses: number[] = [];
      await waitFor(
        'the server to load the new model file',
        async () => {
          // Requests keep flowing during the swap; none may fail.
          statuses.push((await postJson(`${server.url}/api/v1/predict`, { review: PROBE_TEXTS[1] })).status);
          return (await health(server)).model.feedbackWatermark === FEEDBACK_COUNT;
        },
        10 * POLL_MS,
      );
      const after = await serverProbabilities(server);
      const healthAfter = await health(server);

      // Assert
      expect(result).toMatchObject({ folded: FEEDBACK_COUNT, watermark: FEEDBACK_COUNT, written: true });
      expect(healthBefore.model).toMatchObject({ feedbackWatermark: 0, appliedThrough: FEEDBACK_COUNT });
      expect(healthAfter.model).toMatchObject({ feedbackWatermark: FEEDBACK_COUNT, appliedThrough: FEEDBACK_COUNT });
      expect(healthAfter.model.version).not.toBe(healthBefore.model.version);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.every((status) => status === 200)).toBe(true);
      after.forEach((p, i) => expect(p === before[i], `probe ${i}: ${p} !== ${before[i]}`).toBe(true));
      expect(server.output()).toContain('reloaded model');
    });
  });
});

// SQLite only: on PostgreSQL the publication itself tells every server at once (NOTIFY), so a
// test cannot tell that the signal did it.
describe('a server whose model file `npm run update` rewrote', () => {
  it('on SIGHUP swaps to the new file, then goes on learning from new feedback exactly as the updated file plus a replay would', async () => {
    // Arrange: a file-watch interval far longer than the test, so only the signal can trigger the reload.
    const paths = makeServerFolder('hot-reload-sighup');
    cleanups.push(paths.remove);
    const server = await startServerProcess(paths, { env: { RELOAD_POLL_MS: '60000' } });
    for (let k = 0; k < 3; k++) {
      const prediction = await predict(server, feedbackReview(k));
      expect((await feedback(server, prediction.predictionId, false)).status).toBe(201);
    }
    const store = openStore(paths.dbPath);
    cleanups.unshift(() => store.close());
    await updateModelFile({ store, checkpoints: checkpointsBeside(paths.modelPath), modelPath: paths.modelPath });
    server.signal('SIGHUP');
    await waitFor('the server to reload on SIGHUP', async () => (await health(server)).model.feedbackWatermark === 3);

    // Act
    for (let k = 3; k < 6; k++) {
      const prediction = await predict(server, feedbackReview(k));
      expect((await feedback(server, prediction.predictionId, false)).status).toBe(201);
    }
    const live = await serverProbabilities(server);

    // Assert
    expect(server.output()).toMatch(/reloaded model .*\(SIGHUP\)/);
    const replay = await createLearner({ model: readModelFile(paths.modelPath), store });
    expect(replay.replayed).toMatchObject({ folded: 3, through: 6 });
    expect(live).toEqual(PROBE_TEXTS.map((text) => replay.positiveProbability(text)));
  });
});
