import { readdirSync, rmSync } from 'node:fs';

import request from 'supertest';
import { describe, expect, it } from 'vitest';

import { submitReview } from '../helpers/app.js';
import { logStores, type StoreKind } from '../helpers/log-stores.js';
import { makeTestModel, testModelBytes } from '../helpers/model.js';
import { feedbackReview } from '../helpers/probes.js';
import { consoleApp, pageToken, signIn, type ConsoleTestApp } from '../web/console/helpers.js';

const kinds = logStores();

const TOKEN = 'test-admin-token-0123456789abcdef';
const AUTH = `Bearer ${TOKEN}`;

/** Feedback through the API as a reader sends it; returns the answer's body. */
async function answer(t: ConsoleTestApp, k: number): Promise<{ reviewId: number; verdict: string; learned: boolean }> {
  const predicted = await request(t.app)
    .post('/api/v1/predict')
    .send({ review: feedbackReview(k) })
    .expect(200);
  const res = await request(t.app)
    .post('/api/v1/feedback')
    .send({ predictionId: (predicted.body as { predictionId: string }).predictionId, correct: true })
    .expect(201);
  return res.body as { reviewId: number; verdict: string; learned: boolean };
}

/** Loses every checkpoint, as an operator clearing a folder (or a table) would. */
async function loseCheckpoints(kind: StoreKind, t: ConsoleTestApp): Promise<void> {
  if (kind.name === 'SQLite') {
    for (const name of readdirSync(t.checkpoints.dir)) rmSync(`${t.checkpoints.dir}/${name}`);
  } else {
    await t.sql('DELETE FROM model_checkpoints');
  }
}

describe.each(kinds)('on $name', (kind: StoreKind) => {
  const open = () => consoleApp(kind, { config: { adminToken: TOKEN } });

  describe('a verdict change the model cannot follow', () => {
    it('is refused by the admin API before it is recorded, with 409 naming the missing checkpoint', async () => {
      // Arrange: a learned row, then the checkpoints gone.
      const t = await open();
      const { reviewId } = await answer(t, 0);
      const version = t.learner.modelInfo().version;
      await loseCheckpoints(kind, t);

      // Act
      const res = await request(t.app).post(`/api/v1/admin/feedback/${reviewId}/reject`).set('Authorization', AUTH);

      // Assert: nothing changed, and the model still learns.
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ error: { code: 'checkpoint_missing' } });
      expect((res.body as { error: { message: string } }).error.message).toMatch(
        new RegExp(
          `nothing was changed.*log row ${reviewId}.*no readable checkpoint in .* is from before that row.*Put back`,
          's',
        ),
      );
      expect((await t.store.getReview(reviewId))?.verdict).toBe('accepted');
      expect(await t.store.lastVerdictChangeId()).toBe(0);
      expect(t.learner.modelInfo().version).toBe(version);
      await request(t.app).get('/healthz').expect(200);
      expect(await answer(t, 1)).toMatchObject({ verdict: 'accepted', learned: true });
    });

    it('is refused by the console before it is recorded, with a 409 page naming the missing checkpoint', async () => {
      const t = await open();
      const { reviewId } = await answer(t, 0);
      const agent = await signIn(t.app);
      const _csrf = await pageToken(agent, '/admin/feedback');
      await loseCheckpoints(kind, t);

      const res = await agent
        .post(`/admin/feedback/${reviewId}/reject`)
        .type('form')
        .send({ _csrf, back: '/admin/feedback' });

      expect(res.status).toBe(409);
      expect(res.text).toContain('nothing was changed');
      expect(res.text).toMatch(/no readable checkpoint in .* is from before that row/);
      expect((await t.store.getReview(reviewId))?.verdict).toBe('accepted');
      expect(await t.store.lastVerdictChangeId()).toBe(0);
    });

    it('is taken when the row is already at that verdict: nothing to rebuild', async () => {
      const t = await open();
      const { reviewId } = await answer(t, 0);
      await loseCheckpoints(kind, t);

      const res = await request(t.app).post(`/api/v1/admin/feedback/${reviewId}/accept`).set('Authorization', AUTH);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ changed: 0 });
    });
  });

  it('rebuilds from the next older checkpoint when the newest one is truncated', async () => {
    // Arrange: three learned rows, and a truncated checkpoint claiming to hold the first two.
    const t = await open();
    const rows = [await answer(t, 0), await answer(t, 1), await answer(t, 2)];
    const bytes = testModelBytes();
    await t.checkpoints.keep(bytes.subarray(0, bytes.length >> 1), {
      feedbackWatermark: 2,
      verdictChangesThrough: 0,
      checksum: 'f'.repeat(64),
    });
    expect((await t.checkpoints.list()).map((c) => c.watermark)).toEqual([2, 0]);

    // Act
    const res = await request(t.app)
      .post(`/api/v1/admin/feedback/${rows[2].reviewId}/reject`)
      .set('Authorization', AUTH);

    // Assert: rebuilt from the trained model's checkpoint (watermark 0).
    expect(res.status).toBe(200);
    expect(t.learner.modelInfo()).toMatchObject({ rebuiltFrom: (await t.checkpoints.list())[1].path, rebuilds: 1 });
    await request(t.app).get('/healthz').expect(200);
  });

  it('turns /healthz to 503 with the reason, and answers learned: false, while the model cannot follow a change made elsewhere', async () => {
    // Arrange: another process rejects a learned row while no checkpoint is kept.
    const t = await open();
    const { reviewId } = await answer(t, 0);
    await loseCheckpoints(kind, t);
    await t.store.changeVerdicts([reviewId], 'rejected', 'rejected by another process');

    // Act
    const after = await answer(t, 1);
    const health = await request(t.app).get('/healthz');

    const { agent, predictionId, csrfToken } = await submitReview(t.app, feedbackReview(3));
    const thanks = await agent
      .post('/thanks')
      .type('form')
      .send({ predictionId, _csrf: csrfToken, verdict: 'correct' })
      .expect(200);

    // Assert
    expect(after).toMatchObject({ verdict: 'accepted', learned: false });
    expect(thanks.text).toContain('The model has not learnt from it yet');
    expect(thanks.text).not.toContain('the model has learnt from it');
    expect(health.status).toBe(503);
    expect((health.body as { reason: string }).reason).toMatch(
      new RegExp(`stopped learning.*log row ${reviewId}.*no readable checkpoint`),
    );

    // The checkpoint back, the next look at the log learns again.
    await t.checkpoints.keep(testModelBytes(), makeTestModel().header);
    await t.learner.catchUp();
    await request(t.app).get('/healthz').expect(200);
    expect(await answer(t, 2)).toMatchObject({ learned: true });
  });
});
