import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

import { createApp } from '../../../src/web/app.js';
import { hiddenField, makeApp, POSITIVE_REVIEW, testConfig, type TestApp } from '../../helpers/app.js';
import { logStores, type StoreKind } from '../../helpers/log-stores.js';
import { HTTP_STORE_KINDS } from '../../helpers/stores.js';
import { consoleApp, loginToken, pageToken, PASSWORD, setCookies, signIn, type ConsoleAppOptions } from './helpers.js';

const kinds = logStores();
/** The engines of the tests about the routes themselves (HTTP_STORE_KINDS): SQLite. */
const routeKinds = kinds.filter((kind) => HTTP_STORE_KINDS.includes(kind.name));
const apps: TestApp[] = [];
afterEach(async () => {
  for (const t of apps.splice(0)) await t.close();
});

const CLIENT = 'aaaaaaaaaaaaaaaa';

/** Every console route, as [method, path]. */
const ROUTES: [string, string][] = [
  ['GET', '/admin'],
  ['GET', '/admin/feedback'],
  ['GET', '/admin/feedback?verdict=held'],
  ['POST', '/admin/feedback/1/accept'],
  ['POST', '/admin/feedback/1/reject'],
  ['GET', '/admin/clients'],
  ['GET', `/admin/clients/${CLIENT}/reject`],
  ['POST', `/admin/clients/${CLIENT}/reject`],
  ['GET', '/admin/model'],
  ['GET', '/admin/model/rollback?checkpoint=x'],
  ['POST', '/admin/model/rollback'],
  ['GET', '/admin/export.csv'],
];

const call = (agent: request.SuperTest<request.Test> | request.Agent, method: string, path: string) =>
  method === 'GET' ? agent.get(path) : agent.post(path).type('form').send({});

// The store plays no part here (no console is mounted): SQLite only.
describe('the console without ADMIN_PASSWORD', () => {
  it.each([...ROUTES, ['GET', '/admin/login'], ['POST', '/admin/login'], ['POST', '/admin/logout']])(
    'answers %s %s with 404, like any unknown page',
    async (method, path) => {
      const t = await makeApp({ config: { adminPassword: undefined } });
      apps.push(t);

      const res = await call(request(t.app), method, path);

      expect(res.status).toBe(404);
      expect(res.text).toContain('There is no page at this address.');
    },
  );
});

