import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

import { DEFAULT_MODERATION } from '../../../src/moderation/index.js';
import type { LogStore } from '../../../src/store/index.js';
import { NEGATIVE_REVIEW, POSITIVE_REVIEW, type MakeAppOptions, type TestApp, useApps } from '../../helpers/app.js';
import { HTTP_STORE_KINDS, STORE_KINDS, type StoreKind } from '../../helpers/stores.js';
import { PROBE_TEXTS } from '../../helpers/probes.js';

const TOKEN = 'test-admin-token-0123456789abcdef';
const AUTH = `Bearer ${TOKEN}`;

const CLIENT_A = 'aaaaaaaaaaaaaaaa';
const CLIENT_B = 'bbbbbbbbbbbbbbbb';

/**
 * For a describe block on `kind`: makes the real app on a new log, with the admin API on unless
 * `adminToken: undefined` is given.
 */
function useAdminApps(kind: StoreKind) {
  const makeApp = useApps(kind);
  return (config: MakeAppOptions['config'] = {}) => makeApp({ config: { adminToken: TOKEN, ...config } });
}

interface ListedRow {
  id: number;
  review: string;
  sentiment: number;
  date: string;
  verdict: string;
  client: string | null;
}

async function list(app: Express, query: string): Promise<ListedRow[]> {
  const res = await request(app).get(`/api/v1/admin/feedback${query}`).set('Authorization', AUTH).expect(200);
  return (res.body as { rows: ListedRow[] }).rows;
}

function expectJsonError(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
}

/** Predict through the API and answer, as a reader at `address` (seen only when trustProxy is on). */
async function predictAndAnswer(app: Express, review: string, correct: boolean, address?: string) {
  const withAddress = (req: request.Test) => (address === undefined ? req : req.set('X-Forwarded-For', address));
  const predicted = await withAddress(request(app).post('/api/v1/predict')).send({ review }).expect(200);
  const { predictionId } = predicted.body as { predictionId: string };
  const answered = await withAddress(request(app).post('/api/v1/feedback')).send({ predictionId, correct }).expect(201);
  return answered.body as { reviewId: number; verdict: string; learned: boolean; label: string };
}

const probabilities = (t: TestApp<LogStore>) => PROBE_TEXTS.map((text) => t.learner.positiveProbability(text));

