import { parseArgs } from 'node:util';

import { InvalidInputError } from '../../src/errors.js';
import { LOG_LEVELS, type LogLevel } from '../../src/config.js';

/** The load cases, in the order they run. */
export const CASE_NAMES = ['get', 'results', 'predict', 'feedback'] as const;
export type CaseName = (typeof CASE_NAMES)[number];

export type BuildMode = 'auto' | 'always' | 'never';

export interface BenchOptions {
  /** Seconds of load per case. @default 10 */
  duration: number;
  /** Concurrent connections (autocannon). @default 16 */
  connections: number;
  /** Seconds of mixed load after start-up, before the first case. @default 2 */
  warmup: number;
  /** Server process counts to measure, in order (WORKERS=N). @default [1, 2] */
  workers: number[];
  /** Cases to run, in the canonical order whatever order they were given in. @default every case */
  cases: CaseName[];
  /** aclImdb-style folder or CSV file: also measure training and prediction documents/s. */
  data: string | null;
  /** The review the load cases send. @default 'test/fixtures/bench-review.txt' */
  reviewFile: string;
  /** The model the servers load (copied into a temporary folder first). @default 'data/model.bin' */
  model: string;
  /** Predictions to create before the feedback case; null: 1.5 × the predict rate × duration, or 40,000. */
  feedbackPool: number | null;
  /** auto: run `npm run build` when dist/ is older than src/; always; never. @default 'auto' */
  build: BuildMode;
  /** LOG_LEVEL of the servers; their stdout goes to a temporary file. @default 'info' */
  logLevel: LogLevel;
  /**
   * Load generator of the fixed-request cases: wrk when installed (auto), else autocannon. The
   * feedback case always uses autocannon (it sends a different prediction id per request).
   * @default 'auto'
   */
  tool: 'auto' | 'autocannon' | 'wrk';
  /**
   * Soak mode: instead of the cases, this many seconds of mixed load (pages, API predictions and
   * feedback) on one server (the first --workers setting), reporting RSS and p99 per window.
   * null: no soak. `--soak` alone: 600 s.
   */
  soak: number | null;
  /** Seconds per soak window (a line of RSS and p99 each). @default 30, or a tenth of a shorter soak */
  soakWindow: number | null;
  help: boolean;
}

/** Seconds of soak when `--soak` is given without a number. */
export const DEFAULT_SOAK_S = 600;

export const BENCH_USAGE = `usage: npm run bench -- [options]
  --duration S        seconds of load per case (default 10)
  --connections N     concurrent connections (default 16)
  --warmup S          seconds of warm-up load per case (GET /, POST /results, POST /api/v1/predict,
                      each as its case runs it) after start-up (default 2)
  --workers LIST      WORKERS settings to measure, e.g. 1,2 (default 1,2)
  --cases LIST        any of get,results,predict,feedback (default all)
  --data PATH         also measure training and prediction documents/s on this corpus
  --review FILE       review text sent by the load cases (default test/fixtures/bench-review.txt)
  --model FILE        model the servers load, copied to a temporary folder (default data/model.bin)
  --feedback-pool N   predictions to create before the feedback case (default 1.5 x predict rate x duration)
  --build MODE        auto (build when dist/ is stale), always or never (default auto)
  --log-level LEVEL   server LOG_LEVEL; server stdout goes to a temporary file (default info)
  --tool TOOL         auto (wrk if installed, else autocannon), autocannon or wrk (default auto)
  --soak [S]          soak mode: S seconds (default 600) of mixed load on one server (the first --workers
                      setting) instead of the cases; prints RSS and p99 per window, then the RSS drift
  --soak-window S     seconds per soak window (default 30, or a tenth of a shorter soak)
  --postgres          instead: 1, 2 and 3 instances on one embedded PostgreSQL (takes --duration, --connections)
  --help              this text`;

