import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const SECRET = 's'.repeat(32);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
let dataDir: string;
beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-config-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({ DATA_DIR: dataDir });

    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir,
      modelPath: path.join(dataDir, 'model.bin'),
      dbPath: path.join(dataDir, 'reviews.sqlite'),
      nodeEnv: 'production',
      production: true,
      development: false,
      workers: 1,
      logLevel: 'info',
      rateLimit: { enabled: true, predictPerMinute: 120, feedbackPerMinute: 60 },
      csrfSecret: undefined,
      reloadPollMs: 1000,
      healthDetails: false,
      dbWriteWaitMs: 2000,
      dbPoolSize: 8,
      predictionTtlHours: 24,
      predictionMaxTotal: 200_000,
      predictionMaxPerClient: 500,
      httpTimeouts: { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5000 },
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
      viewsDir: path.join(PACKAGE_DIR, 'views'),
      publicDir: path.join(PACKAGE_DIR, 'public'),
    });
  });

  it('puts the model and the database in data/ by default', () => {
    const config = loadConfig({ CSRF_SECRET: SECRET });

    expect(config.modelPath).toBe(path.join('data', 'model.bin'));
    expect(config.dbPath).toBe(path.join('data', 'reviews.sqlite'));
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: dataDir,
      MODEL_PATH: '/models/m.bin',
      DB_PATH: '/db/r.sqlite',
      NODE_ENV: 'production',
      WORKERS: '4',
      LOG_LEVEL: 'warn',
      RATE_LIMIT: 'off',
      RATE_LIMIT_PREDICT_PER_MIN: '500',
      RATE_LIMIT_FEEDBACK_PER_MIN: '50',
      CSRF_SECRET: SECRET,
      RELOAD_POLL_MS: '250',
      TRUST_PROXY: 'loopback, 10.0.0.0/8',
      ADMIN_TOKEN: 'a'.repeat(24),
      ADMIN_PASSWORD: ' correct horse battery ',
      ADMIN_SESSION_HOURS: '2',
      ADMIN_LOGIN_FAILURES: '3',
      MODERATION_MIN_WORDS: '6',
      MODERATION_SIMILARITY: '0.85',
      MODERATION_CLIENT_ROWS_PER_DAY: '100',
      MODERATION_CLIENT_CORRECTIONS_PER_DAY: '0',
      MODERATION_PHRASE_CORRECTIONS_PER_DAY: '12',
      HEALTH_DETAILS: 'on',
      DB_WRITE_WAIT_MS: '500',
      DB_POOL_SIZE: '3',
      METRICS_PORT: '9464',
      METRICS_HOST: '10.0.0.5',
      PREDICTION_TTL_HOURS: '2',
      PREDICTION_MAX_TOTAL: '5000',
      PREDICTION_MAX_PER_CLIENT: '0',
      HTTP_HEADERS_TIMEOUT_MS: '3000',
      HTTP_REQUEST_TIMEOUT_MS: '6000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    });

    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir,
      modelPath: '/models/m.bin',
      dbPath: '/db/r.sqlite',
      checkpointDir: path.join(dataDir, 'checkpoints'),
      nodeEnv: 'production',
      production: true,
      development: false,
      workers: 4,
      logLevel: 'warn',
      rateLimit: { enabled: false, predictPerMinute: 500, feedbackPerMinute: 50 },
      csrfSecret: SECRET,
      reloadPollMs: 250,
      trustProxy: 'loopback, 10.0.0.0/8',
      adminToken: 'a'.repeat(24),
      adminPassword: ' correct horse battery ',
      adminSessionHours: 2,
      adminLoginFailures: 3,
      moderation: {
        minWords: 6,
        nearDuplicateSimilarity: 0.85,
        clientRowsPerDay: 100,
        clientCorrectionsPerDay: 0,
        phraseCorrectionsPerDay: 12,
      },
      healthDetails: true,
      dbWriteWaitMs: 500,
      dbPoolSize: 3,
      metricsPort: 9464,
      metricsHost: '10.0.0.5',
      predictionTtlHours: 2,
      predictionMaxTotal: 5000,
      predictionMaxPerClient: 0,
      httpTimeouts: { headersMs: 3000, requestMs: 6000, keepAliveMs: 1000 },
      viewsDir: path.join(PACKAGE_DIR, 'views'),
      publicDir: path.join(PACKAGE_DIR, 'public'),
    });
  });

  it('leaves the console off without ADMIN_PASSWORD, with 8-hour sessions and 5 failed sign-ins per 15 minutes', () => {
    expect(loadConfig({ ADMIN_PASSWORD: '' })).toMatchObject({
      adminPassword: undefined,
      adminSessionHours: 8,
      adminLoginFailures: 5,
    });
  });

  it('refuses a short ADMIN_PASSWORD without echoing it, and sessions of 0 hours', () => {
    expect(() => loadConfig({ ADMIN_PASSWORD: 'hunter2' })).toThrow(
      /ADMIN_PASSWORD is 7 characters long; use at least 12/,
    );
    expect(() => loadConfig({ ADMIN_PASSWORD: 'hunter2' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ ADMIN_SESSION_HOURS: '0' })).toThrow(
      /ADMIN_SESSION_HOURS="0" is not a whole number from 1 to 720/,
    );
  });

  it('refuses a short ADMIN_TOKEN without echoing it', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short-token' })).toThrow(
      /ADMIN_TOKEN is 11 characters long; use at least 24/,
    );
    expect(() => loadConfig({ ADMIN_TOKEN: 'short-token' })).not.toThrow(/short-token/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', CSRF_SECRET: SECRET }).port).toBe(3000);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3000.5'],
    ['PORT', '-1'],
    ['PORT', '0x10'],
    ['WORKERS', '0'],
    ['DB_POOL_SIZE', '0'],
    ['METRICS_PORT', '65536'],
    ['RATE_LIMIT_PREDICT_PER_MIN', 'lots'],
    ['RATE_LIMIT_FEEDBACK_PER_MIN', '1e3'],
    ['RELOAD_POLL_MS', '0'],
    ['HEALTH_DETAILS', 'some'],
    ['PREDICTION_TTL_HOURS', '0'],
    ['DB_WRITE_WAIT_MS', '-5'],
    ['RATE_LIMIT', 'maybe'],
    ['TRUST_PROXY', 'everyone'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['MODERATION_SIMILARITY', '1.5'],
    ['MODERATION_SIMILARITY', '0'],
    ['MODERATION_MIN_WORDS', 'four'],
    ['MODERATION_PHRASE_CORRECTIONS_PER_DAY', '-1'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s with a ConfigError naming the variable and the value', (name, value) => {
    const load = () => loadConfig({ CSRF_SECRET: SECRET, [name]: value });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(name);
    expect(load).toThrow(JSON.stringify(value));
  });

  it('names every bad variable at once, not only the first', () => {
    const load = () =>
      loadConfig({ CSRF_SECRET: SECRET, PORT: 'abc', WORKERS: '0', LOG_LEVEL: 'loud', RATE_LIMIT: 'on' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^3 settings are wrong:\n {2}LOG_LEVEL="loud" .*\n {2}PORT="abc" .*\n {2}WORKERS="0" /);
  });

  it('refuses a headers timeout longer than the request timeout, naming both', () => {
    const load = () => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '40000', HTTP_REQUEST_TIMEOUT_MS: '30000' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/HTTP_HEADERS_TIMEOUT_MS=40000 is longer than HTTP_REQUEST_TIMEOUT_MS=30000/);
  });

  it('is in development (stack traces on error pages) only when NODE_ENV says so', () => {
    expect(loadConfig({}).development).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).development).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).development).toBe(true);
  });

  it.each([
    ['on', true],
    ['true', true],
    ['OFF', false],
    ['0', false],
  ])('reads RATE_LIMIT=%s as %s', (value, enabled) => {
    expect(loadConfig({ CSRF_SECRET: SECRET, RATE_LIMIT: value }).rateLimit.enabled).toBe(enabled);
  });

  describe('the CSRF secret', () => {
    it('refuses a CSRF_SECRET shorter than 32 characters', () => {
      expect(() => loadConfig({ CSRF_SECRET: 'short' })).toThrow(/CSRF_SECRET .*at least 32/);
    });

    it('takes CSRF_SECRET as it is and then creates no file', () => {
      const config = loadConfig({ DATA_DIR: dataDir, CSRF_SECRET: SECRET });

      expect(config.csrfSecret).toBe(SECRET);
      expect(readdirSync(dataDir)).toEqual([]);
    });

    it('when CSRF_SECRET is unset, leaves the secret to start-up: reading the settings writes nothing', () => {
      const nested = path.join(dataDir, 'a', 'b');

      const config = loadConfig({ DATA_DIR: nested });

      expect(config.csrfSecret).toBeUndefined();
      expect(readdirSync(dataDir)).toEqual([]);
    });
  });
});
