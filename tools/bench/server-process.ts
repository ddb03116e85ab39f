import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { LogLevel } from '../../src/config.js';
import { MovieClassifierError } from '../../src/errors.js';
import type { Cleanup } from './cleanup.js';

/** The compiled entry point the bench measures (never tsx). */
export const SERVER_ENTRY = path.join('dist', 'src', 'server.js');
/** The only address the bench ever talks to. */
export const BENCH_HOST = '127.0.0.1';

/** The bench could not start, reach or stop a server, or build it. */
export class BenchError extends MovieClassifierError {
  override name = 'BenchError' as const;
}

/**
 * True when every src/**.ts has a compiled dist/src/**.js at least as new (tsc rewrites every
 * output on each build, so one stale file means a build is due).
 */
export function isDistFresh(root: string): boolean {
  const srcDir = path.join(root, 'src');
  const walk = (dir: string): boolean => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!walk(full)) return false;
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const out = path.join(root, 'dist', path.relative(root, full)).replace(/\.ts$/, '.js');
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(full).mtimeMs) return false;
      }
    }
    return true;
  };
  return walk(srcDir);
}

/** Runs `npm run build` when asked to or when dist/ is stale; returns what it did and how long it took. */
export function ensureBuild(root: string, mode: 'auto' | 'always' | 'never'): { built: boolean; ms: number } {
  const entry = path.join(root, SERVER_ENTRY);
  if (mode === 'never' || (mode === 'auto' && isDistFresh(root))) {
    if (!existsSync(entry)) throw new BenchError(`${SERVER_ENTRY} does not exist; run \`npm run build\` or drop --build never`);
    return { built: false, ms: 0 };
  }
  const started = performance.now();
  try {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new BenchError(
      `npm run build failed, so there is no compiled server to measure (use --build never to measure the ` +
        `existing dist/):\n${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`,
    );
  }
  return { built: true, ms: Math.round(performance.now() - started) };
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, BENCH_HOST, () => {
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

/** The start-up lines (one per worker) in a server's JSON log output; other lines are ignored. */
export function parseStartUpLines(log: string): StartUpFacts[] {
  const found: StartUpFacts[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"address":"http://')) continue;
    let parsed: { address?: unknown; pid?: unknown; model?: { loadMs?: unknown }; replay?: { ms?: unknown } };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      continue; // a line still being written
    }
    if (typeof parsed.address !== 'string' || typeof parsed.pid !== 'number') continue;
    found.push({
      pid: parsed.pid,
      address: parsed.address,
      modelLoadMs: typeof parsed.model?.loadMs === 'number' ? parsed.model.loadMs : null,
      replayMs: typeof parsed.replay?.ms === 'number' ? parsed.replay.ms : null,
    });
  }
  return found;
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
 * Starts the compiled server (`node dist/src/server.js`) on a free 127.0.0.1 port in a temporary
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
    HOST: BENCH_HOST,
    PORT: String(port),
    DATA_DIR: tempDir,
    MODEL_PATH: modelPath,
    DB_PATH: dbPath,
    WORKERS: String(workers),
    RATE_LIMIT: 'off',
    LOG_LEVEL: options.logLevel,
    CSRF_SECRET: randomBytes(32).toString('hex'),
  };

  const logFd = openSync(logFile, 'w');
  const started = performance.now();
  let child: ChildProcess;
  try {
    // detached: the server leads its own process group, so one signal reaches its workers too.
    child = spawn(process.execPath, [SERVER_ENTRY], { cwd: root, env, stdio: ['ignore', logFd, 'pipe'], detached: true });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    await removeTemp.run();
    throw new BenchError(`could not start node ${SERVER_ENTRY}`);
  }
  cleanup.trackGroup(pid);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stopStep.dismiss();
      signalGroup(pid, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
      // SIGKILL the group in any case: a worker must not outlive its primary.
      signalGroup(pid, 'SIGKILL');
      if (killed) await exited;
      cleanup.untrackGroup(pid);
      await removeTemp.run();
    })());
  const stopStep = cleanup.add(`stop server ${pid}`, stop);

  const fail = async (why: string): Promise<never> => {
    const log = safeRead(logFile).slice(-4096);
    await stop();
    throw new BenchError(`server WORKERS=${workers} on port ${port} ${why}\n--- stderr ---\n${stderr}\n--- stdout ---\n${log}`);
  };

  // Time to first answer: poll from spawn, every few ms.
  let firstAnswerMs: number | undefined;
  while (firstAnswerMs === undefined) {
    if (hasExited) return fail(`exited before answering`);
    if (performance.now() - started > timeoutMs) return fail(`did not answer GET /healthz within ${timeoutMs} ms`);
    const status = await getStatus(port, '/healthz');
    if (status === 200) firstAnswerMs = performance.now() - started;
    else await sleep(5);
  }

  let startUp = parseStartUpLines(safeRead(logFile));
  while (startUp.length < workers) {
    if (hasExited) return fail('exited while its workers were starting');
    if (performance.now() - started > timeoutMs) {
      return fail(`logged ${startUp.length} of ${workers} start-up lines within ${timeoutMs} ms`);
    }
    await sleep(10);
    startUp = parseStartUpLines(safeRead(logFile));
  }

  return {
    pid,
    url: `http://${BENCH_HOST}:${port}`,
    port,
    dbPath,
    startToFirstAnswerMs: Math.round(firstAnswerMs),
    startUp,
    logBytes: () => {
      try {
        return statSync(logFile).size;
      } catch {
        return 0;
      }
    },
    stderr: () => stderr,
    stop,
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
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
    const req = request({ host: BENCH_HOST, port, path: urlPath, method: 'GET', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(0));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}
