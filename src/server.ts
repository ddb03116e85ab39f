import type { Config } from './config.js';
import {
  createLearner,
  databaseCheckpoints,
  followChanges,
  moderationRule,
  openCheckpoints,
  type Checkpoints,
  type FollowChangesOptions,
} from './learner/index.js';
import { decodeModel, readModelFileBytes, type LoadedModelFile } from './model/model-file.js';
import { openStore, type LogStore } from './store/index.js';
import { openPostgresStore } from './store/postgres/index.js';
import { createApp } from './web/app.js';
import { createLogger } from './web/logger.js';

/** The settings, with the CSRF secret resolved (from CSRF_SECRET or the secret file; see src/main.ts). */
export type ServerConfig = Config & { csrfSecret: string };

/** A listening server process; see {@link startServer}. */
export interface RunningServer {
  port: number;
  /** Load the model file (or the newest published model) again now: what SIGHUP asks for. */
  reloadModelFile(reason: string): Promise<void>;
  /** Stop listening, write the predictions still queued, close the database. */
  close(): Promise<void>;
}

/** Where this process's log, checkpoints and model come from: SQLite and files, or PostgreSQL. */
interface Storage {
  store: LogStore;
  checkpoints: Checkpoints;
  model: LoadedModelFile;
  /** What the start-up line says the model and the log are. */
  describe: { model: string; db: string };
  follow: Pick<FollowChangesOptions, 'modelPath' | 'store' | 'published'>;
}

/**
 * One server process: config -> storage (log, checkpoints, model) -> learner -> app -> listen,
 * then follow the log and the model. Returns once listening. Owns nothing of the process
 * (signals, exit codes, cluster): that is src/main.ts.
 *
 * @example
 *   const server = await startServer({ ...loadConfig({ PORT: '0' }), csrfSecret });
 *   await fetch(`http://127.0.0.1:${server.port}/healthz`);
 *   await server.close();
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const logger = createLogger(config);
  const started = performance.now();
  const storage = config.databaseUrl === undefined ? openFileStorage(config) : await openDatabaseStorage(config, config.databaseUrl);
  const { store, checkpoints, model } = storage;
  const loadMs = performance.now() - started;
  const replayStarted = performance.now();
  const learner = await createLearner({ model, store, checkpoints });
  const replayMs = performance.now() - replayStarted;
  const app = createApp({ learner, store, config, logger });
  const server = app.listen(config.port, config.host);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const info = learner.modelInfo();
  logger.info(
    {
      address: `http://${config.host}:${port}`,
      pid: process.pid,
      model: { path: storage.describe.model, ...info, loadMs: Math.round(loadMs) },
      replay: { ...learner.replayed, ms: Math.round(replayMs) },
      db: storage.describe.db,
    },
    `listening on http://${config.host}:${port} (model ${info.preset} ${info.version}, ` +
      `replayed ${learner.replayed.folded} feedback rows in ${Math.round(replayMs)} ms)`,
  );
  const follower = followChanges({ learner, checkpoints, pollMs: config.reloadPollMs, log: logger, ...storage.follow });

  return {
    port,
    reloadModelFile: follower.reloadModelFile,
    close: () =>
      new Promise<void>((resolve) => {
        follower.stop();
        server.close(() => {
          void learner
            .drain()
            .then(() => store.close())
            .finally(resolve);
        });
        server.closeAllConnections();
      }),
  };
}

/** SQLite at DB_PATH, checkpoints in DATA_DIR/checkpoints, the model file at MODEL_PATH. */
function openFileStorage(config: ServerConfig): Storage {
  const bytes = readModelFileBytes(config.modelPath);
  const model = decodeModel(bytes, config.modelPath);
  const checkpoints = openCheckpoints(config.checkpointDir);
  checkpoints.keep(bytes, model.header);
  const store = openStore(config.dbPath, { verdictRule: moderationRule(config.moderation) });
  return { store, checkpoints, model, describe: { model: config.modelPath, db: config.dbPath }, follow: { modelPath: config.modelPath } };
}

/**
 * PostgreSQL at DATABASE_URL: the log and the checkpoints in the database, and the model the
 * newest one published there (by `npm run update`), or the shipped model file before any is —
 * so a new instance with an empty data folder serves what the others serve.
 */
async function openDatabaseStorage(config: ServerConfig, url: string): Promise<Storage> {
  const store = await openPostgresStore(url, { verdictRule: moderationRule(config.moderation) });
  try {
    const checkpoints = databaseCheckpoints(store);
    const published = await store.latestPublishedModel();
    const bytes = published?.bytes ?? readModelFileBytes(config.modelPath);
    const source = published === null ? config.modelPath : `the model published in ${store.path}`;
    const model = decodeModel(bytes, source);
    await checkpoints.keep(bytes, model.header);
    return {
      store,
      checkpoints,
      model,
      describe: { model: source, db: store.path },
      follow: {
        modelPath: null,
        store,
        published: {
          subscribe: (listener) => store.onModelPublished(listener),
          latest: async (loaded) => (await store.latestPublishedModel(loaded))?.bytes ?? null,
          startedFrom: published?.checksum ?? null,
        },
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
