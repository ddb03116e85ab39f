import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Cleanup } from './cleanup.js';
import type { LoadRequest } from './load.js';
import { SERVER_HOST } from '../server-process.js';
import { BenchError } from './bench-server.js';
import { round, type CaseSummary } from './stats.js';

/** True when the `wrk` load generator is on the PATH (Debian: apt-get install -y wrk). */
export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** The Lua script that makes wrk send `request` (method, headers, body). */
export function wrkScript(request: LoadRequest): string {
  const lines = [`wrk.method = ${JSON.stringify(request.method)}`];
  for (const [name, value] of Object.entries(request.headers ?? {}))
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  if (request.body !== undefined) lines.push(`wrk.body = ${JSON.stringify(request.body)}`);
  return `${lines.join('\n')}\n`;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (match === null) throw new BenchError(`cannot read wrk latency '${text}'`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** Reads wrk's report (run with --latency) into the bench's case figures. */
export function parseWrkOutput(output: string, request: { method: string; path: string }): CaseSummary {
  const number = (pattern: RegExp): number => {
    const match = pattern.exec(output);
    return match === null ? 0 : Number(match[1]);
  };
  const percentile = (p: number): number => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output);
    return match === null ? 0 : round(toMs(match[1]), 2);
  };
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(output);
  if (total === null) throw new BenchError(`wrk printed no totals:\n${output}`);
  const responses = Number(total[1]);
  const seconds = toMs(`${total[2]}${total[3]}`) / 1000;
  const non2xx = number(/Non-2xx or 3xx responses: (\d+)/);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const timeouts = socket === null ? 0 : Number(socket[4]);
  const errors = socket === null ? 0 : Number(socket[1]) + Number(socket[2]) + Number(socket[3]) + timeouts;
  const latencyLine = /^\s+Latency\s+(\S+)\s+\S+\s+(\S+)/m.exec(output);
  const ok2xx = responses - non2xx;
  return {
    method: request.method,
    path: request.path,
    seconds: round(seconds, 2),
    rps: round(number(/Requests\/sec:\s+([\d.]+)/), 1),
    okPerSecond: seconds > 0 ? round(ok2xx / seconds, 1) : 0,
    responses,
    ok2xx,
    non2xx,
    errors,
    timeouts,
    statusCodes: {},
    // wrk's distribution covers every response, not only 2xx ones (non-2xx are reported apart).
    latencyMs: {
      count: responses,
      mean: latencyLine === null ? 0 : round(toMs(latencyLine[1]), 2),
      p50: percentile(50),
      p90: percentile(90),
      p99: percentile(99),
      max: latencyLine === null ? 0 : round(toMs(latencyLine[2]), 2),
    },
  };
}

/**
 * Loads `url + request.path` with wrk (one thread: it leaves more of the two cores to the server
 * than autocannon, which runs inside the bench's own Node process).
 */
export async function runWrk(options: {
  url: string;
  request: LoadRequest;
  connections: number;
  duration: number;
  cleanup: Cleanup;
}): Promise<CaseSummary> {
  if (!options.url.startsWith(`http://${SERVER_HOST}:`)) {
    throw new BenchError(`the bench only loads http://${SERVER_HOST}, not ${options.url}`);
  }
  options.cleanup.throwIfAborted();
  const dir = mkdtempSync(join(tmpdir(), 'movieclassifier-wrk-'));
  const script = join(dir, 'request.lua');
  writeFileSync(script, wrkScript(options.request));
  try {
    const args = [
      '-t1',
      `-c${options.connections}`,
      `-d${options.duration}s`,
      '--latency',
      '-s',
      script,
      `${options.url}${options.request.path}`,
    ];
    const output = await new Promise<string>((resolve, reject) => {
      const child = execFile('wrk', args, { timeout: (options.duration + 30) * 1000 }, (error, stdout) => {
        if (error === null) return resolve(stdout);
        // execFile's error is an Error; its type (ExecFileException, built with Omit) no longer says so.
        const failure: Error = error;
        reject(failure);
      });
      const step = options.cleanup.add('stop wrk', () => {
        child.kill('SIGKILL');
      });
      child.once('exit', () => step.dismiss());
    });
    return parseWrkOutput(output, options.request);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
