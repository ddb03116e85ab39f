import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { MovieClassifierError } from '../src/errors.js';

/**
 * The server's entry point, from the repository root: the source the tests run through tsx, and
 * the file `npm run build` compiles it to, which `npm start` and the bench run with plain node.
 */
export const SERVER_ENTRY = { source: 'src/main.ts', compiled: 'dist/src/main.js' } as const;

/** The repository root: children run from here, so relative paths and `--import tsx` resolve. */
export const REPO_ROOT = path.join(import.meta.dirname, '..');

/** The only address the servers started here listen on and are reached at. */
export const SERVER_HOST = '127.0.0.1';

/** A server did not get to listening: it exited first, or took longer than it was given. */
export class ServerStartError extends MovieClassifierError {
  override name = 'ServerStartError' as const;
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The JSON line a server process logs once it listens (one per worker with WORKERS=N), as logged:
 * only `address` and `pid` are checked when it is parsed.
 */
export interface StartUpLine {
  /** `http://127.0.0.1:PORT`. */
  address: string;
  pid: number;
  /** The model's facts; `loadMs` is the time to read the model file. */
  model?: { feedbackWatermark?: number; appliedThrough?: number; loadMs?: number };
  /** What start-up replayed from the feedback log, and in how many ms. */
  replay?: { folded: number; skipped: number; through: number; ms: number };
}

/** The start-up lines in a server's output; other lines, and a line still being written, are skipped. */
export function parseStartUpLines(output: string): StartUpLine[] {
  const lines: StartUpLine[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes('"address":"http://')) continue;
    try {
      const parsed = JSON.parse(line) as Partial<StartUpLine>;
      if (typeof parsed.address === 'string' && typeof parsed.pid === 'number') lines.push(parsed as StartUpLine);
    } catch {
      // Cut at the end of what was written so far; whole on a later read.
    }
  }
  return lines;
}

/** Sends `signal` to the process group `pgid` leads; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole group, so cluster workers get it too.
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Every child started here whose process has not exited yet. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort when this process ends without stopping them (a test run torn down early, a
    // crashed bench): leave no server behind.
    process.once('exit', () => {
      for (const running of live) if (running.pid !== undefined) signalGroup(running.pid, 'SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function exitOf(child: ChildProcess): Promise<ServerExit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Spawns `node [--import tsx] ...args` from `cwd` with exactly `env` (nothing inherited). The
 * child is detached, so it leads its own process group and one signal reaches its workers too.
 * It is tracked until it exits: `stopAllServers` and this process's exit end it.
 */
export function spawnNode(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; tsx: boolean; cwd?: string; stdout?: 'pipe' | number },
): ChildProcess {
  const child = spawn(process.execPath, [...(options.tsx ? ['--import', 'tsx'] : []), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined)
    throw new ServerStartError(`could not start node ${args.join(' ')} in ${options.cwd ?? REPO_ROOT}`);
  track(child);
  return child;
}

/**
 * The node flags `npm start` runs the compiled server with (package.json's start script: the V8
 * heap settings), so that the bench measures the process `npm start` runs.
 *
 * @example startScriptNodeFlags('.') // ['--max-old-space-size=160', '--heap-growing-percent=100']
 */
export function startScriptNodeFlags(root: string): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const command = / node ((?:--[a-z-]+=\S+ )*)/.exec(scripts?.start ?? '');
  return (
    command?.[1]
      ?.trim()
      .split(' ')
      .filter((flag) => flag !== '') ?? []
  );
}

/** SIGKILLs every child started here that is still running, and waits for them. Tests call it in afterEach. */
export async function stopAllServers(): Promise<void> {
  const children = [...live];
  for (const child of children) signalGroup(child.pid as number, 'SIGKILL');
  await Promise.all(children.map(exitOf));
}

