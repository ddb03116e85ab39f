import {
  databaseCheckpoints,
  publishedModelHome,
  updateModelFile,
  type Checkpoints,
  type UpdateModelFileOptions,
  type UpdateModelFileResult,
} from '../../src/learner/index.js';
import { DEFAULT_MODERATION, moderationRule } from '../../src/moderation/index.js';
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
  /**
   * A store on the log for the test, closed after it (do not close it yourself: on PostgreSQL
   * every call answers the same store). SQLite: read-only unless `write`, so a server may be
   * running. Rows written get their verdicts from the default moderation rule, as a server's do.
   */
  open(options?: { write?: boolean }): Promise<LogStore>;
  /** Where `npm run update` keeps the model it replaces and the one it writes: DATA_DIR/checkpoints, or the database. */
  checkpoints(): Promise<Checkpoints>;
  /** The model a server starting now loads: the model file (SQLite), or the newest published model, else the file (PostgreSQL). */
  model(): Promise<LoadedModelFile>;
  /** P(positive) of the probes as a fresh start gives them: model() with the whole log after its watermark replayed. */
  replayed(texts?: readonly string[]): Promise<number[]>;
  /** What `npm run update` does, in this process: folds the log into the model file (SQLite), or publishes a new model in the database (PostgreSQL). */
  update(options?: Pick<UpdateModelFileOptions, 'batch' | 'dryRun' | 'force'>): Promise<UpdateModelFileResult>;
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
  const verdictRule = moderationRule(DEFAULT_MODERATION);
  return async (paths) => {
    const url = kind === 'PostgreSQL' ? await logs.newLog() : undefined;
    // One store (one pool) for everything the test does on the database.
    let postgresStore: Promise<PostgresStore> | undefined;
    const openPostgres = (): Promise<PostgresStore> =>
      (postgresStore ??= openPostgresStore(url!, { verdictRule }).then((store) => logs.adopt(store)));
    const log: ServerLog = {
      kind,
      env: url === undefined ? {} : { DATABASE_URL: url },
      open: async ({ write = false } = {}) =>
        url === undefined ? logs.open(paths.dbPath, { readonly: !write, verdictRule }) : openPostgres(),
      checkpoints: async () =>
        url === undefined ? checkpointsBeside(paths.modelPath) : databaseCheckpoints(await openPostgres()),
      async model() {
        if (url === undefined) return readModelFile(paths.modelPath);
        const published = await (await openPostgres()).latestPublishedModel();
        return published === null
          ? readModelFile(paths.modelPath)
          : decodeModel(published.bytes, 'the published model');
      },
      replayed: async (texts = PROBE_TEXTS) => replayedOn(await log.model(), await log.open(), texts),
      async update(options = {}) {
        if (url === undefined) {
          const store = await log.open({ write: true });
          return updateModelFile({
            ...options,
            store,
            checkpoints: checkpointsBeside(paths.modelPath),
            modelPath: paths.modelPath,
          });
        }
        const store = await openPostgres();
        return updateModelFile({
          ...options,
          store,
          home: publishedModelHome(store, paths.modelPath),
          checkpoints: databaseCheckpoints(store),
        });
      },
    };
    return log;
  };
}
