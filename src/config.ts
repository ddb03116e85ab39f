import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { isIP } from 'node:net';

import { MIN_CSRF_SECRET_LENGTH } from './csrf-secret.js';
import { ConfigError } from './errors.js';
import { DEFAULT_MODERATION, type ModerationSettings } from './moderation/verdict-rule.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Every setting of the server, read once from the environment by `loadConfig`, which writes nothing. */
export interface Config {
  /** TCP port to listen on. @default 3000 */
  port: number;
  /** Address to bind. @default '127.0.0.1' */
  host: string;
  /** Folder for the model file, the database and the CSRF secret file. @default 'data' */
  dataDir: string;
  /** @default `${dataDir}/model.bin` */
  modelPath: string;
  /** SQLite database, created with its schema on first start. @default `${dataDir}/reviews.sqlite` */
  dbPath: string;
  /** Kept model files (the trained base and each update), to rebuild from after a verdict change. `${dataDir}/checkpoints` */
  checkpointDir: string;
  /** PostgreSQL instead of SQLite (see StoragePaths.databaseUrl). */
  databaseUrl: string | undefined;
  /**
   * Connections each server process keeps to PostgreSQL at most (DB_POOL_SIZE), besides the one
   * that listens for published models. Every worker of every instance has its own pool, so the
   * server sees up to instances x WORKERS x (this + 1): keep that under its max_connections.
   * Unused with SQLite. @default 8
   */
  dbPoolSize: number;
  /**
   * Production unless NODE_ENV says otherwise: a server started without it must not show stack
   * traces (with the paths of its files) on its error pages.
   * @default 'production'
   */
  nodeEnv: string;
  /** NODE_ENV === 'production': compiled templates cached, long static caching. */
  production: boolean;
  /** NODE_ENV === 'development' (set explicitly): templates re-read on every request, stack traces on error pages. */
  development: boolean;
  /** Number of server processes sharing the database. @default 1 */
  workers: number;
  /** pino level. @default 'info' */
  logLevel: LogLevel;
  rateLimit: {
    /** RATE_LIMIT=on|off. @default true */
    enabled: boolean;
    /** Predictions (POST /results and POST /api/v1/predict) per client address per minute. @default 120 */
    predictPerMinute: number;
    /** Feedback (POST /thanks and POST /api/v1/feedback) per client address per minute. @default 60 */
    feedbackPerMinute: number;
  };
  /**
   * Key for the CSRF tokens (HMAC-SHA256), from CSRF_SECRET. Undefined when unset: start-up then
   * reads or creates `${dataDir}/.secret` (`readOrCreateCsrfSecret` in src/csrf-secret.ts).
   */
  csrfSecret: string | undefined;
  /** How often a worker looks for feedback rows written by other workers, in ms. @default 1000 */
  reloadPollMs: number;
  /**
   * Express's `trust proxy` (TRUST_PROXY): false (default: the peer address is the client), a hop
   * count, or a comma list of addresses, subnets and the names loopback, linklocal, uniquelocal.
   * Set it when the app sits behind a reverse proxy, so each client is told apart by the address
   * the proxy reports in X-Forwarded-For.
   */
  trustProxy: false | number | string;
  /** Bearer token of the admin API (ADMIN_TOKEN, at least 24 characters); unset: the admin API answers 404. */
  adminToken: string | undefined;
  /** Password of the operator's console at /admin (ADMIN_PASSWORD, at least 12 characters); unset: /admin answers 404. */
  adminPassword: string | undefined;
  /** How long a console sign-in lasts, in hours (ADMIN_SESSION_HOURS). @default 8 */
  adminSessionHours: number;
  /** Failed console sign-ins a client may make per 15 minutes before it must wait (ADMIN_LOGIN_FAILURES). @default 5 */
  adminLoginFailures: number;
  /** The moderation rule's settings (MODERATION_* variables; see src/moderation/verdict-rule.ts). */
  moderation: ModerationSettings;
  /**
   * HEALTH_DETAILS=on: GET /healthz adds the model's facts (version, training date, log applied)
   * and the number of stored reviews to its status. Off, anyone may see only the status.
   * @default false
   */
  healthDetails: boolean;
  /**
   * How long a prediction or a feedback answer waits for the database's write lock (held by
   * another process, or writes failing) before it is answered 503 with Retry-After, nothing
   * stored, in ms. The event loop never waits: other requests are answered meanwhile.
   * @default 2000
   */
  dbWriteWaitMs: number;
  /**
   * Unanswered predictions (and their review text) are deleted this long after they were made;
   * feedback on one after that is answered 404. Answered ones are kept with their feedback row.
   * @default 24
   */
  predictionTtlHours: number;
  /**
   * PREDICTION_MAX_TOTAL: at most this many unanswered predictions are kept (the oldest go first,
   * checked every minute), whatever their age; 0 for no bound beyond the TTL. A flood of
   * predictions from many addresses then costs a bounded amount of disk. @default 200000
   */
  predictionMaxTotal: number;
  /**
   * PREDICTION_MAX_PER_CLIENT: at most this many unanswered predictions are kept per client (an
   * address; an IPv6 /64), the client's oldest going first (trimmed on its first prediction, then
   * once every 5% of the bound: up to 5% over per worker between trims); answered ones always stay. 0 for no bound per client. A reader answers within a few predictions; a
   * client that asks for thousands and answers none costs at most this many review texts (about
   * 1 MB of typical ones at 500, 20 MB at the 10,000-character limit) instead of 1.7 GB a day.
   * @default 500
   */
  predictionMaxPerClient: number;
  /** Slow clients: how long one may take to send its headers, its whole request, and how long an idle connection is kept. */
  httpTimeouts: {
    /** HTTP_HEADERS_TIMEOUT_MS. @default 10000 */
    headersMs: number;
    /** HTTP_REQUEST_TIMEOUT_MS, headers and body (>= the headers timeout). @default 30000 */
    requestMs: number;
    /** HTTP_KEEP_ALIVE_TIMEOUT_MS. @default 5000 */
    keepAliveMs: number;
  };
  /**
   * METRICS_PORT: serve Prometheus metrics at GET /metrics on this port (summed over the workers),
   * apart from the site's port; unset, no metrics are kept or served. @default undefined
   */
  metricsPort: number | undefined;
  /**
   * METRICS_HOST: the address the metrics port binds. Loopback, so only this machine (a
   * Prometheus or an agent beside the app) can scrape; bind another address only on a private
   * network: the metrics need no token. @default '127.0.0.1'
   */
  metricsHost: string;
  /** The Nunjucks templates; tests may point elsewhere, the environment cannot. @default the package's views/ */
  viewsDir: string;
  /** Files served at /static; tests may point elsewhere, the environment cannot. @default the package's public/ */
  publicDir: string;
}

