import { describe, expect, it } from 'vitest';

import { feedbackReview, fileProbabilities, PROBE_TEXTS, serverProbabilities } from '../helpers/probes.js';
import { useServerLogs } from '../helpers/server-logs.js';
import {
  feedback,
  health,
  pidsServing,
  POLL_MS,
  predict,
  sleep,
  startServerProcess,
  useServerFolders,
  waitFor,
} from '../helpers/server-process.js';
import { STORE_KINDS } from '../helpers/stores.js';

const serverFolder = useServerFolders();

describe.each(STORE_KINDS)('on %s', (kind) => {
  const serverLog = useServerLogs(kind);

  describe('two server processes on one database and one model file', () => {
    it('take alternating and concurrent feedback without error or SQLITE_BUSY, then agree on appliedThrough and give identical probabilities', async () => {
      // Arrange
      const paths = serverFolder('two-servers');
      const log = await serverLog(paths);
      const servers = await Promise.all([
        startServerProcess(paths, { env: log.env }),
        startServerProcess(paths, { env: log.env }),
      ]);
      const ALTERNATING = 8;
      const CONCURRENT = 40;
      const FEEDBACK_COUNT = ALTERNATING + CONCURRENT;

      // Act: alternate the verdicts between the two processes, then send a burst to both at once,
      // so the two processes contend for the write lock.
      for (let k = 0; k < ALTERNATING; k++) {
        const server = servers[k % 2];
        const prediction = await predict(server, feedbackReview(k));
        expect((await feedback(server, prediction.predictionId, k % 3 !== 0)).status).toBe(201);
      }
      const burst = await Promise.all(
        Array.from({ length: CONCURRENT }, async (_, i) => {
          const server = servers[i % 2];
          return { server, prediction: await predict(server, feedbackReview(ALTERNATING + i)) };
        }),
      );
      const burstStatuses = await Promise.all(
        burst.map(
          async ({ server, prediction }, i) => (await feedback(server, prediction.predictionId, i % 2 === 0)).status,
        ),
      );
      // Each server is asked by its own address, so the wait ends as soon as both have applied it.
      await waitFor(
        'both servers to apply the whole log',
        async () => {
          const facts = await Promise.all(servers.map(async (server) => (await health(server)).model.appliedThrough));
          return facts.every((through) => through === FEEDBACK_COUNT);
        },
        12 * POLL_MS,
      );
      const [first, second] = [await serverProbabilities(servers[0]), await serverProbabilities(servers[1])];

      // Assert
      expect(burstStatuses).toEqual(Array(CONCURRENT).fill(201));
      // Two processes do contend for SQLite's one write lock (PostgreSQL's log lock): the write gate
      // waits for it off the event loop and may say so in a warning (level 40). What must not happen
      // is a failed answer or an error line.
      for (const server of servers) {
        expect(server.output()).not.toMatch(/"status":5\d\d/);
        const errors = server
          .output()
          .split('\n')
          .filter((line) => /"level":(50|60)/.test(line));
        expect(errors).toEqual([]);
      }
      const [healthA, healthB] = await Promise.all(servers.map((server) => health(server)));
      expect(healthA.reviews).toBe(FEEDBACK_COUNT);
      expect(healthA.model.appliedThrough).toBe(healthB.model.appliedThrough);
      expect(healthA.model.version).toBe(healthB.model.version);
      first.forEach((p, i) => expect(p === second[i], `probe ${i}: ${p} !== ${second[i]}`).toBe(true));
      expect(first).toEqual(await log.replayed());
      expect(first).not.toEqual(fileProbabilities(paths.modelPath));
    });
  });

  // A primary and two workers, each loading the app: slow on a busy machine.
  describe('WORKERS=2: two cluster workers behind one port', { timeout: 40_000 }, () => {
    it('give the same probability for a probe text from either worker after the poll interval', async () => {
      // Arrange
      const paths = serverFolder('workers');
      const log = await serverLog(paths);
      const server = await startServerProcess(paths, { workers: 2, env: log.env });
      const FEEDBACK_COUNT = 6;
      const probe = PROBE_TEXTS[0];
      const [before] = fileProbabilities(paths.modelPath, [probe]);

      // Act: verdicts on fresh connections, so the primary deals them to both workers.
      for (let k = 0; k < FEEDBACK_COUNT; k++) {
        const prediction = await predict(server, feedbackReview(k), { close: true });
        expect((await feedback(server, prediction.predictionId, false)).status).toBe(201);
      }
      await sleep(2 * POLL_MS + 50);
      await waitFor(
        'both workers to apply the whole log',
        async () => {
          const facts = await Promise.all([health(server, { close: true }), health(server, { close: true })]);
          return facts.every((h) => h.model.appliedThrough === FEEDBACK_COUNT);
        },
        10 * POLL_MS,
      );
      const mark = server.output().length;
      const values: number[] = [];
      for (let k = 0; k < 20; k++) values.push((await predict(server, probe, { close: true })).positiveProbability);

      // Assert
      expect(server.workerPids).toHaveLength(2);
      expect(new Set(server.workerPids).size).toBe(2);
      expect(new Set(server.startUp.map((line) => line.address))).toEqual(new Set([server.url]));
      // The request log lines are written asynchronously: let them reach the pipe.
      await sleep(100);
      expect(pidsServing(server.output().slice(mark), '/api/v1/predict')).toEqual(new Set(server.workerPids));
      expect(new Set(values).size).toBe(1);
      const [replayed] = await log.replayed([probe]);
      expect(values[0]).toBe(replayed);
      expect(values[0]).not.toBe(before);
    });
  });

  describe('WORKERS=2: a worker that crashes while serving', { timeout: 40_000 }, () => {
    it('is replaced by a new worker, and the server keeps answering on the same port', async () => {
      // Arrange
      const paths = serverFolder('respawn');
      const log = await serverLog(paths);
      const server = await startServerProcess(paths, { workers: 2, env: log.env });
      const [victim, survivor] = server.workerPids;

      // Act
      process.kill(victim, 'SIGKILL');
      await waitFor(
        'a third worker to log its start-up line',
        () => (server.output().match(/listening on http/g) ?? []).length >= 3,
        20_000,
      );
      // health() throws on anything but a 200; fresh connections reach both workers.
      const versions: string[] = [];
      for (let k = 0; k < 6; k++) versions.push((await health(server, { close: true })).model.version);

      // Assert
      expect(server.output()).toMatch(new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting a new one`));
      expect(versions).toHaveLength(6);
      expect(new Set(versions).size).toBe(1);
      expect(() => process.kill(survivor, 0)).not.toThrow();
      expect(() => process.kill(server.pid, 0)).not.toThrow();
    });
  });
});
