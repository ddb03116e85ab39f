import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { openCheckpoints, type Checkpoints } from '../../src/learner/index.js';
import { writeModelFile } from '../../src/model/model-file.js';
import {
  SERVER_ENTRY,
  SERVER_HOST,
  stopAllServers,
  signalGroup,
  spawnNode,
  spawnServer,
  type ServerExit,
  type StartUpLine,
} from '../../tools/server-process.js';
import { afterEach } from 'vitest';

import { makeTestModel } from './model.js';

export { stopAllServers, type ServerExit, type StartUpLine } from '../../tools/server-process.js';

/** How often a child server polls the log and the model file, in ms. */
export const POLL_MS = 200;

export interface ServerPaths {
  modelPath: string;
  dbPath: string;
  dataDir: string;
}

export interface ServerProcess {
  readonly pid: number;
  /** `http://127.0.0.1:PORT` from the start-up line. */
  readonly url: string;
  /** pids named by the start-up lines (one per worker with WORKERS=N). */
  readonly workerPids: number[];
  /** The start-up log lines, parsed (one per worker). */
  readonly startUp: StartUpLine[];
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process (group leader) has exited. */
  readonly exited: Promise<ServerExit>;
  /** SIGKILL the whole process group (the server and any workers) and wait for the leader to exit. */
  kill(): Promise<ServerExit>;
  /** Send a signal (SIGHUP, ...) to the server process itself. */
  signal(signal: NodeJS.Signals): void;
}

/** The environment of a child server: the test defaults, the given paths, then `extra`. */
export function serverEnv(paths: ServerPaths, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    HOST: SERVER_HOST,
    MODEL_PATH: paths.modelPath,
    DB_PATH: paths.dbPath,
    DATA_DIR: paths.dataDir,
    RATE_LIMIT: 'off',
    LOG_LEVEL: 'info',
    CSRF_SECRET: 'x'.repeat(40),
    RELOAD_POLL_MS: String(POLL_MS),
    NODE_ENV: 'test',
    // Every test request comes from 127.0.0.1: one client. These tests are about durability, not
    // moderation (test/learner and test/web test the per-client limits), so lift the limits.
    MODERATION_CLIENT_ROWS_PER_DAY: '0',
    MODERATION_CLIENT_CORRECTIONS_PER_DAY: '0',
    // The durability tests read how much of the log a server applied from /healthz.
    HEALTH_DETAILS: 'on',
    ...extra,
  };
}

/**
 * Starts the server from source (through tsx) as a child process on 127.0.0.1 with PORT=0 and
 * waits until it (or, with WORKERS=N, each of its N workers) has logged its start-up line, which
 * names the port. The process leads its own process group; `kill()` or `stopAllServers()` ends it
 * and its workers.
 */
export async function startServerProcess(
  paths: ServerPaths,
  options: { env?: Record<string, string>; workers?: number; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const workers = options.workers ?? 1;
  const env = serverEnv(paths, { ...(workers > 1 ? { WORKERS: String(workers) } : {}), ...options.env });
  const server = spawnServer({ entry: 'source', env });
  let lines: StartUpLine[];
  try {
    lines = await server.waitForStartUp(workers, options.timeoutMs ?? 15_000);
  } catch (error) {
    await server.kill();
    throw new Error(`server ${(error as Error).message}; output:\n${server.output()}`, { cause: error });
  }
  return {
    pid: server.pid,
    url: lines[0].address,
    workerPids: lines.map((line) => line.pid),
    startUp: lines,
    output: server.output,
    exited: server.exited,
    kill: server.kill,
    signal: server.signal,
  };
}

/**
 * Runs the server from source with the given paths and waits for it to exit on its own (for
 * start-up failures). Kills it and rejects if it is still running after `timeoutMs`.
 */
export async function runServerToExit(
  paths: ServerPaths,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ServerExit & { stdout: string; stderr: string }> {
  return runNodeScript([SERVER_ENTRY.source], serverEnv(paths, options.env), options.timeoutMs);
}

/** Runs `node --import tsx <args>` from the repository root and collects its output and exit status. */
export async function runNodeScript(
  args: string[],
  env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME },
  timeoutMs = 20_000,
): Promise<ServerExit & { stdout: string; stderr: string }> {
  const child = spawnNode(args, { env, tsx: true });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => signalGroup(child.pid as number, 'SIGKILL'), timeoutMs);
  // 'close' waits for the pipes to drain as well as for the exit.
  const exit = await new Promise<ServerExit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(timer);
  if (exit.signal === 'SIGKILL')
    throw new Error(`${args.join(' ')} did not exit within ${timeoutMs} ms:\n${stdout}${stderr}`);
  return { ...exit, stdout, stderr };
}

