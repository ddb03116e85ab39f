import type { Config } from './config.js';
import { createLearner, followChanges, modelJournal, moderationRule, openCheckpoints } from './learner/index.js';
import { decodeModel, readModelFileBytes } from './model/model-file.js';
import { openStore } from './store/index.js';
import { createApp } from './web/app.js';
import { createLogger } from './web/logger.js';

/** Review texts added to the console's full-text index per look (every RELOAD_POLL_MS). */
const TEXT_INDEX_BATCH = 2_000;

/** The settings, with the CSRF secret resolved (from CSRF_SECRET or the secret file; see src/main.ts). */
export type ServerConfig = Config & { csrfSecret: string };

/** A listening server process; see {@link startServer}. */
export interface RunningServer {
  port: number;
  /** Load the model file again now (what SIGHUP asks for). */
  reloadModelFile(reason: string): void;
  /** Stop listening, write the predictions still queued, close the database. */
  close(): Promise<void>;
}

/**
 * One server process: config -> model file -> store -> learner -> app -> listen, then follow the
 * log and the model file. Returns once listening. Owns nothing of the process (signals, exit
 * codes, cluster): that is src/main.ts.
 *
 * @example
 *   const server = await startServer({ ...loadConfig({ PORT: '0' }), csrfSecret });
 *   await fetch(`http://127.0.0.1:${server.port}/healthz`);
 *   await server.close();
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const logger = createLogger(config);
  const started = performance.now();
  const bytes = readModelFileBytes(config.modelPath);
  const model = decodeModel(bytes, config.modelPath);
  const loadMs = performance.now() - started;
  const checkpoints = openCheckpoints(config.checkpointDir);
  checkpoints.keep(bytes, model.header);
  const store = openStore(config.dbPath, { verdictRule: moderationRule(config.moderation) });
  const replayStarted = performance.now();
  const learner = createLearner({ model, store, checkpoints });
  const replayMs = performance.now() - replayStarted;
  const journal = modelJournal({
    learner,
    events: store.modelEvents,
    changes: store.console,
    onError: (error) => logger.error({ err: error }, `could not write the model timeline: ${(error as Error).message}`),
  });
  journal.note();
  const app = createApp({ learner, store, config, logger, checkpoints, journal });
  const server = app.listen(config.port, config.host);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    store.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const info = learner.modelInfo();
  logger.info(
    {
      address: `http://${config.host}:${port}`,
      pid: process.pid,
      model: { path: config.modelPath, ...info, loadMs: Math.round(loadMs) },
      replay: { ...learner.replayed, ms: Math.round(replayMs) },
      db: config.dbPath,
    },
    `listening on http://${config.host}:${port} (model ${info.preset} ${info.version}, ` +
      `replayed ${learner.replayed.folded} feedback rows in ${Math.round(replayMs)} ms)`,
  );
  const follower = followChanges({
    learner,
    checkpoints,
    modelPath: config.modelPath,
    pollMs: config.reloadPollMs,
    log: logger,
    afterEachLook: journal.note,
  });
  // The console's text filter reads a full-text index filled here, in batches, off the request
  // path; rows newer than it are read directly. 2,000 rows take ~60 ms under the write lock
  // (npm run console:bench, text_index_batch).
  const textIndexer = setInterval(() => {
    try {
      store.console.indexText(TEXT_INDEX_BATCH);
    } catch (error) {
      logger.error({ err: error }, `could not index review texts for the console: ${(error as Error).message}`);
    }
  }, config.reloadPollMs);
  textIndexer.unref();

  return {
    port,
    reloadModelFile: follower.reloadModelFile,
    close: () =>
      new Promise<void>((resolve) => {
        follower.stop();
        clearInterval(textIndexer);
        server.close(() => {
          void learner.drain().finally(() => {
            store.close();
            resolve();
          });
        });
        server.closeAllConnections();
      }),
  };
}
