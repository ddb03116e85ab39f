import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { ConfigError } from './errors.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Every setting of the server, read once from the environment by `loadConfig`. */
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
  /** @default 'development' */
  nodeEnv: string;
  /** NODE_ENV === 'production': compiled templates cached, long static caching. */
  production: boolean;
  /** NODE_ENV === 'development': templates re-read on every request, stack traces on error pages. */
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
   * Key for the CSRF tokens (HMAC-SHA256). From CSRF_SECRET, or else from `${dataDir}/.secret`,
   * created with mode 0600 on first start, so that every worker and every restart agree.
   */
  csrfSecret: string;
  /** How often a worker looks for feedback rows written by other workers, in ms. @default 1000 */
  reloadPollMs: number;
}

type Env = Record<string, string | undefined>;

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_SECRET_LENGTH = 32;
export const SECRET_FILE_NAME = '.secret';

/**
 * Read every setting from the environment, once, at start-up. Unset or empty variables take their
 * defaults; a malformed value throws a ConfigError naming the variable and the value.
 *
 * One side effect: when CSRF_SECRET is unset, the secret is read from `${DATA_DIR}/.secret`, which
 * is created (mode 0600, atomically, so concurrent workers end up with the same one) if missing.
 *
 * @example
 *   const config = loadConfig();                       // process.env
 *   const config = loadConfig({ PORT: '0', RATE_LIMIT: 'off', CSRF_SECRET: 'x'.repeat(32) });
 */
export function loadConfig(env: Env = process.env): Config {
  const get = reader(env);

  const { dataDir, modelPath, dbPath } = storagePaths(env);
  const nodeEnv = get('NODE_ENV') ?? 'development';
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${JSON.stringify(logLevel)} is not a level; use one of ${LOG_LEVELS.join(', ')}`);
  }

  return {
    port: integer(get, 'PORT', 3000, 0, 65535),
    host: get('HOST') ?? '127.0.0.1',
    dataDir,
    modelPath,
    dbPath,
    nodeEnv,
    production: nodeEnv === 'production',
    development: nodeEnv === 'development',
    workers: integer(get, 'WORKERS', 1, 1, 1024),
    logLevel: logLevel as LogLevel,
    rateLimit: {
      enabled: onOff(get, 'RATE_LIMIT', true),
      predictPerMinute: integer(get, 'RATE_LIMIT_PREDICT_PER_MIN', 120, 1, 1_000_000),
      feedbackPerMinute: integer(get, 'RATE_LIMIT_FEEDBACK_PER_MIN', 60, 1, 1_000_000),
    },
    csrfSecret: csrfSecret(get('CSRF_SECRET'), dataDir),
    reloadPollMs: integer(get, 'RELOAD_POLL_MS', 1000, 1, 3_600_000),
  };
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
export function storagePaths(env: Env = process.env): { dataDir: string; modelPath: string; dbPath: string } {
  const get = reader(env);
  const dataDir = get('DATA_DIR') ?? 'data';
  return {
    dataDir,
    modelPath: get('MODEL_PATH') ?? path.join(dataDir, 'model.bin'),
    dbPath: get('DB_PATH') ?? path.join(dataDir, 'reviews.sqlite'),
  };
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

function csrfSecret(fromEnv: string | undefined, dataDir: string): string {
  if (fromEnv !== undefined) {
    if (fromEnv.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(
        `CSRF_SECRET is ${fromEnv.length} characters long; use at least ${MIN_SECRET_LENGTH} random characters ` +
          `(for example: node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")`,
      );
    }
    return fromEnv;
  }
  return readOrCreateSecretFile(path.join(dataDir, SECRET_FILE_NAME));
}

/**
 * The file is written in full under a temporary name and then hard-linked into place: link() fails
 * if the name exists, so two workers starting together cannot both win, and nobody reads half a file.
 */
function readOrCreateSecretFile(file: string): string {
  const existing = readSecret(file);
  if (existing !== undefined) return existing;

  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  const secret = readSecret(file);
  if (secret === undefined) throw new ConfigError(`could not create the CSRF secret file ${file}`);
  return secret;
}

function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      `the CSRF secret file ${file} holds ${secret.length} characters; delete it to have a new one made, ` +
        `or set CSRF_SECRET`,
    );
  }
  return secret;
}
