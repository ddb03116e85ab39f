import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';

import { InvalidInputError } from '../../src/errors.js';
import { PRESET_NAMES } from '../../src/model/presets.js';
import { openStore } from '../../src/store/index.js';
import type { Cleanup } from './cleanup.js';
import { checkFeedbackRows, waitForQuietLog } from './feedback-check.js';
import { caseRequest, createPredictions, runFeedbackLoad, runLoad, toAutocannon } from './load.js';
import { runWrk, wrkAvailable } from './wrk.js';
import { measurePrediction, measureTraining } from './offline.js';
import type { BenchOptions, CaseName } from './options.js';
import {
  formatCaseLine,
  formatFeedbackCheck,
  formatRss,
  fmt,
  type BenchReport,
  type FeedbackSummary,
  type ServerRun,
} from './report.js';
import { treeCpuMs } from './cpu.js';
import { sampleTreeRss, treeRss, type TreeRss } from './rss.js';
import { startBenchServer, type BenchServer } from './bench-server.js';
import { ensureBuild } from './build.js';
import { runSoak, type SoakReport } from './soak.js';
import { round, summarizeCase, type CaseSummary } from './stats.js';

export interface BenchContext {
  /** Repository root (holds package.json, dist/, views/). */
  root: string;
  cleanup: Cleanup;
  /** Receives the human-readable progress lines. */
  log: (line: string) => void;
}

/** Predictions made for the feedback case when no predict rate is known yet. */
export const DEFAULT_FEEDBACK_POOL = 40_000;

/**
 * How many predictions to create before the feedback case: 2 × the predict rate × duration
 * (a feedback does less work than a prediction — no explanation, no page — and was measured up to
 * about twice as fast), at least 100 per connection; 40,000 without a predict rate. If the pool
 * runs out early the case is just shorter: its rate is still measured over the time it ran.
 */
export function feedbackPoolSize(predictRps: number | undefined, durationS: number, connections: number): number {
  if (predictRps === undefined || !(predictRps > 0)) return DEFAULT_FEEDBACK_POOL;
  return Math.min(2_000_000, Math.max(100 * connections, Math.ceil(predictRps * durationS * 2)));
}

/** Reads the bench review: trimmed, and within the form's 15 to 10,000 characters. */
export function readBenchReview(file: string): string {
  const review = readFileSync(file, 'utf8').trim();
  if (review.length < 15 || review.length > 10_000) {
    throw new InvalidInputError(`the bench review ${file} has ${review.length} characters; use 15 to 10,000`);
  }
  return review;
}

/** Soak mode (`--soak`): builds if needed, then runs the soak; see runSoak. */
export async function runSoakBench(options: BenchOptions, context: BenchContext): Promise<SoakReport> {
  const review = readBenchReview(path.resolve(context.root, options.reviewFile));
  const modelFile = path.resolve(context.root, options.model);
  if (!existsSync(modelFile))
    throw new InvalidInputError(`no model file at ${modelFile}; pass --model FILE or run \`npm run train\``);
  const build = ensureBuild(context.root, options.build);
  if (build.built) context.log(`bench: npm run build took ${fmt(build.ms / 1000, 1)} s`);
  return runSoak(options, review, modelFile, context);
}

