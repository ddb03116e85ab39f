import type { Config } from './config.js';
import { createLearner, followChanges, moderationRule, openCheckpoints } from './learner/index.js';
import { decodeModel, readModelFileBytes } from './model/model-file.js';
import { openStore } from './store/index.js';
import { createApp } from './web/app.js';
import { createLogger } from './web/logger.js';

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
  const follower = followChanges({ learner, checkpoints, modelPath: config.modelPath, pollMs: config.reloadPollMs, log: logger });

  return {
    port,
    reloadModelFile: follower.reloadModelFile,
    close: () =>
      new Promise<void>((resolve) => {
        follower.stop();
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
