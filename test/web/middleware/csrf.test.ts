import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

import { createCsrf, CSRF_COOKIE } from '../../../src/web/middleware/csrf.js';
import { errorHandler } from '../../../src/web/error-handler.js';

/** A two-route app: GET /form issues a token, POST /submit checks it. */
function csrfApp(secret = 'server-secret-0123456789abcdef0123') {
  const csrf = createCsrf(secret);
  const app = express();
  app.get('/form', (req, res) => {
    res.send(csrf.issue(req, res));
  });
  app.post('/submit', express.urlencoded({ extended: false }), csrf.verify, (_req, res) => {
    res.send('accepted');
  });
  app.use(errorHandler({ development: false }));
  return app;
}

const cookieOf = (res: request.Response): string => res.headers['set-cookie'][0].split(';')[0];

describe('createCsrf', () => {
  it('accepts a token posted with the cookie it was issued for', async () => {
    const app = csrfApp();
    const form = await request(app).get('/form');

    const res = await request(app)
      .post('/submit')
      .set('Cookie', cookieOf(form))
      .type('form')
      .send({ _csrf: form.text });

    expect(res.status).toBe(200);
    expect(res.text).toBe('accepted');
  });

  it('refuses a token made with another server secret (a planted cookie and a guessed token)', async () => {
    const ours = csrfApp('server-secret-0123456789abcdef0123');
    const attackers = csrfApp('another-secret-0123456789abcdef012');
    const planted = await request(attackers).get('/form');

    const res = await request(ours)
      .post('/submit')
      .set('Cookie', cookieOf(planted))
      .type('form')
      .send({ _csrf: planted.text });

    expect(res.status).toBe(403);
  });

  it.each([
    ['a malformed cookie', `${CSRF_COOKIE}=not-base64url!`],
    ['a cookie of another name', `x${CSRF_COOKIE}=AAAAAAAAAAAAAAAAAAAAAA`],
  ])('refuses %s', async (_case, cookie) => {
    const app = csrfApp();
    const form = await request(app).get('/form');

    const res = await request(app).post('/submit').set('Cookie', cookie).type('form').send({ _csrf: form.text });

    expect(res.status).toBe(403);
  });

  it('refuses a token sent twice (an array) or with multi-byte characters', async () => {
    const app = csrfApp();
    const form = await request(app).get('/form');
    const cookie = cookieOf(form);

    const twice = await request(app)
      .post('/submit')
      .set('Cookie', cookie)
      .type('form')
      .send(`_csrf=${form.text}&_csrf=${form.text}`);
    const multiByte = await request(app)
      .post('/submit')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: `${form.text.slice(0, 42)}é` });

    expect(twice.status).toBe(403);
    expect(multiByte.status).toBe(403);
  });

  it('issues one cookie per client and the same token for it every time', async () => {
    const app = csrfApp();
    const first = await request(app).get('/form');

    const again = await request(app)
      .get('/form')
      .set('Cookie', `other=1; ${cookieOf(first)}`);

    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.text).toBe(first.text);
  });
});
