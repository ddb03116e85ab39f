import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

import { createMetrics, type Metrics } from '../../src/metrics/index.js';
import { makeApp, POSITIVE_REVIEW, type TestApp } from '../helpers/app.js';

const TOKEN = 'admin-token-0123456789abcdef';
let t: TestApp;
afterEach(() => t.close());

/** The request counts of the registry: "METHOD route status" -> count. */
async function requestCounts(metrics: Metrics): Promise<Record<string, number>> {
  const [histogram] = (await metrics.registry.getMetricsAsJSON()).filter(
    (m) => m.name === 'movieclassifier_http_request_duration_seconds',
  );
  const counts: Record<string, number> = {};
  for (const value of (histogram?.values ?? []) as Array<{
    metricName?: string;
    labels: Record<string, string | number>;
    value: number;
  }>) {
    if (value.metricName !== 'movieclassifier_http_request_duration_seconds_count') continue;
    counts[`${value.labels.method} ${value.labels.route} ${value.labels.status}`] = value.value;
  }
  return counts;
}

describe('request metrics', () => {
  it('label each request with its route pattern, also when the route answered with an error (400, 401, 404, 429)', async () => {
    const metrics = createMetrics();
    t = await makeApp({
      metrics,
      config: { adminToken: TOKEN, rateLimit: { enabled: true, predictPerMinute: 1, feedbackPerMinute: 10 } },
    });
    const admin = { authorization: `Bearer ${TOKEN}` };

    await request(t.app).post('/results').type('form').send({ review: POSITIVE_REVIEW }).expect(200);
    await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(429);
    await request(t.app).post('/api/v1/admin/feedback/12/accept').set(admin).expect(404);
    await request(t.app).post('/api/v1/admin/feedback/13/reject').set(admin).expect(404);
    await request(t.app).post('/api/v1/admin/feedback/x/reject').set(admin).expect(400);
    await request(t.app).get('/api/v1/admin/feedback').expect(401);
    await request(t.app).get('/api/v1/admin/feedback?limit=2').set(admin).expect(200);
    await request(t.app).get('/healthz').expect(200);

    expect(await requestCounts(metrics)).toEqual({
      'POST /results 200': 1,
      'POST /api/v1/predict 429': 1,
      'POST /api/v1/admin/feedback/:id/accept 404': 1,
      'POST /api/v1/admin/feedback/:id/reject 404': 1,
      'POST /api/v1/admin/feedback/:id/reject 400': 1,
      // The bearer check runs before any route of the admin router: no route took it.
      'GET unmatched 401': 1,
      'GET /api/v1/admin/feedback 200': 1,
      'GET /healthz 200': 1,
    });
  });
});
