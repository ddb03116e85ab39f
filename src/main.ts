import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';

import { ClusterMemoryStorePrimary } from '@express-rate-limit/cluster-memory-store';
import { AggregatorRegistry } from 'prom-client';

import { loadConfig, type Config } from './config.js';
import { readOrCreateCsrfSecret } from './csrf-secret.js';
import { MovieClassifierError } from './errors.js';
import { startMetricsServer, type MetricsServerOptions } from './metrics/server.js';

/** More worker crashes than this within RESPAWN_WINDOW_MS means something is wrong: stop instead. */
const MAX_RESPAWNS = 10;
const RESPAWN_WINDOW_MS = 60_000;

/**
 * The process entry (`npm start`): reads the settings, then serves in this process, or with
 * WORKERS=N forks N workers that each run this file and serve. Owns signals and exit codes:
 * SIGTERM/SIGINT stop gracefully, SIGHUP reloads the model file.
 */
async function main(): Promise<void> {
  const settings = loadConfig();
  // Made (or read) in the primary before forking, so a bad secret file fails once, and every
  // worker then reads the one file the primary made.
  const config = { ...settings, csrfSecret: settings.csrfSecret ?? readOrCreateCsrfSecret(settings.dataDir) };
  if (config.workers > 1 && cluster.isPrimary) return superviseWorkers(config);
  // Loaded here, not at the top: the cluster primary only forks and never needs the app, the
  // model or SQLite, and skipping them gets the workers started sooner.
  const { startServer } = await import('./server.js');
  const server = await startServer(config);
  const registry = server.metrics;
  // A worker's metrics are served by the primary, summed with the others'.
  if (config.metricsPort !== undefined && registry !== undefined && !cluster.isWorker) {
    await serveMetrics(config, { metrics: () => registry.metrics(), contentType: registry.contentType });
  }
  // reloadModelFile catches and logs its own failures (the current model is kept), so it never rejects.
  process.on('SIGHUP', () => void server.reloadModelFile('SIGHUP'));
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/**
 * Forks the workers and keeps them running. A worker that dies after it was serving is replaced
 * (a crash in one must not take the site down); one that dies before it ever listened would fail
 * again the same way (bad model file, port taken), so that stops everything with its exit code.
 */
function superviseWorkers(config: Config): void {
  const listening = new WeakSet<Worker>();
  const respawns: number[] = [];
  let stopping = false;

  const stopAll = (code: number): void => {
    stopping = true;
    process.exitCode = code;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
  };
  // The workers' rate-limit counters, kept here so a client's limit holds across all of them
  // (src/web/middleware/rate-limits.ts).
  if (config.rateLimit.enabled) new ClusterMemoryStorePrimary().init();
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...workerV8Flags(config.workers)] });
  cluster.on('listening', (worker) => listening.add(worker));
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const how = signal ?? `code ${code}`;
    if (!listening.has(worker)) {
      process.stderr.write(`movieclassifier: worker ${worker.process.pid} exited (${how}) while starting; stopping.\n`);
      return stopAll(typeof code === 'number' && code !== 0 ? code : 1);
    }
    const now = Date.now();
    respawns.push(now);
    while (respawns.length > 0 && respawns[0] < now - RESPAWN_WINDOW_MS) respawns.shift();
    if (respawns.length > MAX_RESPAWNS) {
      process.stderr.write(`movieclassifier: ${respawns.length} worker crashes within a minute; stopping.\n`);
      return stopAll(1);
    }
    process.stderr.write(`movieclassifier: worker ${worker.process.pid} exited (${how}); starting a new one.\n`);
    cluster.fork();
  });
  for (let k = 0; k < config.workers; k++) cluster.fork();
  if (config.metricsPort !== undefined) {
    // Asks each worker for its metrics (prom-client's cluster messages) and sums them.
    const aggregator = new AggregatorRegistry();
    serveMetrics(config, { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType }).catch(
      (error: unknown) => {
        process.stderr.write(`movieclassifier: ${(error as Error).message}\n`);
        stopAll(1);
      },
    );
  }

  const stop = (): void => stopAll(0);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.on('SIGHUP', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });
}

/**
 * V8 flags for the workers, unless the command line set them already:
 *
 * - `--max-old-space-size=160`: with the default limit (a quarter of this machine's memory) V8
 *   lets the old generation swing by ~45 MB between collections, and a worker's RSS went up and
 *   down with it (200-248 MB, sampled after each 8 s of load). With a limit it holds: 189-193 MB
 *   at 96, 191-200 at 160, 193-202 at 256, at the same throughput; over `npm run bench` (WORKERS=2)
 *   at 160: +1.7 and +10.2 MB per worker after warm-up. A worker's live heap is ~40 MB (48 made
 *   it collect without end), so 160 leaves four times that.
 * - `--heap-growing-percent=100`: under a 160 MB limit V8 lets the old generation grow only ~10-30%
 *   past what the last full collection kept (~20 MB) before the next one, and a worker serving
 *   POST /results collected in full 3-4 times a second: ~45 µs of mark-compact per request, as
 *   much as all the scavenges (one process, wrk 8 connections, --trace-gc pause totals over 6 s:
 *   19-23 mark-compacts; 10 at 100, 6 at 200). At 200 the workers' RSS grew +12.6 and +16.3 MB
 *   over `npm run bench`; at 100, -3.5 and +7.7, with POST /results and the API as fast.
 * - `--single-threaded-gc` when the workers are as many as the CPUs: V8's helper threads
 *   (parallel scavenging, concurrent marking) only take CPU from the other workers then.
 *   WORKERS=2 on 2 CPUs, POST /results (wrk, 16 connections, alternating runs): 3,741-3,962 ->
 *   4,205-4,402 requests/s, p99 19-24 -> 15-16 ms, 10% less CPU per request.
 *
 * None can be switched on in a running process, so a single process (WORKERS=1) keeps the
 * defaults (`npm start` passes `--max-old-space-size=160 --heap-growing-percent=100` to the process itself as well;
 * `npm run bench` measured it at -2.9, +7.3 and, under load from other work, +26.3 MB).
 */
function workerV8Flags(workers: number): string[] {
  const flags: string[] = [];
  const has = (name: string): boolean => process.execArgv.some((flag) => flag.startsWith(name));
  if (!has('--max-old-space-size')) flags.push('--max-old-space-size=160');
  if (!has('--heap-growing-percent')) flags.push('--heap-growing-percent=100');
  if (workers >= availableParallelism() && !has('--single-threaded-gc')) flags.push('--single-threaded-gc');
  return flags;
}

/** GET /metrics on METRICS_HOST:METRICS_PORT; says where on stdout, as a JSON line like the workers'. */
async function serveMetrics(
  config: Config,
  source: Pick<MetricsServerOptions, 'metrics' | 'contentType'>,
): Promise<void> {
  const server = await startMetricsServer({ port: config.metricsPort ?? 0, host: config.metricsHost, ...source }).catch(
    (error: unknown) => {
      throw new MovieClassifierError(
        `cannot serve the metrics on ${config.metricsHost}:${config.metricsPort} (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
          'choose another METRICS_PORT, or unset it',
        { cause: error },
      );
    },
  );
  server.unref(); // the site's server and the workers keep the process alive, not this
  const metrics = `http://${config.metricsHost}:${server.port}/metrics`;
  process.stdout.write(
    `${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, metrics, msg: `metrics on ${metrics}` })}\n`,
  );
}

function fail(error: unknown): never {
  const text =
    error instanceof MovieClassifierError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`movieclassifier: ${text}\n`);
  process.exit(1);
}

main().catch(fail);
