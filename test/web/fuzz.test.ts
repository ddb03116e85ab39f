import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeApp, POSITIVE_REVIEW, type TestApp } from '../helpers/app.js';

/*
 * Hostile and odd requests against the parsers and the validation of every route that takes a
 * body: whatever comes in, the answer is a 2xx or a clear 4xx (never a 5xx), and quick. Bounded
 * to a few seconds: a fixed number of runs with a fixed seed, so a failure can be replayed.
 */

const RUNS = 400;
const SLOWEST_MS = 100;

let t: TestApp;
let server: Server;
let base: string;

beforeAll(async () => {
  t = await makeApp();
  server = createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  // Warm up the code paths (first compilation of templates and handlers is not what is measured).
  for (let k = 0; k < 20; k++) {
    await send({
      path: '/results',
      type: 'application/x-www-form-urlencoded',
      body: `review=${encodeURIComponent(POSITIVE_REVIEW)}`,
    });
    await send({
      path: '/api/v1/predict',
      type: 'application/json',
      body: JSON.stringify({ review: POSITIVE_REVIEW }),
    });
  }
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

interface Sent {
  path: string;
  type: string;
  body: string | Uint8Array;
  encoding?: string;
}

async function send(request: Sent): Promise<{ status: number; ms: number; text: string }> {
  const started = performance.now();
  const res = await fetch(`${base}${request.path}`, {
    method: 'POST',
    headers: {
      'content-type': request.type,
      ...(request.encoding === undefined ? {} : { 'content-encoding': request.encoding }),
    },
    body: request.body,
  });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, text };
}

/** Characters that trouble parsers: separators, escapes, quotes, controls, and text of every script. */
const awkward = fc.oneof(
  fc.constantFrom(
    '&',
    '=',
    '%',
    '%zz',
    '%00',
    '%C3%28',
    '+',
    '"',
    '\\',
    '\u0000',
    '\n',
    '\r\n',
    '\uFEFF',
    '\uD800',
    '😀',
    '好',
    '__proto__',
    'constructor',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const fieldName = fc.oneof(
  fc.constantFrom('review', 'verdict', 'predictionId', '_csrf', '__proto__', 'correct'),
  awkward,
);
const fieldValue = fc.oneof(
  fc.constantFrom(POSITIVE_REVIEW, 'correct', 'incorrect', 'x'.repeat(43), ''),
  fc.string({ unit: awkward, maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('a', '好', '😀', ' ', '\n'), minLength: 9_000, maxLength: 10_500 }),
);

/** A form body: raw pieces joined, fields encoded as a browser would (repeats and all), or thousands of fields. */
const formBody = fc.oneof(
  fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 6 }).map((fields) => new URLSearchParams(fields).toString()),
  fc.array(awkward, { maxLength: 40 }).map((parts) => parts.join('')),
  fc
    .tuple(fc.constantFrom('a', 'verdict', 'review'), fc.integer({ min: 1000, max: 32_000 }), fc.boolean())
    .map(([name, count, distinct]) =>
      Array.from({ length: count }, (_, k) => (distinct ? `${name}${k}=` : name)).join('&'),
    ),
);

/** A JSON body: any JSON value, an object with the API's fields of any type, or something that is not JSON. */
const jsonBody = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        review: fc.oneof(fieldValue, fc.jsonValue({ maxDepth: 2 })),
        predictionId: fc.oneof(fc.uuid(), fc.jsonValue({ maxDepth: 1 }), fieldValue),
        correct: fc.jsonValue({ maxDepth: 1 }),
        extra: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.array(awkward, { maxLength: 40 }).map((parts) => `{${parts.join('')}`),
);

const contentType = (proper: string) =>
  fc.oneof(
    fc.constant(proper),
    fc.constant(`${proper}; charset=utf-8`),
    fc.constantFrom(
      `${proper}; charset=latin1`,
      `${proper}; charset=utf-16`,
      `${proper}; charset=base64`,
      'text/plain',
      'multipart/form-data',
      'application/x-www-form-urlencoded',
      'application/json',
      '',
    ),
  );

/** Sometimes the body is compressed, or claims to be and is not. */
const withEncoding = (request: Sent) =>
  fc
    .constantFrom<'none' | 'gzip' | 'fake-gzip' | 'br' | 'unknown'>(
      'none',
      'none',
      'none',
      'gzip',
      'fake-gzip',
      'br',
      'unknown',
    )
    .map((how): Sent => {
      if (how === 'none') return request;
      if (how === 'gzip') return { ...request, body: gzipSync(request.body), encoding: 'gzip' };
      if (how === 'unknown') return { ...request, encoding: 'x-squash' };
      return { ...request, encoding: how === 'fake-gzip' ? 'gzip' : 'br' };
    });

const requests = fc
  .oneof(
    fc.record({
      path: fc.constantFrom('/results', '/thanks'),
      type: contentType('application/x-www-form-urlencoded'),
      body: formBody,
    }),
    fc.record({
      path: fc.constantFrom('/api/v1/predict', '/api/v1/feedback'),
      type: contentType('application/json'),
      body: jsonBody,
    }),
  )
  .chain(withEncoding);

describe('fuzzing the body parsers and the validation', () => {
  it(
    `answers every request with a 2xx or a 4xx, never a 5xx, each within ${SLOWEST_MS} ms`,
    { timeout: 60_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(requests, async (request) => {
          const res = await send(request);
          expect(res.status, `${request.path}: ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(200);
          expect(res.status, `${request.path}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
          // A slow answer is sent twice more and the fastest counts: an input the server handles
          // slowly (a quadratic parse) is slow every time; a busy test machine is not.
          let fastest = res.ms;
          for (let again = 0; again < 2 && fastest >= SLOWEST_MS; again++)
            fastest = Math.min(fastest, (await send(request)).ms);
          expect(fastest).toBeLessThan(SLOWEST_MS);
        }),
        { numRuns: RUNS, seed: 20261129, endOnFailure: true },
      );
    },
  );
});