// What the routes do with a request (the token, the parameters, status codes, JSON, what a
// verdict change answers) does not depend on the engine: SQLite only (HTTP_STORE_KINDS). The store
// suites run what is behind them on both (store/console-store.test.ts: feedbackPage's filters,
// words and pages; store/store.test.ts: verdict changes), and durability/moderation.test.ts
// rejects a client through this API, on every worker and through kill -9, on both.
describe.each(HTTP_STORE_KINDS)('on %s', (kind) => {
  const open = useAdminApps(kind);

  describe('the admin API without ADMIN_TOKEN', () => {
    it.each([
      ['GET', '/api/v1/admin/feedback'],
      ['GET', '/api/v1/admin/feedback?verdict=held'],
      ['POST', '/api/v1/admin/feedback/1/accept'],
      ['POST', '/api/v1/admin/feedback/1/reject'],
      ['POST', `/api/v1/admin/clients/${CLIENT_A}/reject`],
    ])('answers %s %s with 404 as JSON, even with a bearer token', async (method, path) => {
      // Arrange
      const t = await open({ adminToken: undefined });
      const id = await t.store.insertReview(POSITIVE_REVIEW, 1, 'api', { client: CLIENT_A });

      // Act
      const res = await request(t.app)[method === 'GET' ? 'get' : 'post'](path).set('Authorization', AUTH);

      // Assert
      expectJsonError(res, 404, 'not_found');
      expect((await t.store.getReview(id))?.verdict).toBe('accepted');
    });
  });

  describe('the admin API’s bearer token', () => {
    it.each([
      ['no Authorization header', undefined],
      ['a wrong token', 'Bearer not-the-admin-token-0123456789'],
      ['the token with a character missing', `Bearer ${TOKEN.slice(0, -1)}`],
      ['the token with a character added', `Bearer ${TOKEN}x`],
      ['the token without the Bearer scheme', TOKEN],
      ['the token as Basic credentials', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
      ['an empty bearer', 'Bearer '],
    ])('answers 401 with WWW-Authenticate for %s, and changes nothing', async (_case, authorization) => {
      const t = await open();
      const id = await t.store.insertReview(POSITIVE_REVIEW, 1, 'api', { client: CLIENT_A });
      const withAuth = (req: request.Test) =>
        authorization === undefined ? req : req.set('Authorization', authorization);

      const responses = [
        await withAuth(request(t.app).get('/api/v1/admin/feedback')),
        await withAuth(request(t.app).post(`/api/v1/admin/feedback/${id}/reject`)),
        await withAuth(request(t.app).post(`/api/v1/admin/clients/${CLIENT_A}/reject`)),
      ];

      for (const res of responses) {
        expectJsonError(res, 401, 'unauthorized');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="/);
      }
      expect((await t.store.getReview(id))?.verdict).toBe('accepted');
    });

    it('lets the right token through', async () => {
      const t = await open();

      const res = await request(t.app).get('/api/v1/admin/feedback').set('Authorization', AUTH);

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ rows: [] });
    });
  });

  describe('GET /api/v1/admin/feedback', () => {
    /** Six rows in a real store: two clients, both labels, every verdict, a '%' and a '_' in the texts. */
    async function withRows() {
      const t = await open();
      const { store } = t;
      const ids = {
        loved: await store.insertReview('I give it 100% because the cast is superb and the story moving.', 1, 'api', {
          client: CLIENT_A,
        }),
        snake: await store.insertReview('The director_cut adds nothing at all worth seeing this time.', 0, 'api', {
          client: CLIENT_A,
        }),
        dull: await store.insertReview(NEGATIVE_REVIEW, 0, 'feedback', { client: CLIENT_B }),
        repeat: await store.insertReview(`${NEGATIVE_REVIEW}!!!`, 1, 'feedback', { client: CLIENT_B }),
        imported: await store.insertReview(POSITIVE_REVIEW, 1, 'import'),
        held: await store.insertReview('The directors cut is far better than the version in cinemas.', 1, 'api', {
          client: CLIENT_B,
        }),
      };
      await store.changeVerdicts([ids.held], 'held', 'held for the test');
      return { t, ids };
    }

    it('lists every row, newest first, with id, review, sentiment, date, verdict and client', async () => {
      const { t, ids } = await withRows();

      const rows = await list(t.app, '');

      expect(rows.map((row) => row.id)).toEqual(Object.values(ids).sort((a, b) => b - a));
      expect(rows.find((row) => row.id === ids.dull)).toMatchObject({
        id: ids.dull,
        review: NEGATIVE_REVIEW,
        sentiment: 0,
        date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        verdict: 'accepted',
        client: CLIENT_B,
      });
      expect(rows.find((row) => row.id === ids.repeat)).toMatchObject({ verdict: 'rejected', sentiment: 1 });
      expect(rows.find((row) => row.id === ids.imported)).toMatchObject({ client: null });
    });

    it.each([
      ['verdict=held', ['held']],
      ['verdict=rejected', ['repeat']],
      ['verdict=accepted', ['imported', 'dull', 'snake', 'loved']],
      [`client=${CLIENT_A}`, ['snake', 'loved']],
      [`client=${CLIENT_B}&verdict=accepted`, ['dull']],
      ['label=positive', ['held', 'imported', 'repeat', 'loved']],
      ['label=1', ['held', 'imported', 'repeat', 'loved']],
      ['label=negative', ['dull', 'snake']],
      ['label=0', ['dull', 'snake']],
      ['q=superb', ['loved']],
      ['q=SUPERB', ['loved']],
      // Words, as the console's full-text search reads them: `_` and `%` separate words, `*` ends a prefix.
      ['q=100', ['loved']],
      ['q=director', ['snake']],
      ['q=director*', ['held', 'snake']],
      ['q=directors%20cut', ['held']],
      ['limit=2', ['held', 'imported']],
    ] as const)('with %s, lists only the matching rows', async (query, names) => {
      const { t, ids } = await withRows();

      const rows = await list(t.app, `?${query}`);

      expect(rows.map((row) => row.id)).toEqual(names.map((name) => ids[name]));
    });

    it.each(['%25', '_', '%20*'])('answers q=%s, which holds no word to search for, with 400', async (q) => {
      const { t } = await withRows();

      const res = await request(t.app).get(`/api/v1/admin/feedback?q=${q}`).set('authorization', `Bearer ${TOKEN}`);

      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/q: .*word/);
    });

    it('with before, lists the rows older than that id: the next page', async () => {
      const { t, ids } = await withRows();
      const firstPage = await list(t.app, '?limit=2');

      const secondPage = await list(t.app, `?limit=2&before=${firstPage.at(-1).id}`);
      const lastPage = await list(t.app, `?limit=2&before=${secondPage.at(-1).id}`);

      expect(secondPage.map((row) => row.id)).toEqual([ids.repeat, ids.dull]);
      expect(lastPage.map((row) => row.id)).toEqual([ids.snake, ids.loved]);
      expect(await list(t.app, `?before=${ids.loved}`)).toEqual([]);
    });

    it.each([
      ['verdict=maybe', /^verdict: /],
      ['verdict=', /^verdict: /],
      ['client=xyz', /^client: /],
      ['client=AAAAAAAAAAAAAAAA', /^client: /],
      ['client=127.0.0.1', /^client: /],
      ['label=happy', /^label: /],
      ['q=', /^q: /],
      [`q=${'x'.repeat(201)}`, /^q: /],
      ['limit=0', /^limit: /],
      ['limit=501', /^limit: /],
      ['limit=1.5', /^limit: /],
      ['limit=ten', /^limit: /],
      ['before=0', /^before: /],
      ['before=-3', /^before: /],
      ['before=abc', /^before: /],
      ['sort=id', /^unknown parameter: sort$/],
      ['verdict=held&page=2', /^unknown parameter: page$/],
    ])('answers 400 for %s, naming the parameter', async (query, message) => {
      const t = await open();

      const res = await request(t.app).get(`/api/v1/admin/feedback?${query}`).set('Authorization', AUTH);

      expectJsonError(res, 400, 'invalid_request');
      expect((res.body as { error: { message: string } }).error.message).toMatch(message);
    });

    it.each([
      ['verdict=held&verdict=accepted'],
      [`client=${CLIENT_A}&client=${CLIENT_B}`],
      ['label=0&label=1'],
      ['q=a&q=b'],
      ['limit=1&limit=2'],
      ['before=1&before=2'],
    ])('answers 400, not a server error, for a repeated parameter (%s)', async (query) => {
      const t = await open();

      const res = await request(t.app).get(`/api/v1/admin/feedback?${query}`).set('Authorization', AUTH);

      expectJsonError(res, 400, 'invalid_request');
    });

    it('answers POST with 405', async () => {
      const t = await open();

      const res = await request(t.app).post('/api/v1/admin/feedback').set('Authorization', AUTH);

      expectJsonError(res, 405, 'method_not_allowed');
    });
  });

  describe('POST /api/v1/admin/feedback/:id/reject', () => {
    it('un-learns an accepted Incorrect answer: every probe probability returns exactly to its value before it', async () => {
      // Arrange
      const t = await open();
      const before = { probe: probabilities(t), review: t.learner.positiveProbability(POSITIVE_REVIEW) };
      const versionBefore = t.learner.modelInfo().version;
      const { reviewId, verdict } = await predictAndAnswer(t.app, POSITIVE_REVIEW, false);
      expect(verdict).toBe('accepted');
      const learned = {
        review: t.learner.positiveProbability(POSITIVE_REVIEW),
        version: t.learner.modelInfo().version,
      };
      expect(learned.review).toBeLessThan(before.review);

      // Act
      const res = await request(t.app).post(`/api/v1/admin/feedback/${reviewId}/reject`).set('Authorization', AUTH);

      // Assert
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ modelVersion: expect.any(String) });
      const { modelVersion } = res.body as { modelVersion: string };
      expect(modelVersion).not.toBe(learned.version);
      expect(modelVersion).not.toBe(versionBefore);
      expect(modelVersion).toBe(t.learner.modelInfo().version);
      expect(t.learner.positiveProbability(POSITIVE_REVIEW)).toBe(before.review);
      expect(probabilities(t)).toEqual(before.probe);
      expect(await t.store.getReview(reviewId)).toMatchObject({ verdict: 'rejected' });
      expect((await list(t.app, '?verdict=rejected')).map((row) => row.id)).toEqual([reviewId]);
    });

    it('answers 404 for an id that names no row, and changes nothing', async () => {
      const t = await open();
      await predictAndAnswer(t.app, POSITIVE_REVIEW, false);
      const version = t.learner.modelInfo().version;

      const responses = [
        await request(t.app).post('/api/v1/admin/feedback/999/reject').set('Authorization', AUTH),
        await request(t.app).post('/api/v1/admin/feedback/999/accept').set('Authorization', AUTH),
      ];

      for (const res of responses) expectJsonError(res, 404, 'not_found');
      expect(t.learner.modelInfo().version).toBe(version);
    });

    it.each([['abc'], ['0'], ['-1'], ['1.5']])('answers 400 for the id %s', async (id) => {
      const t = await open();

      const res = await request(t.app).post(`/api/v1/admin/feedback/${id}/reject`).set('Authorization', AUTH);

      expectJsonError(res, 400, 'invalid_request');
    });

    it('answers GET with 405', async () => {
      const t = await open();

      const res = await request(t.app).get('/api/v1/admin/feedback/1/reject').set('Authorization', AUTH);

      expectJsonError(res, 405, 'method_not_allowed');
      expect(res.headers.allow).toBe('POST');
    });
  });

  describe('POST /api/v1/admin/clients/:client/reject', () => {
    it('rejects every row of that client and only those, un-learning them, and lists them under the client', async () => {
      // Arrange: two readers behind a trusted proxy, told apart by X-Forwarded-For.
      const t = await open({ trustProxy: 'loopback' });
      const attacker = [
        await predictAndAnswer(t.app, POSITIVE_REVIEW, false, '203.0.113.7'),
        await predictAndAnswer(
          t.app,
          'A charming little story about a family and their strange old house.',
          false,
          '203.0.113.7',
        ),
      ];
      const reader = await predictAndAnswer(t.app, NEGATIVE_REVIEW, true, '198.51.100.20');
      const attackerClient = (await t.store.getReview(attacker[0].reviewId))!.client!;
      const readerClient = (await t.store.getReview(reader.reviewId))!.client!;
      expect(attackerClient).not.toBe(readerClient);
      const reference = await open();
      await predictAndAnswer(reference.app, NEGATIVE_REVIEW, true);
      const versionBefore = t.learner.modelInfo().version;

      // Act
      const res = await request(t.app)
        .post(`/api/v1/admin/clients/${attackerClient}/reject`)
        .set('Authorization', AUTH);

      // Assert
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ modelVersion: t.learner.modelInfo().version });
      expect((res.body as { modelVersion: string }).modelVersion).not.toBe(versionBefore);
      const listed = await list(t.app, `?client=${attackerClient}`);
      expect(listed.map((row) => [row.id, row.verdict])).toEqual([
        [attacker[1].reviewId, 'rejected'],
        [attacker[0].reviewId, 'rejected'],
      ]);
      expect(await list(t.app, `?client=${readerClient}`)).toMatchObject([
        { id: reader.reviewId, verdict: 'accepted' },
      ]);
      expect((await list(t.app, '?verdict=rejected')).map((row) => row.client)).toEqual([
        attackerClient,
        attackerClient,
      ]);
      expect(probabilities(t)).toEqual(probabilities(reference));
    });

    it('changes nothing for a client with no rows', async () => {
      const t = await open();
      const { reviewId } = await predictAndAnswer(t.app, POSITIVE_REVIEW, false);
      const before = probabilities(t);

      const res = await request(t.app).post(`/api/v1/admin/clients/${CLIENT_B}/reject`).set('Authorization', AUTH);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ modelVersion: t.learner.modelInfo().version });
      expect(await t.store.getReview(reviewId)).toMatchObject({ verdict: 'accepted' });
      expect(probabilities(t)).toEqual(before);
    });

    it.each([['xyz'], ['AAAAAAAAAAAAAAAA'], ['aaaaaaaaaaaaaaa'], ['127.0.0.1']])(
      'answers 400 for the client %s',
      async (client) => {
        const t = await open();

        const res = await request(t.app).post(`/api/v1/admin/clients/${client}/reject`).set('Authorization', AUTH);

        expectJsonError(res, 400, 'invalid_request');
      },
    );
  });
});

