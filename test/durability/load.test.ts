import { describe, expect, it } from 'vitest';

import { feedbackReview, serverProbabilities } from '../helpers/probes.js';
import { useServerLogs } from '../helpers/server-logs.js';
import { feedback, health, predict, startServerProcess, useServerFolders } from '../helpers/server-process.js';
import { logRows, STORE_KINDS } from '../helpers/stores.js';

const serverFolder = useServerFolders();

const CONCURRENT = 200;

describe.each(STORE_KINDS)('on %s', (kind) => {
  const serverLog = useServerLogs(kind);

  describe('POST /api/v1/feedback under load', () => {
    it('records 200 concurrent verdicts as 200 rows, each prediction once, with no error response and no SQLITE_BUSY', async () => {
      // Arrange
      const paths = serverFolder('load');
      const log = await serverLog(paths);
      const server = await startServerProcess(paths, { env: log.env });
      const predictions = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, k) => predict(server, feedbackReview(k))),
      );

      // Act
      const responses = await Promise.all(
        predictions.map((prediction, k) => feedback(server, prediction.predictionId, k % 3 === 0)),
      );

      // Assert: every request succeeded once.
      expect(responses.map((res) => res.status)).toEqual(Array(CONCURRENT).fill(201));
      const reviewIds = responses.map((res) => (res.body as { reviewId: number }).reviewId);
      expect(new Set(reviewIds).size).toBe(CONCURRENT);

      // Assert: the log holds exactly one row per prediction.
      const store = await log.open();
      expect(await store.countReviews()).toBe(CONCURRENT);
      const rowPredictionIds = (await logRows(store)).map((row) => row.predictionId);
      expect([...rowPredictionIds].sort()).toEqual(predictions.map((p) => p.predictionId).sort());

      // Assert: the server applied all of them, in id order (as a fresh replay would), and said nothing alarming.
      expect((await health(server)).model.appliedThrough).toBe(CONCURRENT);
      expect(await serverProbabilities(server)).toEqual(await log.replayed());
      const output = server.output();
      expect(output).not.toMatch(/SQLITE_BUSY|database is locked/i);
      expect(output).not.toMatch(/"status":5\d\d/);
      expect(output).not.toMatch(/"level":(50|60)/);
    });
  });
});
