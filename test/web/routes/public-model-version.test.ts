import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

import { makeApp, NEGATIVE_REVIEW, POSITIVE_REVIEW, type TestApp } from '../../helpers/app.js';

const apps: TestApp[] = [];
afterEach(() => {
  for (const t of apps.splice(0)) void t.close();
});

async function open(healthDetails: boolean): Promise<TestApp> {
  const t = await makeApp({ config: { healthDetails } });
  apps.push(t);
  return t;
}

const versionOf = async (t: TestApp, review: string): Promise<string> =>
  ((await request(t.app).post('/api/v1/predict').send({ review }).expect(200)).body as { modelVersion: string })
    .modelVersion;

/** Feedback through the API that the model learns from (it moves the log's count). */
async function teach(t: TestApp, review: string): Promise<void> {
  const predicted = await request(t.app).post('/api/v1/predict').send({ review }).expect(200);
  await request(t.app)
    .post('/api/v1/feedback')
    .send({ predictionId: (predicted.body as { predictionId: string }).predictionId, correct: false })
    .expect(201);
}

describe('POST /api/v1/predict’s modelVersion', () => {
  it('with HEALTH_DETAILS off (the default), tells no counts: 12 hex characters, the same while the model is, another once it learns', async () => {
    const t = await open(false);

    const first = await versionOf(t, POSITIVE_REVIEW);
    const again = await versionOf(t, NEGATIVE_REVIEW);
    await teach(t, POSITIVE_REVIEW);
    const after = await versionOf(t, POSITIVE_REVIEW);

    expect(first).toMatch(/^[0-9a-f]{12}$/);
    expect(t.learner.modelInfo().version).toMatch(/\+1\.0$/);
    expect(again).toBe(first);
    expect(after).toMatch(/^[0-9a-f]{12}$/);
    expect(after).not.toBe(first);
    // Not the file's checksum either: no part of the full version shows.
    expect(t.learner.modelInfo().version).not.toContain(first);
  });

  it('is the same in every worker (they share the secret)', async () => {
    const [a, b] = [await open(false), await open(false)];

    expect(await versionOf(a, POSITIVE_REVIEW)).toBe(await versionOf(b, POSITIVE_REVIEW));
  });

  it('with HEALTH_DETAILS on, is the full version', async () => {
    const t = await open(true);

    expect(await versionOf(t, POSITIVE_REVIEW)).toBe(t.learner.modelInfo().version);
  });
});
