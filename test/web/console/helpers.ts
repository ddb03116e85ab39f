import type { Express } from 'express';
import { pino } from 'pino';
import request from 'supertest';

import { createLearner, modelJournal, type Checkpoints, type Learner } from '../../../src/learner/index.js';
import { moderationRule } from '../../../src/moderation/index.js';
import type { LogStore } from '../../../src/store/types.js';
import { createApp } from '../../../src/web/app.js';
import { hiddenField, testConfig, type TestConfig } from '../../helpers/app.js';
import type { StoreKind, TestLog } from '../../helpers/log-stores.js';
import { makeTestModel, testModelBytes } from '../../helpers/model.js';

export const PASSWORD = 'correct horse battery staple';

/** The app with its console, and the parts a test looks at. */
export interface ConsoleTestApp {
  app: Express;
  learner: Learner;
  store: LogStore;
  config: TestConfig;
  /** What the learner rebuilds from (the test model is kept in it), beside the log as the server keeps them. */
  checkpoints: Checkpoints;
  /** SQL on the log through a connection of its own (see TestLog.sql). */
  sql: TestLog['sql'];
  /** Where the log is: the SQLite file, or the PostgreSQL database's address (for the bulk loaders). */
  where: { file: string | null; url: string | null };
}

export interface ConsoleAppOptions {
  /** Settings over the test defaults (rate limits off, silent logging, a fixed CSRF secret, the console's password). */
  config?: Partial<TestConfig>;
  /** Builds the learner on the store. @default the real learner on the test model, rebuilding from `checkpoints` */
  learner?: (store: LogStore) => Promise<Learner>;
}

/**
 * The real app with the console on (ADMIN_PASSWORD set), composed as src/server.ts composes it,
 * on a new log of `kind`: a SQLite file with a checkpoint folder beside it, or a PostgreSQL
 * database holding the checkpoints. The log is closed after the test (logStores()).
 */
export async function consoleApp(kind: StoreKind, options: ConsoleAppOptions = {}): Promise<ConsoleTestApp> {
  const config = testConfig({ adminPassword: PASSWORD, ...options.config });
  const log = await kind.open({ verdictRule: moderationRule(config.moderation) });
  const { store } = log;
  const checkpoints = kind.checkpoints(log);
  const model = makeTestModel();
  await checkpoints.keep(testModelBytes(), model.header);
  const learner =
    options.learner === undefined ? await createLearner({ model, store, checkpoints }) : await options.learner(store);
  const journal = modelJournal({ learner, events: store.modelEvents, changes: store.console });
  await journal.note();
  const app = createApp({ learner, store, config, logger: pino({ level: 'silent' }), checkpoints, journal });
  return { app, learner, store, config, checkpoints, sql: log.sql, where: { file: log.file, url: log.url } };
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
  await agent
    .post('/admin/login')
    .type('form')
    .send({ _csrf, password, next: '/admin' })
    .expect(303)
    .expect('Location', '/admin');
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
