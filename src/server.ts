import { createServer } from 'node:http';

import type { Registry } from 'prom-client';

import type { Config } from './config.js';
import { DatabaseUnavailableError, MovieClassifierError } from './errors.js';
import { createLearner, followChanges, modelJournal } from './learner/index.js';
import { moderationRule } from './moderation/index.js';
import { decodeModel, type LoadedModelFile } from './model/model-file.js';
import { startPredictionExpiry } from './store/jobs/prediction-expiry.js';
import { startTextIndexer } from './store/jobs/text-indexer.js';
import { openStorage, type Storage } from './store/open-storage.js';
import { startWalCheckpointer } from './store/jobs/wal-checkpointer.js';
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
 * in a commit stalls the event loop (src/store/jobs/wal-checkpointer.ts).
 */
const BACKSTOP_CHECKPOINT_PAGES = 16_384;

/**
 * How long `close` waits for requests in flight before cutting their connections: longer than
 * any answer takes (a prediction waits at most DB_WRITE_WAIT_MS for the database), shorter than
 * the 30 s a process manager usually gives before SIGKILL.
 */
const SHUTDOWN_GRACE_MS = 10_000;

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
  const storage = await openStorage(config, {
    verdictRule: moderationRule(config.moderation),
    busyTimeoutMs: SERVER_LOCK_WAIT_MS,
    autoCheckpointPages: BACKSTOP_CHECKPOINT_PAGES,
    poolSize: config.dbPoolSize,
    maxUnansweredPerClient: config.predictionMaxPerClient,
  });
  const { store, checkpoints } = storage;
  const model = await loadServedModel(storage, config.checkpointDir);
  const loadMs = performance.now() - started;
  const writes = createWriteGate({
    waitMs: config.dbWriteWaitMs,
    probe: () => store.checkWritable(),
    log: logger,
  });
  const replayStarted = performance.now();
  let learner;
  try {
    learner = await createLearner({ model, store, checkpoints, modelPath: storage.model.name, writes });
  } catch (error) {
    await store.close();
    throw error;
  }
  const replayMs = performance.now() - replayStarted;
  const journal = modelJournal({
    learner,
    events: store.modelEvents,
    changes: store.console,
    // A database that is away (another process holding SQLite's write lock) is not the journal's
    // fault: its next look, after the next poll, writes the same event; /healthz reports a
    // database that stays away.
    onError: (error) =>
      logger[error instanceof DatabaseUnavailableError ? 'debug' : 'error'](
        { err: error },
        `could not write the model timeline: ${(error as Error).message}`,
      ),
  });
  await journal.note();
  const metrics = config.metricsPort === undefined ? undefined : createMetrics();
  metrics?.watch({ learner, store, checkpoints });
  const app = createApp({
    learner,
    store,
    config,
    logger,
    checkpoints,
    journal,
    ...(metrics === undefined ? {} : { metrics }),
  });
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
      model: { path: storage.model.name, ...info, loadMs: Math.round(loadMs) },
      replay: { ...learner.replayed, ms: Math.round(replayMs) },
      db: store.path,
    },
    `listening on http://${config.host}:${port} (model ${info.preset} ${info.version}, ` +
      `replayed ${learner.replayed.folded} feedback rows in ${Math.round(replayMs)} ms)`,
  );
  const follower = followChanges({
    learner,
    checkpoints,
    pollMs: config.reloadPollMs,
    log: logger,
    // note() never rejects (it reports its own failures through onError), so nothing is lost by not awaiting it.
    afterEachLook: () => void journal.note(),
    ...storage.follow,
  });
  const expiry = startPredictionExpiry({
    store,
    ttlHours: config.predictionTtlHours,
    maxTotal: config.predictionMaxTotal,
    log: logger,
  });
  const textIndexer = startTextIndexer(store.console, { everyMs: config.reloadPollMs, log: logger });
  const walCheckpointer =
    storage.sqlitePath === null ? undefined : startWalCheckpointer(storage.sqlitePath, { log: logger });

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
        server.close(() => {
          clearTimeout(cut);
          void learner
            .drain()
            .then(() => textIndexer.stop())
            .then(() => walCheckpointer?.stop())
            .then(() => store.close())
            .finally(resolve);
        });
        server.closeIdleConnections();
      }),
  };
}

/**
 * The model this process serves first (the model file, or the newest published in PostgreSQL),
 * kept as a checkpoint before it is served: checkpoints are what undoing a verdict rebuilds from.
 * Closes the store when it cannot.
 */
async function loadServedModel(storage: Storage, checkpointDir: string): Promise<LoadedModelFile> {
  try {
    const bytes = await storage.model.read();
    const model = decodeModel(bytes, storage.model.name);
    try {
      await storage.checkpoints.keep(bytes, model.header);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (storage.engine !== 'SQLite' || code === undefined) throw error;
      throw new MovieClassifierError(
        `cannot keep the model's checkpoint in ${checkpointDir} (${code}); make DATA_DIR writable. ` +
          `Checkpoints are what undoing a verdict rebuilds from.`,
        { cause: error },
      );
    }
    return model;
  } catch (error) {
    await storage.store.close();
    throw error;
  }
}