type Env = Record<string, string | undefined>;

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

// This module runs from src/ (tsx, vitest) or compiled from dist/src/ (tsconfig.build.json keeps
// rootDir '.'), so the package folder is one or two levels up; no need to look at the disk.
const PACKAGE_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../..' : '..', import.meta.url));

/**
 * Read every setting from the environment, once, at start-up. Unset or empty variables take their
 * defaults; a malformed value throws a ConfigError naming the variable and the value. Reads no
 * file and writes none.
 *
 * @example
 *   const config = loadConfig();                       // process.env
 *   const config = loadConfig({ PORT: '0', RATE_LIMIT: 'off', CSRF_SECRET: 'x'.repeat(32) });
 */
export function loadConfig(env: Env = process.env): Config {
  const get = reader(env);
  const { settle, done } = problems();

  const { dataDir, modelPath, dbPath, checkpointDir, databaseUrl } = settle(
    () => storagePaths(env),
    storagePaths({ ...env, DATABASE_URL: undefined }),
  );
  const nodeEnv = get('NODE_ENV') ?? 'production';
  const logLevel = settle(() => logLevelOf(get('LOG_LEVEL')), 'info');

  const config: Config = {
    port: settle(() => integer(get, 'PORT', 3000, 0, 65535)),
    host: get('HOST') ?? '127.0.0.1',
    dataDir,
    modelPath,
    dbPath,
    checkpointDir,
    databaseUrl,
    dbPoolSize: settle(() => integer(get, 'DB_POOL_SIZE', 8, 1, 1000)),
    nodeEnv,
    production: nodeEnv === 'production',
    development: nodeEnv === 'development',
    workers: settle(() => integer(get, 'WORKERS', 1, 1, 1024)),
    logLevel,
    rateLimit: {
      enabled: settle(() => onOff(get, 'RATE_LIMIT', true)),
      predictPerMinute: settle(() => integer(get, 'RATE_LIMIT_PREDICT_PER_MIN', 120, 1, 1_000_000)),
      feedbackPerMinute: settle(() => integer(get, 'RATE_LIMIT_FEEDBACK_PER_MIN', 60, 1, 1_000_000)),
    },
    csrfSecret: settle(() => csrfSecret(get('CSRF_SECRET'))),
    reloadPollMs: settle(() => integer(get, 'RELOAD_POLL_MS', 1000, 1, 3_600_000)),
    trustProxy: settle(() => trustProxy(get('TRUST_PROXY'))),
    adminToken: settle(() => adminToken(get('ADMIN_TOKEN'))),
    adminPassword: settle(() => adminPassword(env.ADMIN_PASSWORD)),
    adminSessionHours: settle(() => integer(get, 'ADMIN_SESSION_HOURS', 8, 1, 720)),
    adminLoginFailures: settle(() => integer(get, 'ADMIN_LOGIN_FAILURES', 5, 1, 1000)),
    moderation: {
      minWords: settle(() => integer(get, 'MODERATION_MIN_WORDS', DEFAULT_MODERATION.minWords, 0, 10_000)),
      nearDuplicateSimilarity: settle(() =>
        fraction(get, 'MODERATION_SIMILARITY', DEFAULT_MODERATION.nearDuplicateSimilarity),
      ),
      clientRowsPerDay: settle(() =>
        integer(get, 'MODERATION_CLIENT_ROWS_PER_DAY', DEFAULT_MODERATION.clientRowsPerDay, 0, 1_000_000),
      ),
      clientCorrectionsPerDay: settle(() =>
        integer(get, 'MODERATION_CLIENT_CORRECTIONS_PER_DAY', DEFAULT_MODERATION.clientCorrectionsPerDay, 0, 1_000_000),
      ),
      phraseCorrectionsPerDay: settle(() =>
        integer(get, 'MODERATION_PHRASE_CORRECTIONS_PER_DAY', DEFAULT_MODERATION.phraseCorrectionsPerDay, 0, 1_000_000),
      ),
    },
    healthDetails: settle(() => onOff(get, 'HEALTH_DETAILS', false)),
    dbWriteWaitMs: settle(() => integer(get, 'DB_WRITE_WAIT_MS', 2000, 0, 60_000)),
    predictionTtlHours: settle(() => integer(get, 'PREDICTION_TTL_HOURS', 24, 1, 24 * 365)),
    predictionMaxTotal: settle(() => integer(get, 'PREDICTION_MAX_TOTAL', 200_000, 0, 1_000_000_000)),
    predictionMaxPerClient: settle(() => integer(get, 'PREDICTION_MAX_PER_CLIENT', 500, 0, 1_000_000_000)),
    httpTimeouts: settle(() => httpTimeouts(get)),
    metricsPort:
      get('METRICS_PORT') === undefined ? undefined : settle(() => integer(get, 'METRICS_PORT', 0, 0, 65535)),
    metricsHost: get('METRICS_HOST') ?? '127.0.0.1',
    viewsDir: path.join(PACKAGE_DIR, 'views'),
    publicDir: path.join(PACKAGE_DIR, 'public'),
  };
  done();
  return config;
}

