import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readOrCreateCsrfSecret } from '../src/csrf-secret.js';
import { ConfigError } from '../src/errors.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-secret-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('readOrCreateCsrfSecret', () => {
  it('creates DATA_DIR/.secret with mode 0600 and reuses it on the next start', () => {
    const first = readOrCreateCsrfSecret(dataDir);
    const second = readOrCreateCsrfSecret(dataDir);

    const file = path.join(dataDir, '.secret');
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toBe(first);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The temporary file it was linked from is gone.
    expect(readdirSync(dataDir)).toEqual(['.secret']);
  });

  it('creates DATA_DIR when it does not exist yet', () => {
    const nested = path.join(dataDir, 'a', 'b');

    expect(readOrCreateCsrfSecret(nested)).toHaveLength(64);
  });

  it('keeps a secret file that is already there', () => {
    const existing = 'k'.repeat(40);
    writeFileSync(path.join(dataDir, '.secret'), `${existing}\n`);

    expect(readOrCreateCsrfSecret(dataDir)).toBe(existing);
  });

  it('refuses a secret file too short to be safe, saying how to fix it', () => {
    writeFileSync(path.join(dataDir, '.secret'), 'abc\n');

    expect(() => readOrCreateCsrfSecret(dataDir)).toThrow(ConfigError);
    expect(() => readOrCreateCsrfSecret(dataDir)).toThrow(/delete it .* or set CSRF_SECRET/);
  });
});
