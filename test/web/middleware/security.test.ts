import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { makeApp, POSITIVE_REVIEW, type TestApp } from '../../helpers/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

describe('security headers', () => {
  it.each([
    ['GET', '/'],
    ['POST', '/results'],
    ['GET', '/healthz'],
    ['GET', '/no-such-page'],
  ])(
    '%s %s carries a CSP that allows no inline script or style, and the other helmet headers',
    async (method, path) => {
      const req =
        method === 'GET'
          ? request(t.app).get(path)
          : request(t.app).post(path).type('form').send({ review: POSITIVE_REVIEW });

      const res = await req;

      const csp = res.headers['content-security-policy'] ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'none'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
    },
  );

  it('sets every header helmet sets, with its values', async () => {
    const res = await request(t.app).get('/');

    expect(res.headers).toMatchObject({
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    });
  });
});

describe('Strict-Transport-Security', () => {
  it('is not sent over plain HTTP', async () => {
    const res = await request(t.app).get('/');

    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('is not sent for an X-Forwarded-Proto: https that no trusted proxy set (TRUST_PROXY off)', async () => {
    const res = await request(t.app).get('/').set('X-Forwarded-Proto', 'https');

    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('is sent, for 365 days with subdomains, when a trusted proxy says the request came over HTTPS', async () => {
    const behindProxy = await makeApp({ config: { trustProxy: 'loopback' } });
    try {
      const res = await request(behindProxy.app).get('/').set('X-Forwarded-Proto', 'https');

      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await behindProxy.close();
    }
  });
});

describe('request bodies', () => {
  it('answers a form over its body limit with 413 and the error page, and stores nothing', async () => {
    const res = await request(t.app)
      .post('/results')
      .type('form')
      .send({ review: 'a'.repeat(100_000) });

    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('That review is too long');
    expect(await t.store.countReviews()).toBe(0);
  });

  it.each([
    ['JSON', 'json', JSON.stringify({ review: POSITIVE_REVIEW })],
    ['plain text', 'text/plain', POSITIVE_REVIEW],
  ])('answers a %s body on a page with 415 and the error page', async (_case, type, body) => {
    const res = await request(t.app).post('/results').type(type).send(body);

    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Unsupported form encoding');
  });

  it('answers a multipart form on a page with 415', async () => {
    const res = await request(t.app).post('/results').field('review', POSITIVE_REVIEW);

    expect(res.status).toBe(415);
  });
});

describe('routes that do not exist', () => {
  it.each(['/admin', '/results/1', '/api', '/static/', '/static/../package.json', '/views/pages/index.njk'])(
    'GET %s answers 404 with the error page in the layout',
    async (path) => {
      const res = await request(t.app).get(path);

      expect(res.status).toBe(404);
      expect(res.text).toContain('Page not found');
      expect(res.text).toContain('<a class="site-name" href="/">');
      expect(res.text).not.toContain('"name": "movieclassifier"');
    },
  );

  it('answers an unknown /api/ path with a JSON 404 naming the endpoint', async () => {
    const res = await request(t.app).get('/api/v2/predict');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no endpoint GET /api/v2/predict' } });
  });

  it('answers a JSON-only client with a JSON 404', async () => {
    const res = await request(t.app).get('/nowhere').set('Accept', 'application/json');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it.each([
    ['DELETE', '/'],
    ['PUT', '/results'],
    ['PATCH', '/thanks'],
  ])('%s %s answers 405', async (method, path) => {
    const res = await request(t.app)[method.toLowerCase() as 'delete' | 'put' | 'patch'](path);

    expect(res.status).toBe(405);
    expect(res.headers.allow).toBeDefined();
  });
});
