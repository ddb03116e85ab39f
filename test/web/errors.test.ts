import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { makeApp, POSITIVE_REVIEW, TEST_CSRF_SECRET, testConfig, type TestApp } from '../helpers/app.js';

let t: TestApp;
afterEach(() => t.close());

const SECRET_DETAIL = 'disk full at /var/secret/reviews.sqlite';

function breakPredictions(app: TestApp): void {
  vi.spyOn(app.learner, 'predict').mockImplementation(() => {
    throw new Error(SECRET_DETAIL);
  });
}

describe('errors inside a request', () => {
  it('outside development, render a 500 page without the message or the stack', async () => {
    t = await makeApp({ config: { nodeEnv: 'production', production: true, development: false } });
    breakPredictions(t);

    const res = await request(t.app).post('/results').type('form').send({ review: POSITIVE_REVIEW });

    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Something went wrong');
    expect(res.text).not.toContain(SECRET_DETAIL);
    expect(res.text).not.toContain('data-qa="error-stack"');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('outside development, answer the API with a JSON 500 that hides the cause', async () => {
    t = await makeApp();
    breakPredictions(t);

    const res = await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW });

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(JSON.stringify(res.body)).not.toContain(SECRET_DETAIL);
  });

  it('in development, show the stack on the error page', async () => {
    t = await makeApp({ config: { nodeEnv: 'development', production: false, development: true } });
    breakPredictions(t);

    const res = await request(t.app).post('/results').type('form').send({ review: POSITIVE_REVIEW });

    expect(res.status).toBe(500);
    expect(res.text).toContain('data-qa="error-stack"');
    expect(res.text).toContain(SECRET_DETAIL);
  });

  it('logs a 500 with its cause for the operator', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    t = await makeApp({ logger });
    breakPredictions(t);

    await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(500);

    const logged = lines.map((line) => JSON.parse(line) as { msg: string; err?: { message: string }; path?: string });
    expect(logged).toMatchObject([{ msg: 'request failed', path: '/api/v1/predict', err: { message: SECRET_DETAIL } }]);
  });

  it('when the error page itself cannot be rendered, still answers with the status, in plain text', async () => {
    // Development re-reads templates on each render, so a broken error page fails on the request.
    const viewsDir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-views-'));
    cpSync(testConfig().viewsDir, viewsDir, { recursive: true });
    writeFileSync(path.join(viewsDir, 'pages/error.njk'), '{% if %}');
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    t = await makeApp({ logger, config: { viewsDir, nodeEnv: 'development', production: false, development: true } });

    const res = await request(t.app).get('/missing');

    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('404 Page not found\nThere is no page at this address.\n');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      'the error page could not be rendered',
    ]);
    rmSync(viewsDir, { recursive: true, force: true });
  });
});

describe('errors of unreadable bodies', () => {
  it.each([
    ['gzip', 'Z_DATA_ERROR'],
    ['br', 'ERR__ERROR_FORMAT_PADDING_1'],
  ])('answer a body that does not decompress as %s with 400 and our own code, not %s', async (encoding, internal) => {
    t = await makeApp();

    const res = await request(t.app)
      .post('/api/v1/predict')
      .set('content-type', 'application/json')
      .set('content-encoding', encoding)
      .send('not compressed at all');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
    expect(JSON.stringify(res.body)).not.toContain(internal);
    expect(JSON.stringify(res.body)).not.toMatch(/incorrect header check|Decompression failed/);
  });
});

describe('pages of a server started without NODE_ENV', () => {
  it('show no stack trace and no file path on a 404', async () => {
    t = await makeApp({ config: { ...loadConfig({}), csrfSecret: TEST_CSRF_SECRET, logLevel: 'silent' } });

    const res = await request(t.app).get('/no/such/page');

    expect(res.status).toBe(404);
    expect(res.text).not.toContain('data-qa="error-stack"');
    expect(res.text).not.toContain(process.cwd());
  });
});