/**
 * Collects the ConfigErrors of each setting's reader instead of stopping at the first, so one
 * start names every bad variable. `settle` returns `fallback` (or nothing) for a bad one: the
 * config built around it is never returned, since `done` then throws one ConfigError naming
 * them all.
 */
function problems(): { settle<T>(read: () => T, fallback?: T): T; done(): void } {
  const found: string[] = [];
  return {
    settle<T>(read: () => T, fallback?: T): T {
      try {
        return read();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        found.push(error.message);
        return fallback as T;
      }
    },
    done() {
      if (found.length === 1) throw new ConfigError(found[0]);
      if (found.length > 1) throw new ConfigError(`${found.length} settings are wrong:\n  ${found.join('\n  ')}`);
    },
  };
}

function logLevelOf(raw: string | undefined): LogLevel {
  const level = raw ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`LOG_LEVEL=${JSON.stringify(level)} is not a level; use one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as LogLevel;
}

/** A variable's trimmed value, or undefined when it is unset or empty. */
function reader(env: Env): (name: string) => string | undefined {
  return (name) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
}

/**
 * Where the model file and the database are (DATA_DIR, MODEL_PATH, DB_PATH), without the rest of
 * the server's settings: what the command-line tools need, with no side effects.
 */
export function storagePaths(env: Env = process.env): StoragePaths {
  const get = reader(env);
  const dataDir = get('DATA_DIR') ?? 'data';
  return {
    dataDir,
    modelPath: get('MODEL_PATH') ?? path.join(dataDir, 'model.bin'),
    dbPath: get('DB_PATH') ?? path.join(dataDir, 'reviews.sqlite'),
    checkpointDir: path.join(dataDir, 'checkpoints'),
    databaseUrl: databaseUrl(get('DATABASE_URL')),
  };
}

export interface StoragePaths {
  dataDir: string;
  modelPath: string;
  dbPath: string;
  /** Every model file served or written is kept here, to rebuild from after a verdict change. */
  checkpointDir: string;
  /**
   * DATABASE_URL: postgres://user:password@host:5432/db. Set, the log, the predictions, the
   * checkpoints and the published model live in PostgreSQL (shared by every instance) instead of
   * SQLite and files. Its `sslmode` is honoured (node-postgres reads it): `disable` is plain TCP;
   * `require`, `verify-ca` and `verify-full` are TLS with the server's certificate checked against
   * the system's CAs, or `sslrootcert=FILE`'s (stricter than libpq's `require`, which checks
   * nothing; add `uselibpqcompat=true` for libpq's meanings). @default undefined (SQLite at dbPath)
   */
  databaseUrl: string | undefined;
}

function integer(
  get: (name: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  // Number('') and Number('0x10') are numbers too; accept plain decimal integers only.
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`);
  }
  return value;
}