// Redirects, the sign-in form, cookies, CSRF, sessions' signatures and the pages' headers do not
// depend on the engine: SQLite only. The store calls behind them (login failures counted and
// forgotten, signed-out sessions) run on both engines in store/console-store.test.ts.
describe.each(routeKinds)('the console on $name', (kind: StoreKind) => {
  const open = (options?: ConsoleAppOptions) => consoleApp(kind, options);

  describe('the console when signed out', () => {
    it.each(ROUTES)('redirects %s %s to the sign-in page and changes nothing', async (method, path) => {
      // Arrange
      const t = await open();
      const id = await t.store.insertReview(POSITIVE_REVIEW, 1, 'api', { client: CLIENT });
      const version = t.learner.modelInfo().version;

      // Act
      const res = await call(request(t.app), method, path);

      // Assert
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(
        method === 'GET' ? `/admin/login?next=${encodeURIComponent(path)}` : '/admin/login',
      );
      expect((await t.store.getReview(id))?.verdict).toBe('accepted');
      expect(t.learner.modelInfo().version).toBe(version);
    });

    it('shows the sign-in form, and signing in goes back to the page asked for', async () => {
      const t = await open();
      const agent = request.agent(t.app);

      const form = await agent.get('/admin/login?next=%2Fadmin%2Fclients%3Forder%3Dheld').expect(200);
      const signedIn = await agent
        .post('/admin/login')
        .type('form')
        .send({ _csrf: hiddenField(form.text, '_csrf'), next: hiddenField(form.text, 'next'), password: PASSWORD });

      expect(form.headers['content-type']).toMatch(/^text\/html/);
      expect(form.text).toContain('<input type="password" id="password" name="password"');
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.location).toBe('/admin/clients?order=held');
      await agent.get('/admin/clients?order=held').expect(200);
    });

    it.each([
      'https://evil.example/',
      '//evil.example/admin',
      '/admin\\@evil.example',
      '/elsewhere',
      'javascript:alert(1)',
    ])('does not send the operator to %s after signing in', async (next) => {
      const t = await open();
      const agent = request.agent(t.app);
      const _csrf = await loginToken(agent);

      const res = await agent.post('/admin/login').type('form').send({ _csrf, next, password: PASSWORD });

      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/admin');
    });
  });

  describe('POST /admin/login', () => {
    it('sets a signed, HttpOnly, SameSite=Strict session cookie for /admin that lasts ADMIN_SESSION_HOURS', async () => {
      const t = await open({ config: { adminSessionHours: 2 } });
      const agent = request.agent(t.app);
      const _csrf = await loginToken(agent);

      const res = await agent.post('/admin/login').type('form').send({ _csrf, password: PASSWORD });

      const cookie = setCookies(res).get('mc_admin')!;
      expect(cookie).toMatch(/^mc_admin=v1\.\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43};/);
      expect(cookie).toContain('Path=/admin');
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).toContain('Max-Age=7200');
      expect(cookie).not.toContain('Secure');
    });

    it('marks the cookie Secure when a trusted proxy says the request came over HTTPS', async () => {
      // The cookies are Secure too, so they are passed by hand: a client over plain HTTP would not send them.
      const t = await open({ config: { trustProxy: 'loopback' } });
      const page = await request(t.app).get('/admin/login').set('X-Forwarded-Proto', 'https').expect(200);
      const csrfCookie = setCookies(page).get('mc_csrf')!;

      const res = await request(t.app)
        .post('/admin/login')
        .set('X-Forwarded-Proto', 'https')
        .set('Cookie', csrfCookie.split(';')[0])
        .type('form')
        .send({ _csrf: hiddenField(page.text, '_csrf'), password: PASSWORD });

      expect(csrfCookie).toContain('; Secure');
      expect(res.status).toBe(303);
      expect(setCookies(res).get('mc_admin')).toContain('; Secure');
    });

    it('answers a wrong password with 401, the form again and the tries left, and no cookie', async () => {
      const t = await open();
      const agent = request.agent(t.app);
      const _csrf = await loginToken(agent);

      const res = await agent
        .post('/admin/login')
        .type('form')
        .send({ _csrf, password: 'correct horse battery stapler' });

      expect(res.status).toBe(401);
      expect(res.text).toContain('That password is not right. 4 more tries before a 15-minute wait.');
      expect(setCookies(res).has('mc_admin')).toBe(false);
      await agent.get('/admin').expect(303);
    });

    it('lets the client try again once its failures are 15 minutes old', async () => {
      let now = new Date('2026-05-01T10:00:00.000Z');
      const t = await open({ config: { adminLoginFailures: 1 } });
      const app = createApp({
        learner: t.learner,
        store: t.store,
        config: testConfig({ adminPassword: PASSWORD, adminLoginFailures: 1 }),
        now: () => now,
      });
      const agent = request.agent(app);
      const _csrf = await loginToken(agent);
      await agent.post('/admin/login').type('form').send({ _csrf, password: 'wrong password 1' }).expect(401);
      await agent.post('/admin/login').type('form').send({ _csrf, password: PASSWORD }).expect(429);

      now = new Date('2026-05-01T10:15:01.000Z');
      const res = await agent.post('/admin/login').type('form').send({ _csrf, password: PASSWORD });

      expect(res.status).toBe(303);
    });

    it('refuses the form without its CSRF token (403), and counts no failure', async () => {
      const t = await open({ config: { adminLoginFailures: 1 } });
      const agent = request.agent(t.app);
      await loginToken(agent);

      const res = await agent.post('/admin/login').type('form').send({ password: 'wrong password 1' });
      const afterwards = await signIn(t.app);

      expect(res.status).toBe(403);
      expect(res.text).toContain('This form has expired or did not come from this site.');
      await afterwards.get('/admin').expect(200);
    });
  });

  describe('the console session', () => {
    it('is refused when forged, tampered with, expired, or signed with another password', async () => {
      // Arrange
      let now = new Date('2026-05-01T10:00:00.000Z');
      const t = await open();
      const app = createApp({
        learner: t.learner,
        store: t.store,
        config: testConfig({ adminPassword: PASSWORD, adminSessionHours: 1 }),
        now: () => now,
      });
      const agent = request.agent(app);
      const _csrf = await loginToken(agent);
      const res = await agent.post('/admin/login').type('form').send({ _csrf, password: PASSWORD }).expect(303);
      const cookie = setCookies(res).get('mc_admin')!.split(';')[0];
      const [name, value] = cookie.split('=') as [string, string];
      const parts = value.split('.');
      const withExpiry = (expiry: string) => `${name}=${[parts[0], expiry, parts[2], parts[3]].join('.')}`;
      const otherPassword = createApp({
        learner: t.learner,
        store: t.store,
        config: testConfig({ adminPassword: 'another password entirely' }),
        now: () => now,
      });

      // Act / Assert
      await request(app).get('/admin').set('Cookie', cookie).expect(200);
      await request(app)
        .get('/admin')
        .set('Cookie', withExpiry(String(Number(parts[1]) + 3600)))
        .expect(303);
      await request(app)
        .get('/admin')
        .set('Cookie', `${name}=v1.9999999999.${parts[2]}.${'A'.repeat(43)}`)
        .expect(303);
      await request(otherPassword).get('/admin').set('Cookie', cookie).expect(303);
      now = new Date('2026-05-01T11:00:01.000Z');
      await request(app).get('/admin').set('Cookie', cookie).expect(303);
    });

    it('refuses sign-out without the CSRF token, and the session stays', async () => {
      const t = await open();
      const agent = await signIn(t.app);

      await agent.post('/admin/logout').type('form').send({}).expect(403);

      await agent.get('/admin').expect(200);
    });

    it('sends the signed-in operator from the sign-in page to the console', async () => {
      const t = await open();
      const agent = await signIn(t.app);

      const res = await agent.get('/admin/login');

      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/admin');
    });
  });

  describe('console pages', () => {
    it.each(['/admin', '/admin/feedback', '/admin/clients', '/admin/model', '/admin/login'])(
      '%s is not cached and runs under the CSP with no script at all',
      async (path) => {
        const t = await open();
        const agent = path === '/admin/login' ? request.agent(t.app) : await signIn(t.app);

        const res = await agent.get(path).expect(200);

        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['content-security-policy']).toContain("script-src 'none'");
        expect(res.text).not.toMatch(/<script|style="|\son[a-z]+="/i);
      },
    );

    it('every action form carries the CSRF token, and a post without it is refused with nothing changed', async () => {
      // Arrange
      const t = await open();
      const id = await t.store.insertReview(POSITIVE_REVIEW, 1, 'api', { client: CLIENT });
      const agent = await signIn(t.app);
      const log = await agent.get('/admin/feedback').expect(200);
      const forms = [...log.text.matchAll(/<form method="post"[^>]*>([\s\S]*?)<\/form>/g)];
      const token = await pageToken(agent);

      // Act
      const responses = [
        await agent.post(`/admin/feedback/${id}/reject`).type('form').send({ back: '/admin/feedback' }),
        await agent
          .post(`/admin/feedback/${id}/reject`)
          .type('form')
          .send({ _csrf: token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }),
        await agent.post(`/admin/clients/${CLIENT}/reject`).type('form').send({}),
        await agent.post('/admin/model/rollback').type('form').send({ checkpoint: 'x' }),
      ];

      // Assert
      expect(forms.length).toBeGreaterThanOrEqual(2);
      for (const [form] of forms) expect(form).toContain('name="_csrf"');
      for (const res of responses) expect(res.status).toBe(403);
      expect((await t.store.getReview(id))?.verdict).toBe('accepted');
    });
  });
});

