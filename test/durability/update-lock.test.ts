import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

import { afterAll, describe, expect, it, type TestContext } from 'vitest';

import { lockModelFile, lockPostgresUpdate, type UpdateLock } from '../../src/learner/index.js';
import { feedbackReview } from '../helpers/probes.js';
import { useServerLogs, type ServerLog } from '../helpers/server-logs.js';
import { makeServerFolder, runNodeScript, stopAllServers, type ServerPaths } from '../helpers/server-process.js';
import { STORE_KINDS } from '../helpers/stores.js';

afterAll(stopAllServers);

/** `npm run update` on a folder's model and log (with DATABASE_URL on PostgreSQL). */
function runUpdate(paths: ServerPaths & { log: ServerLog }) {
  const db = 'DATABASE_URL' in paths.log.env ? [] : ['--db', paths.dbPath];
  return runNodeScript(
    ['scripts/update.ts', ...db, '--model', paths.modelPath],
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: paths.dataDir,
      NODE_ENV: 'test',
      ...paths.log.env,
    },
    60_000,
  );
}

describe.each(STORE_KINDS)('npm run update on %s', (kind) => {
  const serverLog = useServerLogs(kind);

  async function folder(context: Pick<TestContext, 'onTestFinished'>) {
    const paths = makeServerFolder('update-lock');
    context.onTestFinished(paths.remove);
    const log = await serverLog(paths);
    const store = await log.open({ write: true });
    for (let k = 0; k < 6; k++) await store.insertReview(feedbackReview(k), (k % 2) as 0 | 1, 'test');
    return { ...paths, log };
  }

  /** The lock a running update holds, taken here as that update would take it. */
  const holdLock = (paths: ServerPaths & { log: ServerLog }): Promise<UpdateLock> =>
    kind === 'SQLite'
      ? Promise.resolve(lockModelFile(paths.modelPath))
      : lockPostgresUpdate(paths.log.env.DATABASE_URL);

  it(
    'refuses while another update runs, saying so and writing nothing; runs once it is done, keeping the previous model',
    { timeout: 120_000 },
    async (context) => {
      // Arrange
      const paths = await folder(context);
      const original = readFileSync(paths.modelPath);
      const lock = await holdLock(paths);

      // Act
      const refused = await runUpdate(paths);
      const afterRefusal = await paths.log.model();
      await lock.release();
      const ran = await runUpdate(paths);

      // Assert
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(
        /another `npm run update` .*is updating .*: wait for it to finish and run this one again/,
      );
      expect(ran.code).toBe(0);
      expect(ran.stdout).toMatch(/^folded=\d+ .*watermark=6 /m);
      expect((await paths.log.model()).header.feedbackWatermark).toBe(6);
      expect(afterRefusal.header.feedbackWatermark).toBe(0);
      if (kind === 'SQLite') {
        expect(readFileSync(`${paths.modelPath}.prev`)).toEqual(original);
        expect(readFileSync(`${paths.modelPath}.prev`)).not.toEqual(readFileSync(paths.modelPath));
        expect(existsSync(`${paths.modelPath}.lock`)).toBe(false);
      }
    },
  );

  it(
    'run twice at once: one folds and writes, the other refuses or finds nothing left to fold',
    { timeout: 120_000 },
    async (context) => {
      const paths = await folder(context);
      const original = readFileSync(paths.modelPath);

      const runs = await Promise.all([runUpdate(paths), runUpdate(paths)]);

      const wrote = runs.filter((run) => run.code === 0 && /^(wrote|published)/m.test(run.stdout));
      const others = runs.filter((run) => !wrote.includes(run));
      expect(wrote).toHaveLength(1);
      for (const run of others)
        expect(`${run.stdout}${run.stderr}`).toMatch(/nothing to fold|another `npm run update`/);
      expect((await paths.log.model()).header.feedbackWatermark).toBe(6);
      if (kind === 'SQLite') {
        expect(readFileSync(`${paths.modelPath}.prev`)).toEqual(original);
        expect(readFileSync(`${paths.modelPath}.prev`)).not.toEqual(readFileSync(paths.modelPath));
      }
    },
  );

  if (kind === 'SQLite') {
    it('takes over a lock file left by a process that no longer runs', { timeout: 60_000 }, async (context) => {
      const paths = await folder(context);
      // A process id that surely ran and exited.
      const gone = spawnSync(process.execPath, ['-e', '0']).pid;
      writeFileSync(`${paths.modelPath}.lock`, `${gone}\n`);

      const ran = await runUpdate(paths);

      expect(ran.code).toBe(0);
      expect(existsSync(`${paths.modelPath}.lock`)).toBe(false);
    });
  }
});