function onOff(get: (name: string) => string | undefined, name: string, fallback: boolean): boolean {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(value)) return true;
  if (['off', 'false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is not on or off`);
}

function httpTimeouts(get: (name: string) => string | undefined): Config['httpTimeouts'] {
  const headersMs = integer(get, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1, 600_000);
  const requestMs = integer(get, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1, 3_600_000);
  // Node refuses a headers timeout longer than the request timeout when the server is made.
  if (headersMs > requestMs) {
    throw new ConfigError(
      `HTTP_HEADERS_TIMEOUT_MS=${headersMs} is longer than HTTP_REQUEST_TIMEOUT_MS=${requestMs}; ` +
        `the request timeout covers the headers too, so make it at least as long`,
    );
  }
  return { headersMs, requestMs, keepAliveMs: integer(get, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, 1, 600_000) };
}

function csrfSecret(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.length < MIN_CSRF_SECRET_LENGTH) {
    throw new ConfigError(
      `CSRF_SECRET is ${raw.length} characters long; use at least ${MIN_CSRF_SECRET_LENGTH} random characters ` +
        `(for example: node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")`,
    );
  }
  return raw;
}

/** A decimal in (0, 1]. */
function fraction(get: (name: string) => string | undefined, name: string, fallback: number): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const value = /^(0?\.[0-9]+|1(\.0*)?)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value > 0 && value <= 1))
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a decimal above 0 and at most 1`);
  return value;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(raw: string | undefined): false | number | string {
  if (raw === undefined || ['off', 'false', 'no', '0'].includes(raw.toLowerCase())) return false;
  if (/^[0-9]+$/.test(raw)) return Number(raw);
  for (const part of raw.split(',').map((item) => item.trim())) {
    const [address, bits, ...rest] = part.split('/');
    const isAddress = address !== undefined && isIP(address) !== 0;
    const bitsOk =
      bits === undefined || (/^[0-9]+$/.test(bits) && Number(bits) <= (isIP(address ?? '') === 6 ? 128 : 32));
    if (!(PROXY_NAMES.has(part) || (isAddress && bitsOk && rest.length === 0))) {
      throw new ConfigError(
        `TRUST_PROXY=${JSON.stringify(raw)}: ${JSON.stringify(part)} is not an address, a subnet (10.0.0.0/8) or one of ` +
          `loopback, linklocal, uniquelocal; or give a number of proxy hops, or off`,
      );
    }
  }
  return raw;
}

const MIN_ADMIN_TOKEN_LENGTH = 24;

function adminToken(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `ADMIN_TOKEN is ${raw.length} characters long; use at least ${MIN_ADMIN_TOKEN_LENGTH} random characters ` +
        `(for example: node -e "console.log(require('crypto').randomBytes(24).toString('hex'))")`,
    );
  }
  return raw;
}

function databaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let protocol = '';
  try {
    protocol = new URL(raw).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError(
      'DATABASE_URL is not a PostgreSQL address; use postgres://user:password@host:5432/database, or unset it to use SQLite',
    );
  }
  return raw;
}

const MIN_ADMIN_PASSWORD_LENGTH = 12;

/** Taken as given, spaces included (a passphrase may start or end with one); empty is unset. */
function adminPassword(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < MIN_ADMIN_PASSWORD_LENGTH) {
    throw new ConfigError(
      `ADMIN_PASSWORD is ${raw.length} characters long; use at least ${MIN_ADMIN_PASSWORD_LENGTH} ` +
        `(a passphrase of four or more words, or: node -e "console.log(require('crypto').randomBytes(12).toString('base64url'))")`,
    );
  }
  return raw;
}
