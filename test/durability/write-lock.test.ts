import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { openStore } from '../../src/store/index.js';
import { feedbackReview } from '../helpers/probes.js';
import {
  feedback,
  makeServerFolder,
  postJson,
  predict,
  sleep,
  startServerProcess,
  stopAllServers,
} from '../helpers/server-process.js';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
});

const LOCK_MS = 3000;
const WRITE_WAIT_MS = 500;

async function timed(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

// SQLite only: its one write lock, held by another process (PostgreSQL away is test/durability/postgres.test.ts).
describe('a server whose database another process holds the write lock of', { timeout: 40_000 }, () => {
  it('keeps answering GET / and /healthz at once, refuses predictions and feedback with 503 and Retry-After storing nothing, and recovers when the lock goes', async () => {
    // Arrange: a prediction to answer during the lock; then this process takes the write lock.
    const paths = makeServerFolder('write-lock');
    cleanups.push(paths.remove);
    const server = await startServerProcess(paths, { env: { DB_WRITE_WAIT_MS: String(WRITE_WAIT_MS) } });
    const earlier = await predict(server, feedbackReview(0));
    const holder = new Database(paths.dbPath);
    cleanups.push(() => holder.close());
    holder.exec('BEGIN IMMEDIATE');
    const lockedAt = performance.now();

    // Act: while locked, a prediction, a feedback, and GET / and /healthz every 100 ms.
    const refusedPrediction = postJson(`${server.url}/api/v1/predict`, { review: feedbackReview(1) });
    const refusedFeedback = fetch(`${server.url}/api/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId: earlier.predictionId, correct: false }),
    });
    const pages: { status: number; ms: number }[] = [];
    const healths: { status: number; ms: number }[] = [];
    while (performance.now() - lockedAt < LOCK_MS) {
      healths.push(await timed(`${server.url}/healthz`));
      pages.push(await timed(`${server.url}/`));
      await sleep(100);
    }
    const prediction = await refusedPrediction;
    const answer = await refusedFeedback;
    holder.exec('COMMIT');
    holder.close();
    const after = await predict(server, feedbackReview(2));
    const afterFeedback = await feedback(server, earlier.predictionId, false);

    // Assert
    expect(pages.length).toBeGreaterThan(10);
    expect(pages.every((page) => page.status === 200)).toBe(true);
    // /healthz says 503 once writes have failed (the lock is why), 200 before.
    expect(healths.every((health) => health.status === 200 || health.status === 503)).toBe(true);
    expect(healths.at(-1)?.status).toBe(503);
    // The bar is 100 ms (shown with tools/write-lock-check.ts); a loose bound here, as the
    // machine is shared, still far from the seconds of a frozen event loop.
    expect(Math.max(...[...pages, ...healths].map((read) => read.ms))).toBeLessThan(750);
    expect(prediction.status).toBe(503);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(afterFeedback.status).toBe(201);
    const store = openStore(paths.dbPath, { readonly: true });
    cleanups.push(() => store.close());
    expect(await store.countReviews()).toBe(1);
    expect(await store.getPrediction(after.predictionId)).toMatchObject({ id: after.predictionId });
  });
});
