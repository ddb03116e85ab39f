import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

import express, { type ErrorRequestHandler } from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  FORM_BODY_LIMIT,
  JSON_BODY_LIMIT,
  readFormText,
  readJson,
} from '../../../src/web/middleware/request-parsing.js';

/** An app that reads the body with `reader` and answers what it read (or the error's status). */
function echoApp(reader: express.RequestHandler): express.Express {
  const app = express();
  app.post('/', reader, (req, res) => {
    res.json({ body: req.body as unknown });
  });
  const answerError: ErrorRequestHandler = (error: { status?: number; type?: string }, _req, res, _next) => {
    res.status(error.status ?? 500).json({ status: error.status ?? 500, type: error.type });
  };
  app.use(answerError);
  return app;
}

interface Sent {
  headers: Record<string, string>;
  /** Written in these pieces, so a character can be split between two of them. */
  pieces: Buffer[];
}

function post(server: Server, sent: Sent): Promise<{ status: number; body: string }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: sent.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const piece of sent.pieces) req.write(piece);
    req.end();
  });
}

let direct: Server;
let bodyParser: Server;
let directJson: Server;
let bodyParserJson: Server;
beforeAll(async () => {
  const listen = (app: express.Express) =>
    new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
  direct = await listen(echoApp(readFormText()));
  bodyParser = await listen(
    echoApp(express.text({ limit: FORM_BODY_LIMIT, type: 'application/x-www-form-urlencoded' })),
  );
  directJson = await listen(echoApp(readJson()));
  bodyParserJson = await listen(
    echoApp(express.json({ limit: JSON_BODY_LIMIT, strict: true, type: 'application/json' })),
  );
});
afterAll(() => {
  for (const server of [direct, bodyParser, directJson, bodyParserJson]) server.close();
});

const FORM = 'application/x-www-form-urlencoded';

/** Bytes a form body may hold: ASCII, valid multi-byte UTF-8, and invalid sequences. */
const bodyBytes = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 20 }).map((text) => Buffer.from(text, 'utf8')),
      fc.constantFrom('é', '好', '😀', '\uFEFF', '%E4%B8%AD', '&', '=', '+').map((text) => Buffer.from(text, 'utf8')),
      fc.uint8Array({ minLength: 1, maxLength: 4 }).map((bytes) => Buffer.from(bytes)),
    ),
    { maxLength: 30 },
  )
  .map((parts) => Buffer.concat(parts));

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces.filter((piece) => piece.length > 0);
}

describe('reading a form body directly', () => {
  it('reads every plain UTF-8 form as body-parser does, however the bytes are split', async () => {
    await fc.assert(
      fc.asyncProperty(
        bodyBytes,
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.constantFrom(FORM, `${FORM}; charset=utf-8`, `${FORM}; charset=UTF-8`, 'Application/X-WWW-Form-Urlencoded'),
        async (bytes, cuts, type) => {
          const sent = {
            headers: { 'content-type': type, 'content-length': String(bytes.length) },
            pieces: split(bytes, cuts),
          };
          const [ours, theirs] = await Promise.all([post(direct, sent), post(bodyParser, sent)]);
          expect(ours).toEqual(theirs);
          expect(ours.status).toBe(200);
        },
      ),
      { numRuns: 150 },
    );
  });

  it.each<[string, Sent]>([
    [
      'a leading byte-order mark',
      { headers: { 'content-type': FORM, 'content-length': '9' }, pieces: [Buffer.from('\uFEFFreview', 'utf8')] },
    ],
    [
      'a gzip body',
      { headers: { 'content-type': FORM, 'content-encoding': 'gzip' }, pieces: [gzipSync('review=a+b')] },
    ],
    [
      'a chunked body',
      {
        headers: { 'content-type': FORM, 'transfer-encoding': 'chunked' },
        pieces: [Buffer.from('review='), Buffer.from('ab')],
      },
    ],
    [
      'a latin1 body',
      {
        headers: { 'content-type': `${FORM}; charset=latin1`, 'content-length': '8' },
        pieces: [Buffer.from('review=\xe9', 'latin1')],
      },
    ],
    [
      'an unknown charset',
      {
        headers: { 'content-type': `${FORM}; charset=x-klingon`, 'content-length': '8' },
        pieces: [Buffer.from('review=a')],
      },
    ],
    [
      'a body over the limit',
      {
        headers: { 'content-type': FORM, 'content-length': String(FORM_BODY_LIMIT + 1) },
        pieces: [Buffer.alloc(FORM_BODY_LIMIT + 1, 97)],
      },
    ],
    [
      'another content type',
      { headers: { 'content-type': 'text/plain', 'content-length': '3' }, pieces: [Buffer.from('a=b')] },
    ],
    ['an empty body', { headers: { 'content-type': FORM, 'content-length': '0' }, pieces: [] }],
  ])('answers %s as body-parser does', async (_case, sent) => {
    const [ours, theirs] = await Promise.all([post(direct, sent), post(bodyParser, sent)]);

    expect(ours).toEqual(theirs);
  });
});

const JSON_TYPE = 'application/json';

/** JSON bodies: objects, arrays, scalars (refused in strict mode), broken text, whitespace and marks around them. */
const jsonBytes = fc
  .tuple(
    fc.constantFrom('', ' ', '\n\t ', '\uFEFF', '\uFEFF '),
    fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.dictionary(fc.string(), fc.jsonValue()).map((value) => JSON.stringify(value)),
      fc.constantFrom('', '{', '{"review": "abc"', '[1,]', '{"a": 1} x', 'null', '"text"', '42', 'tru', '{"é": "😀"}'),
      fc.string({ maxLength: 20 }),
    ),
    fc.constantFrom('', ' ', '\r\n'),
  )
  .map(([before, text, after]) => Buffer.from(before + text + after, 'utf8'));

describe('reading a JSON body directly', () => {
  it('parses every plain UTF-8 body as body-parser does (strict: objects and arrays), however the bytes are split', async () => {
    await fc.assert(
      fc.asyncProperty(
        jsonBytes,
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.constantFrom(JSON_TYPE, `${JSON_TYPE}; charset=utf-8`, 'Application/JSON'),
        async (bytes, cuts, type) => {
          const sent = {
            headers: { 'content-type': type, 'content-length': String(bytes.length) },
            pieces: split(bytes, cuts),
          };
          const [ours, theirs] = await Promise.all([post(directJson, sent), post(bodyParserJson, sent)]);
          expect(ours).toEqual(theirs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each<[string, Sent]>([
    [
      'a gzip body',
      { headers: { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' }, pieces: [gzipSync('{"review":"a"}')] },
    ],
    [
      'a latin1 body',
      {
        headers: { 'content-type': `${JSON_TYPE}; charset=latin1`, 'content-length': '2' },
        pieces: [Buffer.from('{}')],
      },
    ],
    [
      'a body over the limit',
      {
        headers: { 'content-type': JSON_TYPE, 'content-length': String(JSON_BODY_LIMIT + 1) },
        pieces: [Buffer.alloc(JSON_BODY_LIMIT + 1, 32)],
      },
    ],
    ['an empty body', { headers: { 'content-type': JSON_TYPE, 'content-length': '0' }, pieces: [] }],
  ])('answers %s as body-parser does', async (_case, sent) => {
    const [ours, theirs] = await Promise.all([post(directJson, sent), post(bodyParserJson, sent)]);

    expect(ours).toEqual(theirs);
  });
});