// Workers share what they know of sign-ins only through the database (login failures, signed-out
// sessions): both engines.
describe.each(kinds)('the console on $name', (kind: StoreKind) => {
  const open = (options?: ConsoleAppOptions) => consoleApp(kind, options);

  describe('POST /admin/login', () => {
    it('refuses a client after ADMIN_LOGIN_FAILURES wrong passwords, even the right one, in every worker, with Retry-After', async () => {
      // Arrange: two app instances on one database, as two workers are.
      const t = await open({ config: { adminLoginFailures: 3 } });
      const other = createApp({
        learner: t.learner,
        store: t.store,
        config: testConfig({ adminPassword: PASSWORD, adminLoginFailures: 3 }),
        checkpoints: t.checkpoints,
      });
      const agent = request.agent(t.app);
      const _csrf = await loginToken(agent);
      for (const password of ['wrong password 1', 'wrong password 2']) {
        await agent.post('/admin/login').type('form').send({ _csrf, password }).expect(401);
      }
      const last = await agent.post('/admin/login').type('form').send({ _csrf, password: 'wrong password 3' });

      // Act: the right password, through the other worker (same client address, same CSRF cookie)
      const otherAgent = request.agent(other);
      const page = await otherAgent.get('/admin/login');
      const refused = await otherAgent
        .post('/admin/login')
        .type('form')
        .send({ _csrf: hiddenField(page.text, '_csrf'), password: PASSWORD });

      // Assert
      expect(last.status).toBe(401);
      expect(last.text).toContain('that was the last try: wait 15 minutes before the next.');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
      expect(refused.text).toContain('Too many wrong passwords from your address. Wait 15 minutes, then try again.');
      expect(setCookies(refused).has('mc_admin')).toBe(false);
    });
  });

  describe('the console session', () => {
    it('ends on sign-out in every worker: a copy of the cookie is refused afterwards', async () => {
      // Arrange: signed in, with a copy of the session cookie that works in another worker too.
      const t = await open();
      const agent = request.agent(t.app);
      const _csrf = await loginToken(agent);
      const signedIn = await agent.post('/admin/login').type('form').send({ _csrf, password: PASSWORD }).expect(303);
      const copy = setCookies(signedIn).get('mc_admin')!.split(';')[0];
      const other = createApp({ learner: t.learner, store: t.store, config: testConfig({ adminPassword: PASSWORD }) });
      await request(other).get('/admin').set('Cookie', copy).expect(200);
      const overview = await agent.get('/admin').expect(200);

      // Act
      const out = await agent
        .post('/admin/logout')
        .type('form')
        .send({ _csrf: hiddenField(overview.text, '_csrf') });

      // Assert
      expect(out.status).toBe(303);
      expect(out.headers.location).toBe('/admin/login?signed-out=1');
      expect(setCookies(out).get('mc_admin')).toMatch(/Expires=Thu, 01 Jan 1970/);
      await request(t.app).get('/admin').set('Cookie', copy).expect(303);
      await request(other).get('/admin').set('Cookie', copy).expect(303);
      const form = await agent.get('/admin/login?signed-out=1').expect(200);
      expect(form.text).toContain('You are signed out.');
    });
  });
});
