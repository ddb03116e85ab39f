import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { makeApp, POSITIVE_REVIEW, type TestApp } from '../../helpers/app.js';

let t: TestApp;
afterEach(() => t.close());

interface LogLine {
  msg: string;
  reqId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

describe('request log', () => {
  it('writes one line per request with method, path, status and time, and never the review text', async () => {
    const lines: string[] = [];
    t = await makeApp({ logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) });

    await request(t.app).post('/results?from=test').type('form').send({ review: POSITIVE_REVIEW }).expect(200);
    await request(t.app).get('/missing').expect(404);

    await vi.waitFor(() => expect(lines).toHaveLength(2));
    const logged = lines.map((line) => JSON.parse(line) as LogLine);
    expect(logged).toMatchObject([
      { msg: 'request', method: 'POST', path: '/results', status: 200, ms: expect.any(Number) },
      { msg: 'request', method: 'GET', path: '/missing', status: 404 },
    ]);
    expect(lines.join('')).not.toContain('wonderful');
  });

  it('puts a request id on each line, sends it as X-Request-Id, and keeps a sane incoming one', async () => {
    const lines: string[] = [];
    t = await makeApp({ logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) });

    const made = await request(t.app).get('/').expect(200);
    const kept = await request(t.app).get('/missing').set('X-Request-Id', 'proxy-7f3a.1:2').expect(404);
    const replaced = await request(t.app).get('/').set('X-Request-Id', 'bad id\twith "quotes"').expect(200);
    const tooLong = await request(t.app).get('/').set('X-Request-Id', 'a'.repeat(129)).expect(200);

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(made.headers['x-request-id']).toMatch(uuid);
    expect(kept.headers['x-request-id']).toBe('proxy-7f3a.1:2');
    expect(replaced.headers['x-request-id']).toMatch(uuid);
    expect(tooLong.headers['x-request-id']).toMatch(uuid);
    await vi.waitFor(() => expect(lines).toHaveLength(4));
    const ids = lines.map((line) => (JSON.parse(line) as LogLine).reqId);
    expect(ids).toEqual([made, kept, replaced, tooLong].map((res) => res.headers['x-request-id']));
  });

  it('puts the request id on the error line of a failed request too', async () => {
    const lines: string[] = [];
    t = await makeApp({ logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) });
    // A fault injected as test/web/errors.test.ts does: the learner throws.
    vi.spyOn(t.learner, 'predict').mockRejectedValue(new Error('the learner broke'));

    const res = await request(t.app).post('/api/v1/predict').send({ review: POSITIVE_REVIEW }).expect(500);

    await vi.waitFor(() => expect(lines).toHaveLength(2));
    const logged = lines.map((line) => JSON.parse(line) as LogLine);
    expect(logged.map((line) => [line.msg, line.reqId])).toEqual([
      ['request failed', res.headers['x-request-id']],
      ['request', res.headers['x-request-id']],
    ]);
  });

  it('writes nothing when the level is above info', async () => {
    const lines: string[] = [];
    t = await makeApp({ logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }) });

    await request(t.app).get('/').expect(200);

    expect(lines).toEqual([]);
  });
});