/**
 * Parses the bench's command-line arguments (without `node` and the script name).
 * Throws InvalidInputError naming the option and the bad value.
 *
 * @example
 *   parseBenchArgs(['--duration', '2', '--workers', '2', '--cases', 'predict,feedback'])
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values;
  // `--soak` may come without a number; parseArgs wants a value for a string option.
  const args = argv.flatMap((arg, i) =>
    arg === '--soak' && (argv[i + 1] === undefined || argv[i + 1].startsWith('--'))
      ? [arg, String(DEFAULT_SOAK_S)]
      : [arg],
  );
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        connections: { type: 'string' },
        warmup: { type: 'string' },
        workers: { type: 'string' },
        cases: { type: 'string' },
        data: { type: 'string' },
        review: { type: 'string' },
        model: { type: 'string' },
        'feedback-pool': { type: 'string' },
        build: { type: 'string' },
        'log-level': { type: 'string' },
        tool: { type: 'string' },
        soak: { type: 'string' },
        'soak-window': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new InvalidInputError(`${(error as Error).message}\n${BENCH_USAGE}`);
  }

  const build = values.build ?? 'auto';
  if (build !== 'auto' && build !== 'always' && build !== 'never') {
    throw new InvalidInputError(`--build must be auto, always or never, got '${build}'.`);
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new InvalidInputError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'.`);
  }
  const pool = values['feedback-pool'];
  const tool = values.tool ?? 'auto';
  if (tool !== 'auto' && tool !== 'autocannon' && tool !== 'wrk') {
    throw new InvalidInputError(`--tool must be auto, autocannon or wrk, got '${tool}'.`);
  }

  return {
    duration: positiveNumber('duration', values.duration, 10, 3600),
    connections: wholeNumber('connections', values.connections, 16, 1, 1024),
    warmup: nonNegativeNumber('warmup', values.warmup, 2, 600),
    workers: workerList(values.workers),
    cases: caseList(values.cases),
    data: values.data ?? null,
    reviewFile: values.review ?? 'test/fixtures/bench-review.txt',
    model: values.model ?? 'data/model.bin',
    feedbackPool: pool === undefined ? null : wholeNumber('feedback-pool', pool, 0, 1, 10_000_000),
    build,
    logLevel: logLevel as LogLevel,
    tool,
    soak: values.soak === undefined ? null : positiveNumber('soak', values.soak, DEFAULT_SOAK_S, 24 * 3600),
    soakWindow:
      values['soak-window'] === undefined ? null : positiveNumber('soak-window', values['soak-window'], 30, 3600),
    help: values.help ?? false,
  };
}

function positiveNumber(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new InvalidInputError(`--${name} must be a number of seconds above 0 and at most ${max}, got '${raw}'.`);
  }
  return value;
}

function nonNegativeNumber(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new InvalidInputError(`--${name} must be a number of seconds from 0 to ${max}, got '${raw}'.`);
  }
  return value;
}

function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^[0-9]+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`--${name} must be a whole number from ${min} to ${max}, got '${raw}'.`);
  }
  return value;
}

function workerList(raw: string | undefined): number[] {
  if (raw === undefined) return [1, 2];
  const items = raw.split(',').map((item) => item.trim());
  const workers = items.map((item) => wholeNumber('workers', item, 0, 1, 64));
  if (new Set(workers).size !== workers.length) {
    throw new InvalidInputError(`--workers lists a setting twice: '${raw}'.`);
  }
  return workers;
}

function caseList(raw: string | undefined): CaseName[] {
  if (raw === undefined) return [...CASE_NAMES];
  const wanted = new Set<string>();
  for (const item of raw.split(',').map((name) => name.trim().toLowerCase())) {
    if (!(CASE_NAMES as readonly string[]).includes(item)) {
      throw new InvalidInputError(`--cases: unknown case '${item}'; use any of ${CASE_NAMES.join(',')}.`);
    }
    wanted.add(item);
  }
  return CASE_NAMES.filter((name) => wanted.has(name));
}
