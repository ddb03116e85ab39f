import { databaseCheckpoints, publishedModelHome, updateModelFile, type UpdateModelFileResult } from '../../src/learner/index.js';
import { decodeModel, readModelFile, type LoadedModelFile } from '../../src/model/model-file.js';
import type { LogStore } from '../../src/store/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { PROBE_TEXTS, replayedOn } from './probes.js';
import { checkpointsBeside, type ServerPaths } from './server-process.js';
import { useLogStores, type StoreKind } from './stores.js';

/** Where the server processes of a durability test keep their log and model, and what the test does there. */
export interface ServerLog {
  readonly kind: StoreKind;
  /** The servers' environment for it: DATABASE_URL on PostgreSQL; nothing on SQLite (DB_PATH is the folder's). */
  readonly env: Record<string, string>;
  /** A store on the log for the test, closed after it (SQLite: read-only unless `write`, so a server may be running). */
  open(options?: { write?: boolean }): Promise<LogStore>;
  /** The model a server starting now loads: the model file (SQLite), or the newest published model, else the file (PostgreSQL). */
  model(): Promise<LoadedModelFile>;
  /** P(positive) of the probes as a fresh start gives them: model() with the whole log after its watermark replayed. */
  replayed(texts?: readonly string[]): Promise<number[]>;
  /** What `npm run update` does, in this process: folds the log into the model file (SQLite), or publishes a new model in the database (PostgreSQL). */
  update(): Promise<UpdateModelFileResult>;
}

/**
 * Call in a describe block: the log of a server folder (from makeServerFolder) on `kind`. On
 * PostgreSQL one embedded server runs for the block and each folder's log is a new database.
 *
 * @example
 *   describe.each(STORE_KINDS)('on %s', (kind) => {
 *     const serverLog = useServerLogs(kind);
 *     it('...', async () => {
 *       const paths = makeServerFolder('crash');
 *       const log = await serverLog(paths);
 *       const server = await startServerProcess(paths, { env: log.env });
 *     });
 *   });
 */
export function useServerLogs(kind: StoreKind): (paths: ServerPaths) => Promise<ServerLog> {
  const logs = useLogStores(kind);
  return async (paths) => {
    const url = kind === 'PostgreSQL' ? await logs.newLog() : undefined;
    const openPostgres = async (): Promise<PostgresStore> => logs.adopt(await openPostgresStore(url!));
    const log: ServerLog = {
      kind,
      env: url === undefined ? {} : { DATABASE_URL: url },
      open: async ({ write = false } = {}) => (url === undefined ? logs.open(paths.dbPath, { readonly: !write }) : openPostgres()),
      async model() {
        if (url === undefined) return readModelFile(paths.modelPath);
        const published = await (await openPostgres()).latestPublishedModel();
        return published === null ? readModelFile(paths.modelPath) : decodeModel(published.bytes, 'the published model');
      },
      replayed: async (texts = PROBE_TEXTS) => replayedOn(await log.model(), await log.open(), texts),
      async update() {
        if (url === undefined) {
          const store = await log.open({ write: true });
          return updateModelFile({ store, checkpoints: checkpointsBeside(paths.modelPath), modelPath: paths.modelPath });
        }
        const store = await openPostgres();
        return updateModelFile({ store, home: publishedModelHome(store, paths.modelPath), checkpoints: databaseCheckpoints(store) });
      },
    };
    return log;
  };
}
