import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { LogLevel } from '../../src/config.js';
import { MovieClassifierError } from '../../src/errors.js';
import { SERVER_ENTRY, SERVER_HOST, spawnServer, type StartUpLine } from '../server-process.js';
import type { Cleanup } from './cleanup.js';

/** The bench could not start, reach, stop or measure a server, or build it. */
export class BenchError extends MovieClassifierError {
  override name = 'BenchError' as const;
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, SERVER_HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** What a server process said about itself in its start-up log line. */
export interface StartUpFacts {
  pid: number;
  address: string;
  /** Time to read the model file, in ms (`model.loadMs`). */
  modelLoadMs: number | null;
  /** Time to replay the feedback log at start-up, in ms (`replay.ms`). */
  replayMs: number | null;
}

/** What the bench reports of each start-up line, with null for a figure the line lacks. */
export function startUpFacts(lines: readonly StartUpLine[]): StartUpFacts[] {
  return lines.map((line) => ({
    pid: line.pid,
    address: line.address,
    modelLoadMs: typeof line.model?.loadMs === 'number' ? line.model.loadMs : null,
    replayMs: typeof line.replay?.ms === 'number' ? line.replay.ms : null,
  }));
}

export interface BenchServerOptions {
  /** Repository root: the server runs from here (it finds views/ and public/ from its own path). */
  root: string;
  workers: number;
  /** The model file to serve; copied into the temporary folder, never opened in place. */
  modelFile: string;
  logLevel: LogLevel;
  cleanup: Cleanup;
  /** @default 20000 */
  startTimeoutMs?: number;
}

export interface BenchServer {
  /** Pid of the process the bench spawned (the cluster primary with WORKERS > 1). */
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly dbPath: string;
  /** From spawn to the first 200 answer of GET /healthz, in ms. */
  readonly startToFirstAnswerMs: number;
  /** One per serving process. */
  readonly startUp: StartUpFacts[];
  /** Bytes the server has written to its log file so far. */
  logBytes(): number;
  /** The last 8 KB of its stderr. */
  stderr(): string;
  /** SIGTERM to the process group, SIGKILL after 5 s; removes the temporary folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the compiled server (SERVER_ENTRY.compiled) on a free 127.0.0.1 port in a temporary
 * data folder, with NODE_ENV=production, RATE_LIMIT=off, WORKERS=n, and its stdout (the pino log,
 * one line per request at LOG_LEVEL=info) written to a file there. Resolves once GET /healthz has
 * answered 200 and every worker has logged its start-up line.
 */
export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      lastError = error;
      // Another program took the port between the probe and the server's listen: try another.
      if (!(error instanceof BenchError && /EADDRINUSE/.test(error.message))) throw error;
    }
  }
  throw lastError;
}

async function startOnce(options: BenchServerOptions, port: number): Promise<BenchServer> {
  const { root, workers, cleanup } = options;
  cleanup.throwIfAborted(); // from here to spawn all is synchronous: Ctrl-C cannot slip in between
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const tempDir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-bench-'));
  const removeTemp = cleanup.add(`remove ${tempDir}`, () => rmSync(tempDir, { recursive: true, force: true }));
  const modelPath = path.join(tempDir, 'model.bin');
  const dbPath = path.join(tempDir, 'reviews.sqlite');
  const logFile = path.join(tempDir, 'server.log');
  copyFileSync(options.modelFile, modelPath);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: SERVER_HOST,
    PORT: String(port),
    DATA_DIR: tempDir,
    MODEL_PATH: modelPath,
    DB_PATH: dbPath,
    WORKERS: String(workers),
    RATE_LIMIT: 'off',
    // The load comes from one address standing in for many readers: no per-client moderation
    // limits (the near-duplicate and word rules still apply to every row), and no per-client bound
    // on unanswered predictions, which kept the feedback case's pool at its newest 500 and answered
    // every other feedback 404.
    MODERATION_CLIENT_ROWS_PER_DAY: '0',
    MODERATION_CLIENT_CORRECTIONS_PER_DAY: '0',
    PREDICTION_MAX_PER_CLIENT: '0',
    LOG_LEVEL: options.logLevel,
    CSRF_SECRET: randomBytes(32).toString('hex'),
  };

  let server: ReturnType<typeof spawnServer>;
  try {
    server = spawnServer({ entry: 'compiled', env, root, logFile });
  } catch (error) {
    await removeTemp.run();
    throw new BenchError(`could not start node ${SERVER_ENTRY.compiled}: ${(error as Error).message}`);
  }
  const { pid } = server;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stopStep.dismiss();
      await server.stop(5000);
      await removeTemp.run();
    })());
  const stopStep = cleanup.add(`stop server ${pid}`, stop);

  const stderr = (): string => server.stderr().slice(-8192);
  const fail = async (why: string): Promise<never> => {
    const log = safeRead(logFile).slice(-4096);
    await stop();
    throw new BenchError(
      `server WORKERS=${workers} on port ${port} ${why}\n--- stderr ---\n${stderr()}\n--- stdout ---\n${log}`,
    );
  };

  // Time to first answer: poll from spawn, every few ms.
  let firstAnswerMs: number | undefined;
  while (firstAnswerMs === undefined) {
    if (server.hasExited()) return fail(`exited before answering`);
    if (performance.now() - server.spawnedAt > timeoutMs)
      return fail(`did not answer GET /healthz within ${timeoutMs} ms`);
    const status = await getStatus(port, '/healthz');
    if (status === 200) firstAnswerMs = performance.now() - server.spawnedAt;
    else await sleep(5);
  }

  // With WORKERS > 1 the first answer came from one worker; the others may still be starting.
  let startUp: StartUpLine[];
  try {
    startUp = await server.waitForStartUp(workers, timeoutMs);
  } catch (error) {
    return fail((error as Error).message);
  }

  return {
    pid,
    url: `http://${SERVER_HOST}:${port}`,
    port,
    dbPath,
    startToFirstAnswerMs: Math.round(firstAnswerMs),
    startUp: startUpFacts(startUp),
    logBytes: () => {
      try {
        return statSync(logFile).size;
      } catch {
        return 0;
      }
    },
    stderr,
    stop,
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Status of GET 127.0.0.1:port/path, or 0 when the connection failed (not listening yet). */
export function getStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: SERVER_HOST, port, path: urlPath, method: 'GET', agent: false, timeout: 2000 },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', () => resolve(0));
      },
    );
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}
