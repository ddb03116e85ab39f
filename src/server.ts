import { createServer } from 'node:http';

import type { Registry } from 'prom-client';

import type { Config } from './config.js';
import { MovieClassifierError } from './errors.js';
import {
  createLearner,
  databaseCheckpoints,
  followChanges,
  modelJournal,
  moderationRule,
  openCheckpoints,
  type Checkpoints,
  type FollowChangesOptions,
} from './learner/index.js';
import { decodeModel, readModelFileBytes, type LoadedModelFile } from './model/model-file.js';
import { openStore, type LogStore } from './store/index.js';
import { openPostgresStore } from './store/postgres/index.js';
import { startPredictionExpiry } from './store/prediction-expiry.js';
import { startWalCheckpointer } from './store/wal-checkpointer.js';
import { createWriteGate } from './store/write-gate.js';
import { createMetrics } from './metrics/index.js';
import { createApp } from './web/app.js';
import { createLogger } from './web/logger.js';

/**
 * How long a statement of the server's connection waits for another connection's write lock, in
 * ms: the event loop waits with it (better-sqlite3 is synchronous). Enough for the other worker's
 * commit (~0.1-1 ms); a longer lock is waited for by the write gate, off the event loop, up to
 * DB_WRITE_WAIT_MS. It was 5 s: a lock held elsewhere froze every request for that long.
 */
const SERVER_LOCK_WAIT_MS = 10;

/**
 * WAL pages at which a commit of the server's connection checkpoints by itself (SQLite's default
 * is 1,000): only if the checkpoint thread falls behind by this much (~64 MB), since a checkpoint
 * in a commit stalls the event loop (src/store/wal-checkpointer.ts).
 */
const BACKSTOP_CHECKPOINT_PAGES = 16_384;

/**
 * How long `close` waits for requests in flight before cutting their connections: longer than
 * any answer takes (a prediction waits at most DB_WRITE_WAIT_MS for the database), shorter than
 * the 30 s a process manager usually gives before SIGKILL.
 */
const SHUTDOWN_GRACE_MS = 10_000;

/** Review texts added to the console's full-text index per look (every RELOAD_POLL_MS). */
const TEXT_INDEX_BATCH = 2_000;

/** The settings, with the CSRF secret resolved (from CSRF_SECRET or the secret file; see src/main.ts). */
export type ServerConfig = Config & { csrfSecret: string };

