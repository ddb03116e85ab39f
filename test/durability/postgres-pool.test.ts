import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { TEST_CSRF_SECRET } from '../helpers/app.js';
import { usePostgres } from '../helpers/log-stores.js';
import { makeServerFolder } from '../helpers/server-process.js';

const postgres = usePostgres();
let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** Connections to the database `url` names, other than the one asking. */
/** Polls `ready` every 20 ms, for at most 10 s. */
async function waitFor(ready: () => Promise<boolean>): Promise<void> {
  for (const until = Date.now() + 10_000; Date.now() < until;) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function connectionsTo(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

describe('DATABASE_URL settings', { timeout: 60_000 }, () => {
  it.each([
    [2, 2 + 1],
    [5, 5 + 1],
  ])(
    'DB_POOL_SIZE=%i: 40 requests at once use that many connections, plus the one that listens',
    async (size, expected) => {
      const url = await postgres().createDatabase();
      const paths = makeServerFolder('pool');
      cleanups.push(paths.remove);
      const env = {
        PORT: '0',
        DATA_DIR: paths.dataDir,
        LOG_LEVEL: 'silent',
        DATABASE_URL: url,
        HEALTH_DETAILS: 'on',
        DB_POOL_SIZE: String(size),
      };
      const server = await startServer({
        ...loadConfig(env),
        modelPath: paths.modelPath,
        csrfSecret: TEST_CSRF_SECRET,
      });
      cleanups.push(() => server.close());

      // GET /healthz with details counts the reviews: one query each, all at once. A lock on the
      // table holds every count until all 40 are waiting, so the pool grows to its size however
      // slowly the requests arrive (on a loaded machine they could otherwise finish one by one).
      const locker = new pg.Client({ connectionString: url });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE review_db IN ACCESS EXCLUSIVE MODE');
      const answers = Promise.all(
        Array.from({ length: 40 }, () => fetch(`http://127.0.0.1:${server.port}/healthz`).then((res) => res.json())),
      );
      await waitFor(async () => (await connectionsTo(url)) >= expected + 1);
      const whileHeld = (await connectionsTo(url)) - 1; // the locker's own connection
      await locker.query('COMMIT');
      await locker.end();
      await answers;

      expect(whileHeld).toBe(expected);
      expect(await connectionsTo(url)).toBeLessThanOrEqual(expected);
    },
  );

  it("honours DATABASE_URL's sslmode: require refuses a server without TLS, disable connects", async () => {
    const url = await postgres().createDatabase();
    const paths = makeServerFolder('sslmode');
    cleanups.push(paths.remove);
    const start = (sslmode: string) =>
      startServer({
        ...loadConfig({
          PORT: '0',
          DATA_DIR: paths.dataDir,
          LOG_LEVEL: 'silent',
          DATABASE_URL: `${url}?sslmode=${sslmode}`,
        }),
        modelPath: paths.modelPath,
        csrfSecret: TEST_CSRF_SECRET,
      });

    await expect(start('require')).rejects.toThrow(/does not support SSL/);
    const server = await start('disable');
    cleanups.push(() => server.close());
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
  });
});
