import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Express } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, beforeEach } from 'vitest';

import { loadConfig, type Config } from '../../src/config.js';
import type { Learner } from '../../src/learner/index.js';
import {
  createLearner,
  databaseCheckpoints,
  modelJournal,
  openCheckpoints,
  type Checkpoints,
} from '../../src/learner/index.js';
import { moderationRule } from '../../src/moderation/index.js';
import { openStore } from '../../src/store/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import type { Awaitable, LogStore } from '../../src/store/types.js';
import { createApp, type AppConfig } from '../../src/web/app.js';
import type { Metrics } from '../../src/metrics/index.js';
import { decodeModel } from '../../src/model/model-file.js';
import type { Logger } from '../../src/web/logger.js';
import { makeTestModel, testModelBytes } from './model.js';
import { useLogStores, type LogStores, type StoreKind } from './stores.js';

export interface TestApp<S extends LogStore = LogStore> {
  app: Express;
  learner: Learner;
  store: S;
  config: TestConfig;
  /** The checkpoints the learner rebuilds from (the test model is kept in them). */
  checkpoints: Checkpoints;
  /** Close the store (call in afterEach). */
  close(): Promise<void>;
}

export interface MakeAppOptions {
  learner?: Learner;
  /** A SQLite store to serve (makeApp only). */
  store?: LogStore;
  /** Settings over the test defaults (rate limits off, silent logging, a fixed CSRF secret). */
  config?: Partial<TestConfig>;
  logger?: Logger;
  /** Metrics to count into, as the server passes them with METRICS_PORT. @default none */
  metrics?: Metrics;
  /** The model file to serve (see trainTestModel). @default the test model */
  modelBytes?: Buffer;
}

export const TEST_CSRF_SECRET = 'test-csrf-secret-0123456789abcdef0123456789';

/** Every setting, with the CSRF key settled as start-up settles it. */
export type TestConfig = Config & AppConfig;

/** The settings every HTTP test starts from. */
export function testConfig(overrides: Partial<TestConfig> = {}): TestConfig {
  const base = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', RATE_LIMIT: 'off' });
  return { ...base, csrfSecret: TEST_CSRF_SECRET, ...overrides };
}

/**
 * The whole app, in process, on small real parts: an in-memory SQLite store and the real learner
 * on a small real model (trained once per test process on the mini-imdb fixture). Nothing
 * listens; drive it with supertest.
 */
export async function makeApp(options: MakeAppOptions = {}): Promise<TestApp> {
  const config = testConfig(options.config);
  // As src/server.ts composes them: the moderation rule decides each row's verdict, and the
  // test model is kept as the checkpoint a verdict change rebuilds from.
  const store =
    options.store ??
    openStore(':memory:', {
      verdictRule: moderationRule(config.moderation),
      maxUnansweredPerClient: config.predictionMaxPerClient,
    });
  const checkpointDir = mkdtempSync(join(tmpdir(), 'movieclassifier-app-checkpoints-'));
  return composeApp(store, openCheckpoints(checkpointDir), config, options, async () => {
    await store.close();
    rmSync(checkpointDir, { recursive: true, force: true });
  });
}

/**
 * The whole app as src/server.ts composes it with DATABASE_URL: the log and the checkpoints in
 * the (empty) PostgreSQL database at `url`, the same learner and test model as makeApp.
 */
export async function makePostgresApp(
  url: string,
  options: Omit<MakeAppOptions, 'store'> = {},
): Promise<TestApp<PostgresStore>> {
  const config = testConfig({ databaseUrl: url, ...options.config });
  const store = await openPostgresStore(url, {
    verdictRule: moderationRule(config.moderation),
    maxUnansweredPerClient: config.predictionMaxPerClient,
  });
  return composeApp(store, databaseCheckpoints(store), config, options, () => store.close());
}

/**
 * makeApp on `kind`, for the tests of a describe block: on PostgreSQL each app gets a new
 * database on one embedded server started for the block (see useLogStores). Every app made
 * through it is closed after its test.
 *
 * @example
 *   describe.each(STORE_KINDS)('on %s', (kind) => {
 *     const makeApp = useApps(kind);
 *     it('answers', async () => { const t = await makeApp({ config: { healthDetails: true } }); ... });
 *   });
 */