/** A listening server process; see {@link startServer}. */
export interface RunningServer {
  port: number;
  /** This process's metrics (METRICS_PORT set), for src/main.ts to serve or the primary to sum. */
  metrics: Registry | undefined;
  /** Load the model file (or the newest published model) again now: what SIGHUP asks for. */
  reloadModelFile(reason: string): Promise<void>;
  /**
   * Stop listening, let the requests in flight finish (closing each connection once its answer
   * is out, and idle ones at once), write the predictions still queued, close the database.
   * Connections still busy after SHUTDOWN_GRACE_MS are cut.
   */
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
  /** The SQLite file whose WAL a thread checkpoints while serving; null for PostgreSQL. */
  sqlitePath: string | null;
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
  const writes = createWriteGate({
    waitMs: config.dbWriteWaitMs,
    probe: () => void Promise.resolve(store.checkWritable()).catch(() => undefined),
    log: logger,
  });
  const replayStarted = performance.now();
  let learner;
  try {
    learner = await createLearner({ model, store, checkpoints, modelPath: storage.describe.model, writes });
  } catch (error) {
    await store.close();
    throw error;
  }
  const replayMs = performance.now() - replayStarted;
  const journal = modelJournal({
    learner,
    events: store.modelEvents,
    changes: store.console,
    onError: (error) => logger.error({ err: error }, `could not write the model timeline: ${(error as Error).message}`),
  });
  await journal.note();
  const metrics = config.metricsPort === undefined ? undefined : createMetrics();
  metrics?.watch({ learner, store, checkpoints });
  const app = createApp({ learner, store, config, logger, checkpoints, journal, ...(metrics === undefined ? {} : { metrics }) });
  const { headersMs, requestMs, keepAliveMs } = config.httpTimeouts;
  const server = createServer(
    {
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      keepAliveTimeout: keepAliveMs,
      // Node checks the two request timeouts on this interval (30 s by default), so a slow
      // client could keep its connection that much longer than they say.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersMs / 4))),
    },
    app,
  );
  let closing = false;
  server.on('request', (_req, res) => {
    // While closing, a connection whose answer has gone out is idle: close it then, so the
    // client opens its next request elsewhere instead of finding this socket cut.
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  server.listen(config.port, config.host);
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
  const follower = followChanges({
    learner,
    checkpoints,
    pollMs: config.reloadPollMs,
    log: logger,
    afterEachLook: journal.note,
    ...storage.follow,
  });
  const expiry = startPredictionExpiry({ store, ttlHours: config.predictionTtlHours, log: logger });
  // The console's text filter reads a full-text index filled here, in batches, off the request
  // path; rows newer than it are read directly. 2,000 rows take ~60 ms under SQLite's write lock
  // (npm run console:bench, text_index_batch). On PostgreSQL every instance runs it; they take
  // turns on the index's position row.
  let indexing: Promise<void> | undefined;
  const textIndexer = setInterval(() => {
    if (indexing !== undefined) return; // PostgreSQL answers later: one batch at a time
    indexing = Promise.resolve()
      .then(async () => {
        await store.console.indexText(TEXT_INDEX_BATCH);
      })
      .catch((error: unknown) => {
        // Another process holding the write lock is the usual reason: the next look indexes them.
        const busy = /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown }).code));
        const message = `could not index review texts for the console: ${(error as Error).message}`;
        if (busy) logger.debug({ err: error }, message);
        else logger.error({ err: error }, message);
      })
      .finally(() => (indexing = undefined));
  }, config.reloadPollMs);
  textIndexer.unref();
  const walCheckpointer = storage.sqlitePath === null ? undefined : startWalCheckpointer(storage.sqlitePath, { log: logger });

  return {
    port,
    metrics: metrics?.registry,
    reloadModelFile: follower.reloadModelFile,
    close: () =>
      new Promise<void>((resolve) => {
        follower.stop();
        expiry.stop();
        writes.stop();
        closing = true;
        const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        clearInterval(textIndexer);
        server.close(() => {
          clearTimeout(cut);
          void learner
            .drain()
            .then(() => indexing)
            .then(() => walCheckpointer?.stop())
            .then(() => store.close())
            .finally(resolve);
        });
        server.closeIdleConnections();
      }),
  };
}

/** SQLite at DB_PATH, checkpoints in DATA_DIR/checkpoints, the model file at MODEL_PATH. */
function openFileStorage(config: ServerConfig): Storage {
  const bytes = readModelFileBytes(config.modelPath);
  const model = decodeModel(bytes, config.modelPath);
  // The database before the checkpoint: a database that cannot be used stops start-up with
  // nothing created beside it.
  const store = openStore(config.dbPath, {
    busyTimeoutMs: SERVER_LOCK_WAIT_MS,
    verdictRule: moderationRule(config.moderation),
    autoCheckpointPages: BACKSTOP_CHECKPOINT_PAGES,
  });
  const checkpoints = openCheckpoints(config.checkpointDir);
  try {
    checkpoints.keep(bytes, model.header);
  } catch (error) {
    store.close();
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new MovieClassifierError(
      `cannot keep the model's checkpoint in ${config.checkpointDir} (${code}); make DATA_DIR writable. ` +
        `Checkpoints are what undoing a verdict rebuilds from.`,
      { cause: error },
    );
  }
  return {
    store,
    checkpoints,
    model,
    describe: { model: config.modelPath, db: config.dbPath },
    follow: { modelPath: config.modelPath },
    sqlitePath: config.dbPath,
  };
}

/**
 * PostgreSQL at DATABASE_URL: the log and the checkpoints in the database, and the model the
 * newest one published there (by `npm run update`), or the shipped model file before any is —
 * so a new instance with an empty data folder serves what the others serve.
 */
async function openDatabaseStorage(config: ServerConfig, url: string): Promise<Storage> {
  const store = await openPostgresStore(url, { verdictRule: moderationRule(config.moderation), poolSize: config.dbPoolSize });
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
      sqlitePath: null,
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
