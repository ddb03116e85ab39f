import cluster from 'node:cluster';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { loadConfig, type Config } from './config.js';
import { readOrCreateCsrfSecret } from './csrf-secret.js';
import { MovieClassifierError } from './errors.js';

/**
 * One server process: config -> store -> learner -> app -> listen. Returns once listening.
 */
export async function startServer(config: Config): Promise<{ close: () => Promise<void>; port: number }> {
  // Loaded here, not at the top: with WORKERS=N the cluster primary only forks and never needs
  // the app, the model or SQLite, and skipping them gets the workers started sooner.
  const [{ createLearner }, { readModelFile }, { openStore }, { createApp }, { createLogger }] = await Promise.all([
    import('./learner.js'),
    import('./model/model-file.js'),
    import('./store/index.js'),
    import('./web/app.js'),
    import('./web/logger.js'),
  ]);
  const logger = createLogger(config);
  const started = performance.now();
  const bundle = readModelFile(config.modelPath);
  const loadMs = performance.now() - started;
  const store = openStore(config.dbPath);
  const replayStarted = performance.now();
  const learner = createLearner({ bundle, store });
  const replayMs = performance.now() - replayStarted;
  const csrfSecret = config.csrfSecret ?? readOrCreateCsrfSecret(config.dataDir);
  const app = createApp({ learner, store, config: { ...config, csrfSecret }, logger });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const facts = learner.modelInfo();
  logger.info(
    {
      address: `http://${config.host}:${port}`,
      pid: process.pid,
      model: { path: config.modelPath, ...facts, loadMs: Math.round(loadMs) },
      replay: { ...learner.replayed, ms: Math.round(replayMs) },
      db: config.dbPath,
    },
    `listening on http://${config.host}:${port} (model ${facts.preset} ${facts.version}, ` +
      `replayed ${learner.replayed.folded} feedback rows in ${Math.round(replayMs)} ms)`,
  );

  // Rows written by other processes (workers, other servers on this database): at most one
  // poll interval behind. Own feedback is applied at once, in the request.
  const poll = setInterval(() => {
    const applied = learner.catchUp();
    if (applied > 0) logger.debug({ applied, appliedThrough: learner.modelInfo().appliedThrough }, 'caught up with the log');
  }, config.reloadPollMs);
  poll.unref();

  // A new model file (npm run update, npm run train): load it whole, replay the log after its
  // watermark, then swap. A bad file is logged and ignored; the current model keeps serving.
  const reload = (reason: string): void => {
    try {
      const startedReload = performance.now();
      const next = readModelFile(config.modelPath);
      const counts = learner.reload(next);
      logger.info(
        { reason, model: learner.modelInfo(), replayed: counts, ms: Math.round(performance.now() - startedReload) },
        `reloaded model ${config.modelPath} (${reason})`,
      );
    } catch (error) {
      logger.error({ err: error, reason }, `kept the current model: ${(error as Error).message}`);
    }
  };
  const onModelFileChange = (now: Stats, before: Stats): void => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) {
      if (now.nlink > 0) reload('model file changed');
    }
  };
  watchFile(config.modelPath, { interval: config.reloadPollMs, persistent: false }, onModelFileChange);
  const onHangup = (): void => reload('SIGHUP');
  process.on('SIGHUP', onHangup);

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(poll);
        unwatchFile(config.modelPath, onModelFileChange);
        process.off('SIGHUP', onHangup);
        server.close(() => {
          store.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

function fail(error: unknown): never {
  if (error instanceof MovieClassifierError) {
    process.stderr.write(`movieclassifier: ${error.message}\n`);
  } else {
    process.stderr.write(`movieclassifier: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.workers > 1 && cluster.isPrimary) {
    for (let k = 0; k < config.workers; k++) cluster.fork();
    let exiting = false;
    cluster.on('exit', (worker, code, signal) => {
      if (exiting) return;
      // A worker that cannot start (bad model file) would fail again; stop everything instead.
      exiting = true;
      process.stderr.write(`movieclassifier: worker ${worker.process.pid} exited (${signal ?? code}); stopping.\n`);
      for (const other of Object.values(cluster.workers ?? {})) other?.kill();
      process.exitCode = typeof code === 'number' && code !== 0 ? code : 1;
    });
    const stop = (): void => {
      exiting = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.on('SIGHUP', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
    });
    return;
  }
  const server = await startServer(config);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch(fail);
