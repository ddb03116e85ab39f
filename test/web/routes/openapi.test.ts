import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { OPENAPI_DOCUMENT } from '../../../src/web/openapi.js';
import { makeApp, NEGATIVE_REVIEW, POSITIVE_REVIEW, type TestApp } from '../../helpers/app.js';
import { expectMatchesOpenApi, expressRoutes, openApiPath } from '../../helpers/openapi.js';

const TOKEN = 'test-admin-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
let t: TestApp;
afterEach(() => t.close());

describe('GET /api/v1/openapi.json', () => {
  it('serves the description, which an OpenAPI 3.1 validator accepts', async () => {
    t = await makeApp();

    const res = await request(t.app).get('/api/v1/openapi.json').expect(200);

    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
    const validator = new Validator();
    const result = await validator.validate(res.body as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route the app has under /api/v1, with its method', async () => {
    t = await makeApp({ config: { adminToken: TOKEN } });

    const routes = expressRoutes(t.app).filter(([, path]) => path.startsWith('/api/v1/'));

    expect(routes.length).toBeGreaterThanOrEqual(7);
    const paths = OPENAPI_DOCUMENT.paths as unknown as Record<string, Record<string, unknown>>;
    for (const [method, path] of routes) {
      const described = openApiPath(path.slice('/api/v1'.length));
      expect(paths[described]?.[method.toLowerCase()], `${method} ${path}`).toBeDefined();
    }
    // and nothing that is not there
    const described = Object.entries(paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} /api/v1${path}`),
    );
    expect(described.sort()).toEqual(routes.map(([method, path]) => `${method} ${openApiPath(path)}`).sort());
  });
});

describe("the API's real answers match their schemas", () => {
  it('for predictions and feedback, errors included', async () => {
    t = await makeApp({ config: { adminToken: TOKEN } });
    const api = request(t.app);
    const check = (res: request.Response, method: string, path: string) => expectMatchesOpenApi(res, method, path);

    const predicted = await api.post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(200);
    check(predicted, 'POST', '/predict');
    check(await api.post('/api/v1/predict').send({ review: 'short' }).expect(400), 'POST', '/predict');
    check(
      await api.post('/api/v1/predict').send({ review: POSITIVE_REVIEW, extra: 1 }).expect(400),
      'POST',
      '/predict',
    );
    check(await api.post('/api/v1/predict').type('text/plain').send(POSITIVE_REVIEW).expect(415), 'POST', '/predict');
    check(
      await api
        .post('/api/v1/predict')
        .send({ review: 'a'.repeat(100_000) })
        .expect(413),
      'POST',
      '/predict',
    );
    check(await api.get('/api/v1/predict').expect(405), 'POST', '/predict');
    const id = (predicted.body as { predictionId: string }).predictionId;
    check(
      await api.post('/api/v1/feedback').send({ predictionId: id, correct: false }).expect(201),
      'POST',
      '/feedback',
    );
    check(
      await api.post('/api/v1/feedback').send({ predictionId: id, correct: false }).expect(409),
      'POST',
      '/feedback',
    );
    check(
      await api.post('/api/v1/feedback').send({ predictionId: 'no-such-id', correct: true }).expect(404),
      'POST',
      '/feedback',
    );
    check(
      await api.post('/api/v1/feedback').send({ predictionId: id, correct: 'yes' }).expect(400),
      'POST',
      '/feedback',
    );
    vi.spyOn(t.learner, 'predict').mockRejectedValue(new Error('a fault'));
    check(await api.post('/api/v1/predict').send({ review: NEGATIVE_REVIEW }).expect(500), 'POST', '/predict');
  });

  it('for the rate limit', async () => {
    t = await makeApp({ config: { rateLimit: { enabled: true, predictPerMinute: 1, feedbackPerMinute: 1 } } });

    await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(200);
    const res = await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(429);

    expectMatchesOpenApi(res, 'POST', '/predict');
  });

  it('for the admin API', async () => {
    t = await makeApp({ config: { adminToken: TOKEN } });
    const api = request(t.app);
    const check = (res: request.Response, method: string, path: string) => expectMatchesOpenApi(res, method, path);
    const predicted = await api.post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(200);
    const recorded = await api
      .post('/api/v1/feedback')
      .send({ predictionId: (predicted.body as { predictionId: string }).predictionId, correct: true })
      .expect(201);
    const row = (recorded.body as { reviewId: number }).reviewId;

    const list = await api.get('/api/v1/admin/feedback').set(AUTH).expect(200);
    expect((list.body as { rows: unknown[] }).rows).toHaveLength(1);
    check(list, 'GET', '/admin/feedback');
    check(await api.get('/api/v1/admin/feedback?limit=0').set(AUTH).expect(400), 'GET', '/admin/feedback');
    check(await api.get('/api/v1/admin/feedback').expect(401), 'GET', '/admin/feedback');
    check(
      await api.post(`/api/v1/admin/feedback/${row}/reject`).set(AUTH).expect(200),
      'POST',
      '/admin/feedback/{id}/reject',
    );
    check(
      await api.post(`/api/v1/admin/feedback/${row}/accept`).set(AUTH).expect(200),
      'POST',
      '/admin/feedback/{id}/accept',
    );
    check(
      await api.post('/api/v1/admin/feedback/999/accept').set(AUTH).expect(404),
      'POST',
      '/admin/feedback/{id}/accept',
    );
    check(
      await api.post('/api/v1/admin/feedback/x/reject').set(AUTH).expect(400),
      'POST',
      '/admin/feedback/{id}/reject',
    );
    const client = (list.body as { rows: Array<{ client: string }> }).rows[0].client;
    check(
      await api.post(`/api/v1/admin/clients/${client}/reject`).set(AUTH).expect(200),
      'POST',
      '/admin/clients/{client}/reject',
    );
    check(
      await api.post('/api/v1/admin/clients/nothex/reject').set(AUTH).expect(400),
      'POST',
      '/admin/clients/{client}/reject',
    );
  });
});