/** A temporary folder with the test model written to `model.bin` and a database path beside it. */
/**
 * Call at a test file's top level: after each test every server is stopped and every folder made
 * with the returned function removed.
 *
 * @example
 *   const serverFolder = useServerFolders();
 *   it('…', async () => { const server = await startServerProcess(serverFolder('metrics'), { workers: 2 }); });
 */
export function useServerFolders(): (prefix: string) => ReturnType<typeof makeServerFolder> {
  const made: ReturnType<typeof makeServerFolder>[] = [];
  afterEach(async () => {
    await stopAllServers();
    for (const paths of made.splice(0)) paths.remove();
  });
  return (prefix) => {
    const paths = makeServerFolder(prefix);
    made.push(paths);
    return paths;
  };
}

export function makeServerFolder(prefix: string): ServerPaths & { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `movieclassifier-${prefix}-`));
  const modelPath = join(dir, 'model.bin');
  try {
    const bundle = makeTestModel();
    writeModelFile(modelPath, {
      model: bundle.model,
      training: bundle.header.training,
      feedbackWatermark: 0,
      checkSet: bundle.checkSet,
      checkSetSource: bundle.header.checkSetSource,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    modelPath,
    dbPath: join(dir, 'reviews.sqlite'),
    dataDir: dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Prediction {
  predictionId: string;
  label: string;
  probability: number;
  positiveProbability: number;
}

/** POST a JSON body to the server; `close` asks for a fresh connection (to spread over cluster workers). */
export async function postJson(
  url: string,
  body: unknown,
  options: { close?: boolean } = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.close === true ? { connection: 'close' } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page): keep the text for the failure message.
  }
  return { status: res.status, body: parsed };
}

export async function predict(
  server: Pick<ServerProcess, 'url'>,
  review: string,
  options: { close?: boolean } = {},
): Promise<Prediction> {
  const res = await postJson(`${server.url}/api/v1/predict`, { review }, options);
  if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as Prediction;
}

export async function feedback(
  server: Pick<ServerProcess, 'url'>,
  predictionId: string,
  correct: boolean,
): Promise<{ status: number; body: unknown }> {
  return postJson(`${server.url}/api/v1/feedback`, { predictionId, correct });
}

export interface Health {
  model: { appliedThrough: number; feedbackWatermark: number; version: string };
  reviews: number;
}

export async function health(server: Pick<ServerProcess, 'url'>, options: { close?: boolean } = {}): Promise<Health> {
  const res = await fetch(`${server.url}/healthz`, {
    headers: options.close === true ? { connection: 'close' } : {},
  });
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
  return (await res.json()) as Health;
}

/** Polls `probe` every 50 ms until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The checkpoint folder a server with DATA_DIR = the model file's folder uses (`<dir>/checkpoints`). */
export function checkpointsBeside(modelPath: string): Checkpoints {
  return openCheckpoints(join(dirname(modelPath), 'checkpoints'));
}

/** pids that logged a request line for `path` in a server's (or its workers') output. */
export function pidsServing(output: string, path: string): Set<number> {
  const pids = new Set<number>();
  for (const line of output.split('\n')) {
    if (!line.includes(`"path":"${path}"`)) continue;
    const pid = /"pid":(\d+)/.exec(line)?.[1];
    if (pid !== undefined) pids.add(Number(pid));
  }
  return pids;
}
