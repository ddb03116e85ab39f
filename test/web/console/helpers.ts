import type { Express } from 'express';
import request from 'supertest';

import { hiddenField, makeApp, type MakeAppOptions, type TestApp } from '../../helpers/app.js';

export const PASSWORD = 'correct horse battery staple';

/** The real app with the console on (ADMIN_PASSWORD set), on an in-memory store. */
export async function consoleApp(options: MakeAppOptions = {}): Promise<TestApp> {
  return await makeApp({ ...options, config: { adminPassword: PASSWORD, ...options.config } });
}

/** The sign-in form's CSRF token, read the way a browser gets it (with its cookie, kept by the agent). */
export async function loginToken(agent: request.Agent): Promise<string> {
  const page = await agent.get('/admin/login').expect(200);
  return hiddenField(page.text, '_csrf');
}

/** Signs in through the form, as a browser does; the agent then carries the session cookie. */
export async function signIn(app: Express, password = PASSWORD): Promise<request.Agent> {
  const agent = request.agent(app);
  const _csrf = await loginToken(agent);
  await agent.post('/admin/login').type('form').send({ _csrf, password, next: '/admin' }).expect(303).expect('Location', '/admin');
  return agent;
}

/** A console page's CSRF token (from its sign-out form), for posting an action. */
export async function pageToken(agent: request.Agent, path = '/admin'): Promise<string> {
  const page = await agent.get(path).expect(200);
  return hiddenField(page.text, '_csrf');
}

/** Cookies set by a response, by name, with their attributes as written. */
export function setCookies(res: request.Response): Map<string, string> {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return new Map((header ?? []).map((cookie) => [cookie.slice(0, cookie.indexOf('=')), cookie]));
}
