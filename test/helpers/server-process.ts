import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { writeModelFile } from '../../src/model/model-file.js';
import { makeTestModel } from './model.js';

/** The repository root: every child runs from here so `--import tsx` and relative paths resolve. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** How often a child server polls the log and the model file, in ms. */
export const POLL_MS = 200;

export interface ServerPaths {
  modelPath: string;
  dbPath: string;
  dataDir: string;
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
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

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the group this child leads (spawned detached), so cluster workers go too.
    process.kill(-child.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

// Last resort if a test run is torn down without afterEach/afterAll: leave no server behind.
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function exitOf(child: ChildProcess): Promise<ServerExit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** The environment of a child server: the test defaults, the given paths, then `extra`. */
export function serverEnv(paths: ServerPaths, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    HOST: '127.0.0.1',
    MODEL_PATH: paths.modelPath,
    DB_PATH: paths.dbPath,
    DATA_DIR: paths.dataDir,
    RATE_LIMIT: 'off',
    LOG_LEVEL: 'info',
    CSRF_SECRET: 'x'.repeat(40),
    RELOAD_POLL_MS: String(POLL_MS),
    NODE_ENV: 'test',
    ...extra,
  };
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return { child, output: () => text };
}

/** The JSON line a server logs once it listens (with the model facts and what it replayed). */
export interface StartUpLine {
  address: string;
  pid: number;
  replay?: { folded: number; skipped: number; through: number; ms: number };
  model?: { feedbackWatermark: number; appliedThrough: number };
}

function startUpLines(output: string): StartUpLine[] {
  const lines: StartUpLine[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes('"address":"http://127.0.0.1:')) continue;
    try {
      const parsed = JSON.parse(line) as Partial<StartUpLine>;
      if (typeof parsed.address === 'string' && typeof parsed.pid === 'number') lines.push(parsed as StartUpLine);
    } catch {
      // A line cut by a chunk boundary; it is parsed whole on the next chunk.
    }
  }
  return lines;
}

/**
 * Starts `src/main.ts` as a child process on 127.0.0.1 with PORT=0 and waits until it (or, with
 * WORKERS=N, each of its N workers) has logged its start-up line, which names the port.
 * The process leads its own process group; `kill()` or `stopAllServers()` ends it and its workers.
 */
export async function startServerProcess(
  paths: ServerPaths,
  options: { env?: Record<string, string>; workers?: number; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const workers = options.workers ?? 1;
  const env = serverEnv(paths, { ...(workers > 1 ? { WORKERS: String(workers) } : {}), ...options.env });
  const { child, output } = spawnNode(['src/main.ts'], env);
  const exited = exitOf(child);
  const timeoutMs = options.timeoutMs ?? 15_000;

  const lines = await new Promise<StartUpLine[]>((resolve, reject) => {
    const check = (): void => {
      const found = startUpLines(output());
      if (found.length >= workers) done(() => resolve(found));
    };
    const timer = setTimeout(
      () => done(() => reject(new Error(`server did not start within ${timeoutMs} ms; output:\n${output()}`))),
      timeoutMs,
    );
    const onExit = (): void =>
      done(() => reject(new Error(`server exited before it was listening; output:\n${output()}`)));
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
      settle();
    };
    child.stdout?.on('data', check);
    child.once('exit', onExit);
  }).catch(async (error: unknown) => {
    killGroup(child, 'SIGKILL');
    await exited;
    throw error;
  });

  return {
    pid: child.pid as number,
    url: lines[0].address,
    workerPids: lines.map((line) => line.pid),
    startUp: lines,
    output,
    exited,
    kill: async () => {
      killGroup(child, 'SIGKILL');
      return exited;
    },
    signal: (signal) => {
      process.kill(child.pid as number, signal);
    },
  };
}

/**
 * Runs `src/main.ts` with the given paths and waits for it to exit on its own (for start-up
 * failures). Kills it and rejects if it is still running after `timeoutMs`.
 */
export async function runServerToExit(
  paths: ServerPaths,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ServerExit & { stdout: string; stderr: string }> {
  return runNodeScript(['src/main.ts'], serverEnv(paths, options.env), options.timeoutMs);
}

/** Runs `node --import tsx <args>` from the repository root and collects its output and exit status. */
export async function runNodeScript(
  args: string[],
  env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME },
  timeoutMs = 20_000,
): Promise<ServerExit & { stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  // 'close' waits for the pipes to drain as well as for the exit.
  const exit = await new Promise<ServerExit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(timer);
  live.delete(child);
  if (exit.signal === 'SIGKILL') throw new Error(`${args.join(' ')} did not exit within ${timeoutMs} ms:\n${stdout}${stderr}`);
  return { ...exit, stdout, stderr };
}

/** SIGKILLs every child this helper started that is still running, and waits for them. Call in afterEach. */
export async function stopAllServers(): Promise<void> {
  const children = [...live];
  for (const child of children) killGroup(child, 'SIGKILL');
  await Promise.all(children.map(exitOf));
}

/** A temporary folder with the test model written to `model.bin` and a database path beside it. */
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

export async function predict(server: Pick<ServerProcess, 'url'>, review: string, options: { close?: boolean } = {}): Promise<Prediction> {
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
