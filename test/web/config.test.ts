import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const SECRET = 's'.repeat(32);
let dataDir: string;
beforeEach(() => {
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
      nodeEnv: 'development',
      production: false,
      development: true,
      workers: 1,
      logLevel: 'info',
      rateLimit: { enabled: true, predictPerMinute: 120, feedbackPerMinute: 60 },
      reloadPollMs: 1000,
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
    });

    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir,
      modelPath: '/models/m.bin',
      dbPath: '/db/r.sqlite',
      nodeEnv: 'production',
      production: true,
      development: false,
      workers: 4,
      logLevel: 'warn',
      rateLimit: { enabled: false, predictPerMinute: 500, feedbackPerMinute: 50 },
      csrfSecret: SECRET,
      reloadPollMs: 250,
    });
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
    ['RATE_LIMIT_PREDICT_PER_MIN', 'lots'],
    ['RATE_LIMIT_FEEDBACK_PER_MIN', '1e3'],
    ['RELOAD_POLL_MS', '0'],
    ['RATE_LIMIT', 'maybe'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s with a ConfigError naming the variable and the value', (name, value) => {
    const load = () => loadConfig({ CSRF_SECRET: SECRET, [name]: value });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(name);
    expect(load).toThrow(JSON.stringify(value));
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

    it('when CSRF_SECRET is unset, creates DATA_DIR/.secret with mode 0600 and reuses it on the next start', () => {
      const first = loadConfig({ DATA_DIR: dataDir });
      const second = loadConfig({ DATA_DIR: dataDir });

      const file = path.join(dataDir, '.secret');
      expect(first.csrfSecret).toMatch(/^[0-9a-f]{64}$/);
      expect(second.csrfSecret).toBe(first.csrfSecret);
      expect(readFileSync(file, 'utf8').trim()).toBe(first.csrfSecret);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    });

    it('creates DATA_DIR when it does not exist yet', () => {
      const nested = path.join(dataDir, 'a', 'b');

      expect(loadConfig({ DATA_DIR: nested }).csrfSecret).toHaveLength(64);
    });

    it('refuses a secret file too short to be safe, saying how to fix it', () => {
      writeFileSync(path.join(dataDir, '.secret'), 'abc\n');

      expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(/delete it .* or set CSRF_SECRET/);
    });

    it('prefers CSRF_SECRET over the file and then creates no file', () => {
      const config = loadConfig({ DATA_DIR: dataDir, CSRF_SECRET: SECRET });

      expect(config.csrfSecret).toBe(SECRET);
      expect(() => statSync(path.join(dataDir, '.secret'))).toThrow();
    });
  });
});