// A verdict change rebuilds the model from a checkpoint and replays the log after it; on
// PostgreSQL both come from the database (databaseCheckpoints, reviewsAfter), and
// learner/undo.test.ts, which pins these rebuilds, runs on SQLite only: both engines.
describe.each(STORE_KINDS)('on %s', (kind) => {
  const open = useAdminApps(kind);

  describe('POST /api/v1/admin/feedback/:id/reject', () => {
    it('un-learns a row in the middle of the log: the model equals one that only ever learned the others', async () => {
      const t = await open();
      const first = await predictAndAnswer(t.app, POSITIVE_REVIEW, false);
      const middle = await predictAndAnswer(
        t.app,
        'The soundtrack was loud and the ending surprised me completely.',
        false,
      );
      const last = await predictAndAnswer(t.app, NEGATIVE_REVIEW, true);
      expect([first.verdict, middle.verdict, last.verdict]).toEqual(['accepted', 'accepted', 'accepted']);
      const reference = await open();
      await predictAndAnswer(reference.app, POSITIVE_REVIEW, false);
      await predictAndAnswer(reference.app, NEGATIVE_REVIEW, true);

      await request(t.app)
        .post(`/api/v1/admin/feedback/${middle.reviewId}/reject`)
        .set('Authorization', AUTH)
        .expect(200);

      expect(probabilities(t)).toEqual(probabilities(reference));
    });
  });

  describe('POST /api/v1/admin/feedback/:id/accept', () => {
    it('learns a held row: the model moves towards its label, as if the row had been accepted when written', async () => {
      // Arrange: one correction a day per client, so the second Incorrect answer is held.
      const t = await open({ moderation: { ...DEFAULT_MODERATION, clientCorrectionsPerDay: 1 } });
      await predictAndAnswer(t.app, POSITIVE_REVIEW, false);
      const held = await predictAndAnswer(t.app, NEGATIVE_REVIEW, false);
      expect(held).toMatchObject({ verdict: 'held', learned: false });
      const before = { p: t.learner.positiveProbability(NEGATIVE_REVIEW), version: t.learner.modelInfo().version };
      const reference = await open({ moderation: { ...DEFAULT_MODERATION, clientCorrectionsPerDay: 0 } });
      await predictAndAnswer(reference.app, POSITIVE_REVIEW, false);
      expect(await predictAndAnswer(reference.app, NEGATIVE_REVIEW, false)).toMatchObject({ verdict: 'accepted' });

      // Act
      const res = await request(t.app)
        .post(`/api/v1/admin/feedback/${held.reviewId}/accept`)
        .set('Authorization', AUTH);

      // Assert
      expect(res.status).toBe(200);
      const { modelVersion } = res.body as { modelVersion: string };
      expect(modelVersion).not.toBe(before.version);
      expect(modelVersion).toBe(t.learner.modelInfo().version);
      expect(t.learner.positiveProbability(NEGATIVE_REVIEW)).toBeGreaterThan(before.p);
      expect(probabilities(t)).toEqual(probabilities(reference));
      expect(await t.store.getReview(held.reviewId)).toMatchObject({ verdict: 'accepted' });
    });

    it('learns a row it had rejected again, and rejecting it once more restores the model exactly', async () => {
      const t = await open();
      const before = probabilities(t);
      const { reviewId } = await predictAndAnswer(t.app, POSITIVE_REVIEW, false);
      const learned = probabilities(t);
      await request(t.app).post(`/api/v1/admin/feedback/${reviewId}/reject`).set('Authorization', AUTH).expect(200);

      await request(t.app).post(`/api/v1/admin/feedback/${reviewId}/accept`).set('Authorization', AUTH).expect(200);
      const reaccepted = probabilities(t);
      await request(t.app).post(`/api/v1/admin/feedback/${reviewId}/reject`).set('Authorization', AUTH).expect(200);

      expect(reaccepted).toEqual(learned);
      expect(probabilities(t)).toEqual(before);
    });
  });
});
