import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { openStore } from '../../src/store/index.js';
import { createClassicDatabase } from '../helpers/classic-db.js';
import { makeServerFolder, runNodeScript, runServerToExit, stopAllServers } from '../helpers/server-process.js';

let cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups.reverse()) cleanup();
  cleanups = [];
});

function folder(prefix: string) {
  const paths = makeServerFolder(prefix);
  cleanups.push(paths.remove);
  return paths;
}

/** What an operator reads: stderr as lines. */
const lines = (stderr: string): string[] => stderr.trim().split('\n');

/** Byte 18 of a SQLite file: 1 for a rollback journal, 2 for WAL. */
const journalByte = (file: string): number => readFileSync(file)[18];

/** A read-only file system (tmpfs mounted ro), or null where this process may not mount one. */
function readOnlyFolder(): string | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-ro-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  cleanups.push(() => {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
/** Whether this process may mount file systems (root in this container); the read-only cases need it. */
const canMount = ((): boolean => {
  const dir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-mount-check-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

// SQLite only: database files and paths the server or update cannot use (PostgreSQL unreachable is test/store/postgres-store.test.ts).
describe('the server, given a database it cannot use', { timeout: 30_000 }, () => {
  it('a file that is not SQLite: one line naming it and what to do; the file is left as it was', async () => {
    // Arrange
    const paths = folder('not-sqlite');
    const text = 'review,sentiment\nI loved it,1\n'.repeat(100);
    writeFileSync(paths.dbPath, text);

    // Act
    const exit = await runServerToExit(paths);

    // Assert
    expect(exit.code).toBe(1);
    expect(lines(exit.stderr)).toEqual([
      `movieclassifier: ${paths.dbPath} is not a SQLite database (file is not a database). Set DB_PATH to the database file, or move this file aside to have a new database made there; it was not changed.`,
    ]);
    expect(readFileSync(paths.dbPath, 'utf8')).toBe(text);
    expect(readdirSync(paths.dir).sort()).toEqual(['model.bin', 'reviews.sqlite']);
  });

  it('a database from a newer movieclassifier: refused, and not switched to WAL first', async () => {
    // Arrange
    const paths = folder('future');
    const db = new Database(paths.dbPath);
    db.exec('CREATE TABLE t (x)');
    db.pragma('user_version = 99');
    db.close();
    const before = readFileSync(paths.dbPath);

    // Act
    const exit = await runServerToExit(paths);

    // Assert
    expect(exit.code).toBe(1);
    expect(lines(exit.stderr)).toEqual([
      expect.stringMatching(
        /^movieclassifier: Database .* has schema version 99, .* Upgrade movieclassifier, or set DB_PATH/,
      ),
    ]);
    expect(journalByte(paths.dbPath)).toBe(1);
    expect(readFileSync(paths.dbPath).equals(before)).toBe(true);
    expect(existsSync(`${paths.dbPath}-wal`)).toBe(false);
  });

  it('a database another process keeps locked while it would be migrated: one line, nothing changed', async () => {
    // Arrange: a classic database (needs migrating), write-locked by this process.
    const paths = folder('locked');
    createClassicDatabase(paths.dbPath, [{ review: 'I loved every minute of this film.', sentiment: 1 }]);
    const holder = new Database(paths.dbPath);
    cleanups.push(() => holder.close());
    holder.exec('BEGIN IMMEDIATE');

    // Act
    const exit = await runServerToExit(paths);
    holder.exec('ROLLBACK');

    // Assert
    expect(exit.code).toBe(1);
    expect(lines(exit.stderr)).toEqual([
      `movieclassifier: database ${paths.dbPath} is locked by another process, so it could not be opened (or its schema brought up to date). Stop that process or let it finish, then start again; nothing was changed.`,
    ]);
    expect(holder.pragma('user_version', { simple: true })).toBe(0);
    expect(journalByte(paths.dbPath)).toBe(1);
  });

  it.skipIf(!canMount)(
    'a data folder on a read-only file system: one line for the secret, then one for the database',
    async () => {
      // Arrange: the model elsewhere; DATA_DIR (secret and database) read-only.
      const paths = folder('read-only');
      const readOnly = readOnlyFolder()!;
      const env = { DATA_DIR: readOnly, DB_PATH: path.join(readOnly, 'reviews.sqlite'), CSRF_SECRET: '' };

      // Act
      const withoutSecret = await runServerToExit(paths, { env });
      const withSecret = await runServerToExit(paths, { env: { ...env, CSRF_SECRET: 'x'.repeat(40) } });

      // Assert
      expect(withoutSecret.code).toBe(1);
      expect(lines(withoutSecret.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^movieclassifier: cannot create the CSRF secret file ${readOnly}/\\.secret \\(EROFS: read-only file system\\)\\. Make DATA_DIR writable, or set CSRF_SECRET`,
          ),
        ),
      ]);
      expect(withSecret.code).toBe(1);
      expect(lines(withSecret.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^movieclassifier: cannot open database ${readOnly}/reviews\\.sqlite \\(unable to open database file\\): .* read-only file system\\. Make the folder writable`,
          ),
        ),
      ]);
    },
  );
});

describe('npm run update, given paths that are wrong', { timeout: 30_000 }, () => {
  const update = (args: string[]) =>
    runNodeScript(['scripts/update.ts', ...args], { PATH: process.env.PATH, HOME: process.env.HOME });

  it('a mistyped --db: exit 1, one line naming it, and no database created', async () => {
    const paths = folder('update-db');
    const misspelt = path.join(paths.dir, 'reveiws.sqlite');

    const exit = await update(['--db', misspelt, '--model', paths.modelPath]);

    expect(exit.code).toBe(1);
    expect(lines(exit.stderr)).toEqual([
      `error: database ${misspelt} does not exist. Check the path (--db, DB_PATH, DATA_DIR); nothing was created.`,
    ]);
    expect(existsSync(misspelt)).toBe(false);
  });

  it('a missing model file: exit 1, one line naming it, and no folders created', async () => {
    const paths = folder('update-model');
    const dbDir = path.join(paths.dir, 'not', 'there');

    const exit = await update([
      '--db',
      path.join(dbDir, 'reviews.sqlite'),
      '--model',
      path.join(paths.dir, 'missing.bin'),
    ]);

    expect(exit.code).toBe(1);
    expect(lines(exit.stderr)).toEqual([
      expect.stringMatching(/^error: model file .*missing\.bin does not exist\. Train one/),
    ]);
    expect(existsSync(path.join(paths.dir, 'not'))).toBe(false);
  });

  it.skipIf(!canMount)('a model file on a read-only file system: one line, the file unchanged', async () => {
    // Arrange: a database with a row to fold, and the model on a file system that cannot be written.
    const paths = folder('update-write');
    const store = openStore(paths.dbPath);
    await store.insertReview('A wonderful, moving film with a brilliant cast.', 1, 'test');
    await store.close();
    const readOnly = readOnlyFolder()!;
    const modelPath = path.join(readOnly, 'model.bin');
    execFileSync('mount', ['-o', 'remount,rw', readOnly]);
    writeFileSync(modelPath, readFileSync(paths.modelPath));
    execFileSync('mount', ['-o', 'remount,ro', readOnly]);

    // Act
    const exit = await update(['--db', paths.dbPath, '--model', modelPath]);

    // Assert
    expect(exit.code).toBe(1);
    expect(lines(exit.stderr).filter((line) => !line.startsWith('progress '))).toEqual([
      `error: cannot write model file ${modelPath} (EROFS: read-only file system). Make its folder writable, or pass --model PATH; the file is unchanged.`,
    ]);
    expect(readFileSync(modelPath).equals(readFileSync(paths.modelPath))).toBe(true);
  });
});