export interface SpawnServerOptions {
  /**
   * `source`: SERVER_ENTRY.source through tsx (the tests); `compiled`: SERVER_ENTRY.compiled with
   * plain node, as `npm start` runs it (the bench measures that).
   */
  entry: keyof typeof SERVER_ENTRY;
  /** The child's whole environment (PORT, HOST, paths, ...); nothing is inherited. */
  env: NodeJS.ProcessEnv;
  /** Where the entry path is resolved and the server runs. @default REPO_ROOT */
  root?: string;
  /**
   * Write stdout to this file instead of keeping it in memory: at LOG_LEVEL=info the server logs
   * a line per request, more than a load run should hold or push through a pipe.
   */
  logFile?: string;
}

/** A server process as spawned: not necessarily listening yet (see `waitForStartUp`). */
export interface ServerChild {
  readonly pid: number;
  /** performance.now() at the spawn: start-up times and timeouts count from here. */
  readonly spawnedAt: number;
  /** Resolves when the process (the group leader) has exited. */
  readonly exited: Promise<ServerExit>;
  hasExited(): boolean;
  /** Everything written so far: stdout and stderr as they arrived; with `logFile`, the file, then stderr. */
  output(): string;
  /** What it wrote to stderr (with `logFile`, the last 64 KB of it). */
  stderr(): string;
  /**
   * Resolves with the start-up lines once `workers` of them are logged. Rejects with a
   * ServerStartError when the process exits first or `timeoutMs` after the spawn; it is left
   * running then, for the caller to read its output and stop it.
   */
  waitForStartUp(workers: number, timeoutMs: number): Promise<StartUpLine[]>;
  /** Sends a signal (SIGHUP, ...) to the server process itself. */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs the process group and waits for the leader to exit. */
  kill(): Promise<ServerExit>;
  /**
   * SIGTERM to the process group, SIGKILL after `graceMs` if the leader has not exited; then
   * SIGKILL to the group in any case, as a worker must not outlive its primary. Idempotent.
   */
  stop(graceMs?: number): Promise<ServerExit>;
}

/** Kept of stderr when stdout goes to a file: enough for an error report, bounded over a long run. */
const STDERR_TAIL_BYTES = 64 * 1024;

/**
 * Starts the server (`entry`) as a child process leading its own process group. Returns at once;
 * `waitForStartUp` tells when it listens.
 */
export function spawnServer(options: SpawnServerOptions): ServerChild {
  const { logFile } = options;
  const root = options.root ?? REPO_ROOT;
  const args =
    options.entry === 'source' ? [SERVER_ENTRY.source] : [...startScriptNodeFlags(root), SERVER_ENTRY.compiled];
  const logFd = logFile === undefined ? undefined : openSync(logFile, 'w');
  const spawnedAt = performance.now();
  let child: ChildProcess;
  try {
    child = spawnNode(args, { env: options.env, tsx: options.entry === 'source', cwd: root, stdout: logFd ?? 'pipe' });
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
  const pid = child.pid as number;

  let combined = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (combined += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (logFile === undefined) {
      combined += chunk;
      stderr += chunk;
    } else {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    }
  });
  const output = (): string => (logFile === undefined ? combined : readIfThere(logFile) + stderr);

  const exited = exitOf(child);
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const kill = async (): Promise<ServerExit> => {
    signalGroup(pid, 'SIGKILL');
    return exited;
  };
  let stopping: Promise<ServerExit> | undefined;
  const stop = (graceMs = 5000): Promise<ServerExit> =>
    (stopping ??= (async () => {
      signalGroup(pid, 'SIGTERM');
      await Promise.race([exited, sleep(graceMs, undefined, { ref: false })]);
      signalGroup(pid, 'SIGKILL');
      return exited;
    })());

  return {
    pid,
    spawnedAt,
    exited,
    hasExited: () => hasExited,
    output,
    stderr: () => stderr,
    async waitForStartUp(workers, timeoutMs) {
      for (;;) {
        const lines = parseStartUpLines(output());
        if (lines.length >= workers) return lines;
        const logged = `${lines.length} of ${workers} start-up lines logged`;
        if (hasExited) throw new ServerStartError(`exited before it was listening (${logged})`);
        if (performance.now() - spawnedAt > timeoutMs) {
          throw new ServerStartError(`did not start within ${timeoutMs} ms (${logged})`);
        }
        await sleep(10);
      }
    },
    signal: (signal) => {
      process.kill(pid, signal);
    },
    kill,
    stop,
  };
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