/** Runs everything the options ask for and returns every figure; stops what it starts. */
export async function runBench(options: BenchOptions, context: BenchContext): Promise<BenchReport> {
  const started = performance.now();
  const { root, log } = context;
  const review = readBenchReview(path.resolve(root, options.reviewFile));
  const modelFile = path.resolve(root, options.model);
  if (!existsSync(modelFile))
    throw new InvalidInputError(`no model file at ${modelFile}; pass --model FILE or run \`npm run train\``);

  const serverLog = `LOG_LEVEL=${options.logLevel}; server stdout (one pino line per request) goes to a temporary file`;
  const tool = options.tool === 'auto' ? (wrkAvailable() ? 'wrk' : 'autocannon') : options.tool;
  if (tool === 'wrk' && !wrkAvailable())
    throw new InvalidInputError('--tool wrk: wrk is not installed (apt-get install -y wrk)');
  const effective: BenchOptions = { ...options, tool };
  log(
    `bench: node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}; ` +
      `${tool === 'wrk' ? 'wrk (feedback case: autocannon)' : 'autocannon'}, ${options.connections} connections, ${options.duration} s per case, warm-up ${options.warmup} s per case; ` +
      `review ${review.length} characters (${options.reviewFile})`,
  );
  log(`bench: ${serverLog}; NODE_ENV=production, RATE_LIMIT=off, only 127.0.0.1`);

  const build = ensureBuild(root, options.build);
  log(
    build.built
      ? `bench: npm run build took ${fmt(build.ms / 1000, 1)} s`
      : options.build === 'never'
        ? 'bench: measuring the existing dist/ (--build never)'
        : 'bench: dist/ is up to date, not rebuilt',
  );

  const runs: ServerRun[] = [];
  for (const workers of options.workers) runs.push(await runServer(workers, review, modelFile, effective, context));

  let offline: BenchReport['offline'] = null;
  if (options.data !== null) {
    const training = [];
    for (const preset of PRESET_NAMES) {
      log(`offline: training preset ${preset}, one pass over ${options.data} ...`);
      const speed = await measureTraining(options.data, preset);
      log(
        `offline: training ${preset}: ${fmt(speed.docsPerSecond, 0)} documents/s (${speed.documents} documents, ${speed.seconds} s in all)`,
      );
      training.push(speed);
    }
    const prediction = await measurePrediction(options.data, modelFile);
    log(
      `offline: prediction with ${options.model}: ${fmt(prediction.docsPerSecond, 0)} documents/s ` +
        `(${prediction.documents} documents, accuracy ${prediction.accuracy.toFixed(4)}, ${prediction.seconds} s with reading)`,
    );
    offline = { data: options.data, training, prediction };
  }

  return {
    bench: 'movieclassifier',
    schema: 1,
    at: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverage: loadavg().map((n) => round(n, 2)),
    },
    settings: {
      durationS: options.duration,
      connections: options.connections,
      warmupS: options.warmup,
      workers: options.workers,
      cases: options.cases,
      reviewChars: review.length,
      tool,
      serverLog,
      build,
    },
    runs,
    offline,
    totalSeconds: round((performance.now() - started) / 1000, 1),
  };
}

/** The cases the warm-up runs, each for `--warmup` seconds (feedback first needs its pool of predictions). */
const WARMED_UP_CASES = ['get', 'results', 'predict'] as const;

