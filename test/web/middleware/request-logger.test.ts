import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { makeApp, POSITIVE_REVIEW, type TestApp } from '../../helpers/app.js';

let t: TestApp;
afterEach(() => t.close());

interface LogLine {
  msg: string;
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

  it('writes nothing when the level is above info', async () => {
    const lines: string[] = [];
    t = await makeApp({ logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }) });

    await request(t.app).get('/').expect(200);

    expect(lines).toEqual([]);
  });
});
