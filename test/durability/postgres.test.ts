import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createLearner } from '../../src/learner/index.js';
import { readModelFile } from '../../src/model/model-file.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { feedbackReview, PROBE_TEXTS, serverProbabilities } from '../helpers/probes.js';
import { POSTGRES_OFF, skipWithoutPostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import {
  feedback,
  health,
  makeServerFolder,
  postJson,
  predict,
  runNodeScript,
  sleep,
  startServerProcess,
  stopAllServers,
  waitFor,
  type ServerProcess,
} from '../helpers/server-process.js';

let postgres: TestPostgres;
let cleanups: (() => void)[] = [];
skipWithoutPostgres();
beforeAll(async () => {
  if (POSTGRES_OFF) return;
  postgres = await startTestPostgres();
}, 60_000);
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});
afterAll(async () => {
  await postgres?.destroy();
});

/** N instances on one PostgreSQL, each with its own data folder (no shared files). */
const shippedModels: string[] = [];
async function instances(count: number, url: string): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  for (let k = 0; k < count; k++) {
    const paths = makeServerFolder(`postgres-${k}`);
    shippedModels.push(paths.modelPath);
    cleanups.push(paths.remove);
    // A long poll: agreement must come from NOTIFY, within the 1 s the issue asks.
    servers.push(await startServerProcess(paths, { env: { DATABASE_URL: url, RELOAD_POLL_MS: '5000' } }));
  }
  return servers;
}

describe('several instances on one PostgreSQL', { timeout: 90_000 }, () => {
  it('agree within a second after feedback through one, and all serve the model `npm run update` publishes within two', async () => {
    // Arrange
    const url = await postgres.createDatabase();
    const [one, two, three] = await instances(3, url);
    const before = await serverProbabilities(one);

    // Act 1: feedback through instance 1.
    for (let k = 0; k < 4; k++) {
      const prediction = await predict(one, feedbackReview(k));
      expect((await feedback(one, prediction.predictionId, false)).status).toBe(201);
    }
    const expected = await serverProbabilities(one);
    const sent = Date.now();
    await waitFor(
      'instances 2 and 3 to apply the feedback',
      async () => {
        const [a, b] = await Promise.all([serverProbabilities(two), serverProbabilities(three)]);
        return JSON.stringify(a) === JSON.stringify(expected) && JSON.stringify(b) === JSON.stringify(expected);
      },
      1000,
    );
    const agreedMs = Date.now() - sent;

    // Act 2: npm run update publishes a model that holds the four rows.
    const paths = makeServerFolder('postgres-update');
    cleanups.push(paths.remove);
    const update = await runNodeScript(['scripts/update.ts', '--model', paths.modelPath], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: url,
      DATA_DIR: paths.dataDir,
    });
    const published = Date.now();
    await waitFor(
      'all three to serve the published model',
      async () =>
        (await Promise.all([one, two, three].map((s) => health(s)))).every((h) => h.model.feedbackWatermark === 4),
      2000,
    );
    const servedMs = Date.now() - published;

    // Assert
    expect(expected).not.toEqual(before);
    expect(agreedMs).toBeLessThanOrEqual(1000);
    expect(update.code, update.stderr).toBe(0);
    expect(update.stdout).toMatch(/published a new model in postgres:\/\/postgres@/);
    expect(servedMs).toBeLessThanOrEqual(2000);
    for (const server of [one, two, three]) expect(await serverProbabilities(server)).toEqual(expected);
  });

  it('keep answering predictions while PostgreSQL is away, refuse writes with 503, and end with every acknowledged feedback once and the same model', async () => {
    // Arrange
    const url = await postgres.createDatabase();
    const servers = await instances(3, url);
    const acknowledged: string[] = [];
    const refused: number[] = [];
    let running = true;
    let k = 0;
    const load = (async () => {
      while (running) {
        const server = servers[k % 3];
        k++;
        const predicted = await postJson(`${server.url}/api/v1/predict`, { review: feedbackReview(k) }).catch(() => ({
          status: 0,
          body: null,
        }));
        if (predicted.status !== 200) {
          refused.push(predicted.status);
          await sleep(50);
          continue;
        }
        const { predictionId } = predicted.body as { predictionId: string };
        const answered = await feedback(servers[(k + 1) % 3], predictionId, k % 2 === 0).catch(() => ({ status: 0 }));
        if (answered.status === 201) acknowledged.push(predictionId);
        else refused.push(answered.status);
      }
    })();

    // Act: PostgreSQL goes away for 10 s under the load, then comes back.
    await sleep(1500);
    await postgres.pause();
    await sleep(10_000);
    await postgres.resume();
    await sleep(3000);
    running = false;
    await load;

    // Assert: every 201 has its row exactly once, and all instances hold the same model.
    const store = await openPostgresStore(url);
    const rows: string[] = [];
    let lastId = 0;
    for await (const row of store.reviewsAfter(0)) {
      rows.push(row.predictionId!);
      lastId = row.id;
    }
    const answeredDuringOutage = refused.filter((status) => status === 503).length;
    expect(answeredDuringOutage).toBeGreaterThan(0);
    expect(refused.filter((status) => status !== 503)).toEqual([]);
    // Every 201 has its row, once. (A row may lack its 201: committed, then the answer was lost.)
    expect(new Set(rows).size).toBe(rows.length);
    const stored = new Set(rows);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(rows.length - acknowledged.length).toBeLessThanOrEqual(3);
    const model = readModelFile(shippedModels.at(-1));
    const replay = await createLearner({ model, store });
    const expected = PROBE_TEXTS.map((text) => replay.positiveProbability(text));
    await waitFor(
      'every instance to hold the whole log',
      // The last id, not the count: a write cut by the outage may have used up an id of the sequence.
      async () => (await Promise.all(servers.map((s) => health(s)))).every((h) => h.model.appliedThrough === lastId),
      10_000,
    );
    for (const server of servers) expect(await serverProbabilities(server)).toEqual(expected);
    await store.close();
  });

  it('turn /healthz to 503 while PostgreSQL is stopped, with no traffic, and back to 200 within seconds of its return', async () => {
    // Arrange
    const url = await postgres.createDatabase();
    const [server] = await instances(1, url);
    const status = async (): Promise<{ code: number; body: { status: string; reason?: string } }> => {
      const res = await fetch(`${server.url}/healthz`);
      return { code: res.status, body: (await res.json()) as { status: string; reason?: string } };
    };
    expect((await status()).code).toBe(200);

    // Act: PostgreSQL goes away; nobody predicts or answers meanwhile.
    await postgres.pause();
    let down: { code: number; body: { status: string; reason?: string } } | undefined;
    try {
      await waitFor('/healthz to say unavailable', async () => (down = await status()).code === 503, 15_000);
    } finally {
      await postgres.resume();
    }
    const back = Date.now();
    await waitFor('/healthz to say ok again', async () => (await status()).code === 200, 10_000);

    // Assert
    expect(down!.body.status).toBe('unavailable');
    expect(down!.body.reason).toMatch(/PostgreSQL at postgres:\/\/.* is not reachable/);
    expect(Date.now() - back).toBeLessThanOrEqual(5000);
  });
});