/** One server setting: start, warm up, every case, RSS, stop. */
async function runServer(
  workers: number,
  review: string,
  modelFile: string,
  options: BenchOptions,
  context: BenchContext,
): Promise<ServerRun> {
  const { cleanup, log } = context;
  const server = await startBenchServer({
    root: context.root,
    workers,
    modelFile,
    logLevel: options.logLevel,
    cleanup,
  });
  try {
    const loads = server.startUp.map((s) => s.modelLoadMs);
    const known = loads.filter((ms): ms is number => ms !== null);
    const modelLoadMs = known.length > 0 ? Math.max(...known) : null;
    log(
      `workers=${workers}  started on ${server.url} (pid ${server.pid}): first answer ${server.startToFirstAnswerMs} ms ` +
        `after spawn; model load ${loads.map((ms) => (ms === null ? '?' : `${ms} ms`)).join(', ')}`,
    );

    // Each case's own load, as the case will run it: the first heavy POST /results load grows the
    // worker's malloc arena ([heap] in /proc/PID/smaps) by ~18 MB to a plateau it then keeps, and
    // a lighter warm-up left that one-time step to be counted as growth by the case. The RSS
    // "after warm-up" is sampled over its last case, when every load has been seen once.
    const warmup = options.warmup > 0 ? WARMED_UP_CASES : [];
    const warmUp = (name: Exclude<CaseName, 'feedback'>) =>
      fixedCase(server, name, review, { ...options, duration: options.warmup }, context);
    for (const name of warmup.slice(0, -1)) await warmUp(name);
    const warmupSampler = sampleTreeRss(server.pid);
    for (const name of warmup.slice(-1)) await warmUp(name);
    const rssMedianDuringWarmup = warmupSampler.stop();
    const rssAfterWarmup = treeRss(server.pid);
    log(`workers=${workers}  RSS after warm-up: ${formatRss(rssAfterWarmup)}`);

    const cases: ServerRun['cases'] = {};
    // RSS after each case: the issue's flatness bar compares the last case with the first.
    const rssAfterCaseMb: Partial<Record<CaseName, number>> = {};
    const rssMedianDuringCase: Partial<Record<CaseName, TreeRss>> = {};
    for (const name of options.cases) {
      const sampler = sampleTreeRss(server.pid);
      if (name === 'feedback') {
        cases.feedback = await feedbackCase(server, workers, review, options, context, cases.predict?.rps);
        log(formatCaseLine(workers, name, cases.feedback));
        log(formatFeedbackCheck(workers, cases.feedback));
      } else {
        cases[name] = await fixedCase(server, name, review, options, context);
        log(formatCaseLine(workers, name, cases[name]));
      }
      rssMedianDuringCase[name] = sampler.stop();
      rssAfterCaseMb[name] = treeRss(server.pid).totalMb;
    }

    const rssAfterLastCase = treeRss(server.pid);
    const rssGrowthMb = round(rssAfterLastCase.totalMb - rssAfterWarmup.totalMb, 1);
    const firstCase = options.cases[0];
    const rssLastOverFirstCaseMb =
      firstCase === undefined
        ? 0
        : round(rssAfterLastCase.totalMb - (rssAfterCaseMb[firstCase] ?? rssAfterLastCase.totalMb), 1);
    log(
      `workers=${workers}  RSS after the last case: ${formatRss(rssAfterLastCase)}; ` +
        `${signedMb(rssGrowthMb)} over warm-up, ${signedMb(rssLastOverFirstCaseMb)} over the first case` +
        (workers > 1 ? ` (all ${workers + 1} processes)` : ''),
    );
    const lastCase = options.cases[options.cases.length - 1];
    const rssMedianDuringLastCase = lastCase === undefined ? undefined : rssMedianDuringCase[lastCase];
    const rssMedianGrowthPerWorkerMb =
      rssMedianDuringLastCase === undefined
        ? []
        : medianGrowthPerWorker(rssMedianDuringWarmup, rssMedianDuringLastCase, server.pid, workers);
    if (rssMedianDuringLastCase !== undefined) {
      log(
        `workers=${workers}  RSS per worker, median of samples every 250 ms: ${workerFigures(rssMedianDuringWarmup, server.pid, workers)} ` +
          `during the warm-up's last case, ${workerFigures(rssMedianDuringLastCase, server.pid, workers)} during the last case ` +
          `(${rssMedianGrowthPerWorkerMb.map(signedMb).join(', ')})`,
      );
    }
    const serverLogBytes = server.logBytes();
    if (server.stderr().trim() !== '') log(`workers=${workers}  server stderr:\n${server.stderr().trim()}`);

    return {
      workers,
      startToFirstAnswerMs: server.startToFirstAnswerMs,
      modelLoadMs,
      modelLoadMsPerProcess: loads,
      rssAfterWarmupMb: rssAfterWarmup.totalMb,
      rssAfterLastCaseMb: rssAfterLastCase.totalMb,
      rssGrowthMb,
      rssAfterCaseMb,
      rssLastOverFirstCaseMb,
      rssLargestProcessMb: { afterWarmup: largest(rssAfterWarmup), afterLastCase: largest(rssAfterLastCase) },
      rssAfterWarmup,
      rssAfterLastCase,
      rssMedianDuringWarmup,
      rssMedianDuringCase,
      rssMedianGrowthPerWorkerMb,
      serverLogBytes,
      cases,
    };
  } finally {
    await server.stop();
  }
}

/** The worker processes of a tree: all but the cluster primary, or the one process of WORKERS=1. */
function workerProcesses(rss: TreeRss, rootPid: number, workers: number): TreeRss['processes'] {
  return workers > 1 ? rss.processes.filter((p) => p.pid !== rootPid) : rss.processes;
}

