import { cannotWriteModelFile } from './update-model-file.js';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

import pg from 'pg';

import { MovieClassifierError } from '../errors.js';
import { describeUrl, UPDATE_LOCK } from '../store/postgres/index.js';

/** Another `npm run update` is running on the same model; nothing was read or written. */
export class UpdateRunningError extends MovieClassifierError {
  override name = 'UpdateRunningError' as const;
}

/** Held while `npm run update` runs; see {@link lockModelFile} and {@link lockPostgresUpdate}. */
export interface UpdateLock {
  release(): Promise<void>;
}

/**
 * Takes `<modelPath>.lock`, created with O_EXCL and holding this process's id, so that a second
 * `npm run update` on the same model file refuses instead of folding the same rows and writing
 * over the first one's file (after which `model.bin.prev` equals `model.bin` and the previous
 * model is lost). A lock left by a process that no longer runs (killed, machine restarted) is
 * taken over.
 *
 * @throws UpdateRunningError when a running process holds it, naming the process and the file.
 */
export function lockModelFile(modelPath: string, pid: number = process.pid): UpdateLock {
  const path = `${modelPath}.lock`;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(error, path, modelPath);
      const holder = holderOf(path);
      if (holder !== null && isRunning(holder)) {
        throw new UpdateRunningError(
          `another \`npm run update\` (process ${holder}) is updating ${modelPath}: wait for it to finish and run this one again. ` +
            `If no such process runs, delete ${path}.`,
        );
      }
      // Left by a process that is gone: taken over (once; a second EEXIST means another run took it first).
      unlinkSync(path);
      continue;
    }
    writeSync(fd, `${pid}\n`);
    closeSync(fd);
    return {
      release: async () => {
        if (holderOf(path) === pid) unlinkSync(path);
      },
    };
  }
}

function holderOf(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockError(error: unknown, path: string, modelPath: string): unknown {
  if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
    return new UpdateRunningError(
      `another \`npm run update\` took ${path} just now: wait for it to finish and run this one again.`,
    );
  }
  // The lock sits beside the model file: a folder it cannot be made in cannot take the new model either.
  return cannotWriteModelFile(modelPath, error);
}

/**
 * With PostgreSQL: a session advisory lock (UPDATE_LOCK) on a connection of its own, held for
 * the run; PostgreSQL lets it go if the process dies, so no lock is ever left behind.
 *
 * @throws UpdateRunningError when another update holds it.
 */
export async function lockPostgresUpdate(url: string): Promise<UpdateLock> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      UPDATE_LOCK,
    ]);
    if (!rows[0].locked) {
      throw new UpdateRunningError(
        `another \`npm run update\` is updating the model published in ${describeUrl(url)}: wait for it to finish and run this one again.`,
      );
    }
  } catch (error) {
    await client.end();
    throw error;
  }
  return { release: () => client.end() };
}