export function useApps(
  kindOrLogs: StoreKind | LogStores,
): (options?: Omit<MakeAppOptions, 'store'>) => Promise<TestApp<LogStore>> {
  // Given the block's LogStores, the apps share its PostgreSQL (one per test file).
  const logs = typeof kindOrLogs === 'string' ? useLogStores(kindOrLogs) : kindOrLogs;
  const { kind } = logs;
  const made: TestApp<LogStore>[] = [];
  afterEach(async () => {
    for (const t of made.splice(0)) await t.close();
  });
  return async (options = {}) => {
    const t = kind === 'PostgreSQL' ? await makePostgresApp(await logs.newLog(), options) : await makeApp(options);
    made.push(t);
    return t;
  };
}

/**
 * A new app for each test of the describe block (beforeEach), made by `makeApp` from useApps
 * (which closes it after the test). The returned object reads the current test's app.
 *
 * @example
 *   describe.each(STORE_KINDS)('on %s', (kind) => {
 *     const t = useAppPerTest(useApps(kind));
 *     it('stores nothing yet', async () => expect(await t.store.countReviews()).toBe(0));
 *   });
 */
export function useAppPerTest(
  makeApp: (options?: Omit<MakeAppOptions, 'store'>) => Promise<TestApp<LogStore>>,
  options?: Omit<MakeAppOptions, 'store'>,
): TestApp<LogStore> {
  let current: TestApp<LogStore> | undefined;
  beforeEach(async () => {
    current = await makeApp(options);
  });
  const now = (): TestApp<LogStore> => {
    if (current === undefined) throw new Error('useAppPerTest: the app exists only while a test runs');
    return current;
  };
  return {
    get app() {
      return now().app;
    },
    get learner() {
      return now().learner;
    },
    get store() {
      return now().store;
    },
    get config() {
      return now().config;
    },
    get checkpoints() {
      return now().checkpoints;
    },
    close: async () => now().close(),
  };
}

async function composeApp<S extends LogStore>(
  store: S,
  checkpoints: Checkpoints,
  config: TestConfig,
  options: MakeAppOptions,
  closeStore: () => Awaitable<void>,
): Promise<TestApp<S>> {
  const bytes = options.modelBytes ?? testModelBytes();
  const model = options.modelBytes === undefined ? makeTestModel() : decodeModel(bytes, 'test-model.bin');
  await checkpoints.keep(bytes, model.header);
  const learner = options.learner ?? (await createLearner({ model, store, checkpoints }));
  const logger = options.logger ?? pino({ level: 'silent' });
  // As src/server.ts does: the model timeline starts with the model served.
  const journal = modelJournal({ learner, events: store.modelEvents, changes: store.console });
  await journal.note();
  const app = createApp({
    learner,
    store,
    config,
    logger,
    checkpoints,
    journal,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  return { app, learner, store, config, checkpoints, close: async () => closeStore() };
}

export const POSITIVE_REVIEW = 'A wonderful, moving film with a brilliant cast. I loved every minute of it.';
export const NEGATIVE_REVIEW = 'A boring, awful mess. The plot was dull and the acting was terrible.';

/** The value of a hidden input in a page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  if (match === null) throw new Error(`no hidden field ${name} in the page`);
  return match[1];
}

export interface SubmittedReview {
  agent: request.Agent;
  predictionId: string;
  csrfToken: string;
  html: string;
}

/** Post a review through the form, as a browser would, keeping the cookie for the feedback post. */
export async function submitReview(app: Express, review: string): Promise<SubmittedReview> {
  const agent = request.agent(app);
  const res = await agent.post('/results').type('form').send({ review }).expect(200);
  return {
    agent,
    predictionId: hiddenField(res.text, 'predictionId'),
    csrfToken: hiddenField(res.text, '_csrf'),
    html: res.text,
  };
}