function workerFigures(rss: TreeRss, rootPid: number, workers: number): string {
  return (
    workerProcesses(rss, rootPid, workers)
      .map((p) => `${fmt(p.rssMb, 1)}`)
      .join(', ') + ' MB'
  );
}

/** Per worker present in both: its median during the last case minus its median during the warm-up. */
function medianGrowthPerWorker(warmup: TreeRss, last: TreeRss, rootPid: number, workers: number): number[] {
  const before = new Map(workerProcesses(warmup, rootPid, workers).map((p) => [p.pid, p.rssMb]));
  return workerProcesses(last, rootPid, workers)
    .filter((p) => before.has(p.pid))
    .map((p) => round(p.rssMb - (before.get(p.pid) as number), 1));
}

function signedMb(mb: number): string {
  return `${mb >= 0 ? '+' : ''}${mb} MB`;
}

function largest(rss: TreeRss): number {
  return rss.processes.reduce((max, p) => Math.max(max, p.rssMb), 0);
}

/**
 * A case's summary with the server's CPU time per response over `load` alone (none when nothing
 * answered): what the case does before its load, as the feedback case's predictions, is not in it.
 */
async function withCpu<T extends CaseSummary>(server: BenchServer, load: () => Promise<T>): Promise<T> {
  const before = treeCpuMs(server.pid);
  const summary = await load();
  const cpuMs = treeCpuMs(server.pid) - before;
  return summary.responses > 0 ? { ...summary, cpuMsPerResponse: round(cpuMs / summary.responses, 3) } : summary;
}

async function fixedCase(
  server: BenchServer,
  name: Exclude<CaseName, 'feedback'>,
  review: string,
  options: BenchOptions,
  context: BenchContext,
): Promise<CaseSummary> {
  const request = caseRequest(name, review);
  return withCpu(server, async () => {
    if (options.tool === 'wrk') {
      return runWrk({
        url: server.url,
        request,
        connections: options.connections,
        duration: options.duration,
        cleanup: context.cleanup,
      });
    }
    const run = await runLoad({
      url: server.url,
      connections: options.connections,
      duration: options.duration,
      cleanup: context.cleanup,
      requests: [toAutocannon(request)],
    });
    return summarizeCase(request, run.counts, run.latencies);
  });
}

async function feedbackCase(
  server: BenchServer,
  workers: number,
  review: string,
  options: BenchOptions,
  context: BenchContext,
  predictRps: number | undefined,
): Promise<FeedbackSummary> {
  const count = options.feedbackPool ?? feedbackPoolSize(predictRps, options.duration, options.connections);
  const pool = await createPredictions({
    url: server.url,
    review,
    count,
    connections: options.connections,
    cleanup: context.cleanup,
  });
  context.log(
    `workers=${workers}  feedback: ${pool.ids.length} predictions created through the API in ${fmt(pool.seconds, 1)} s` +
      (pool.failed > 0 ? ` (${pool.failed} failed)` : ''),
  );
  // Read-only: the server alone writes; WAL lets this connection read beside it.
  const feedbackLog = openStore(server.dbPath, { readonly: true });
  try {
    return await withCpu(server, async () => {
      const before = await feedbackLog.maxReviewId();
      const run = await runFeedbackLoad({
        url: server.url,
        ids: pool.ids,
        connections: options.connections,
        duration: options.duration,
        cleanup: context.cleanup,
      });
      await waitForQuietLog(feedbackLog);
      const stored = await checkFeedbackRows(feedbackLog, before, run.reviewIds, options.connections);
      return {
        ...summarizeCase({ method: 'POST', path: '/api/v1/feedback' }, run.counts, run.latencies),
        pool: {
          created: pool.ids.length,
          seconds: round(pool.seconds, 2),
          failed: pool.failed,
          used: run.used,
          exhausted: run.exhausted,
        },
        stored,
      };
    });
  } finally {
    await feedbackLog.close();
  }
}
