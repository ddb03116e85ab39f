import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { ConfigError } from './errors.js';

/** Shortest CSRF key accepted, from CSRF_SECRET or from the secret file. */
export const MIN_CSRF_SECRET_LENGTH = 32;

const SECRET_FILE_NAME = '.secret';

/**
 * The CSRF key kept in `${dataDir}/.secret`, for when CSRF_SECRET is unset: a step of start-up,
 * so that every worker and every restart sign with the same key. Creates the folder and the file
 * (64 random hex characters, mode 0600) when missing.
 *
 * The file is written in full under a temporary name and then hard-linked into place: link() fails
 * if the name exists, so two workers starting together cannot both win, and nobody reads half a file.
 *
 * @example
 *   const csrfSecret = config.csrfSecret ?? readOrCreateCsrfSecret(config.dataDir);
 */
export function readOrCreateCsrfSecret(dataDir: string): string {
  const file = path.join(dataDir, SECRET_FILE_NAME);
  const existing = readSecret(file);
  if (existing !== undefined) return existing;

  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const why =
      code === 'EROFS'
        ? 'read-only file system'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (error as Error).message;
    throw new ConfigError(
      `cannot create the CSRF secret file ${file} (${code}: ${why}). Make DATA_DIR writable, or set CSRF_SECRET to at least ${MIN_CSRF_SECRET_LENGTH} random characters.`,
      { cause: error },
    );
  }
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
  if (secret.length < MIN_CSRF_SECRET_LENGTH) {
    throw new ConfigError(
      `the CSRF secret file ${file} holds ${secret.length} characters; delete it to have a new one made, ` +
        `or set CSRF_SECRET`,
    );
  }
  return secret;
}
