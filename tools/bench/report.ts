import type { FeedbackCheck } from './feedback-check.js';
import type { PredictionSpeed, TrainingSpeed } from './offline.js';
import type { CaseName } from './options.js';
import type { TreeRss } from './rss.js';
import type { CaseSummary } from './stats.js';

export interface FeedbackSummary extends CaseSummary {
  pool: {
    /** Predictions created (through the API) before the case. */
    created: number;
    seconds: number;
    failed: number;
    /** Of them, handed to feedback requests. */
    used: number;
    /** Every prediction was answered before the duration was up: the case ran shorter (rates stay valid). */
    exhausted: boolean;
  };
  stored: FeedbackCheck;
}

export interface ServerRun {
  workers: number;
  /** From spawn to the first 200 of GET /healthz. */
  startToFirstAnswerMs: number;
  /** Slowest worker's model file load (`model.loadMs` of the start-up lines). */
  modelLoadMs: number | null;
  modelLoadMsPerProcess: (number | null)[];
  rssAfterWarmupMb: number;
  rssAfterLastCaseMb: number;
  /** rssAfterLastCaseMb - rssAfterWarmupMb. */
  rssGrowthMb: number;
  /** Total RSS of the server's processes after each case, in MB. */
  rssAfterCaseMb: Partial<Record<CaseName, number>>;
  /** What the last case added over the first (the issue's flatness bar: at most 10 MB). */
  rssLastOverFirstCaseMb: number;
  /** The largest single process (the per-worker figure) after the warm-up and after the last case. */
  rssLargestProcessMb: { afterWarmup: number; afterLastCase: number };
  rssAfterWarmup: TreeRss;
  rssAfterLastCase: TreeRss;
  /** Each process's median RSS over samples every 250 ms during the warm-up's last case. */
  rssMedianDuringWarmup: TreeRss;
  /** The same during each case. */
  rssMedianDuringCase: Partial<Record<CaseName, TreeRss>>;
  /**
   * Per worker: its median during the last case minus its median during the warm-up (the issue's
   * flatness bar, at most 10 MB, measured past the GC sawtooth a single sample lands on).
   */
  rssMedianGrowthPerWorkerMb: number[];
  /** Bytes of pino log the server(s) wrote during the run (stdout, to a temporary file). */
  serverLogBytes: number;
  cases: Partial<Record<Exclude<CaseName, 'feedback'>, CaseSummary>> & { feedback?: FeedbackSummary };
}

export interface BenchReport {
  bench: 'movieclassifier';
  /** Shape version of this object; bumped when fields change meaning. */
  schema: 1;
  at: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string; loadAverage: number[] };
  settings: {
    durationS: number;
    connections: number;
    warmupS: number;
    workers: number[];
    cases: CaseName[];
    reviewChars: number;
    /** Load generator of the fixed-request cases (the feedback case always uses autocannon). */
    tool: 'autocannon' | 'wrk';
    serverLog: string;
    build: { built: boolean; ms: number };
  };
  runs: ServerRun[];
  offline: {
    data: string;
    training: TrainingSpeed[];
    prediction: PredictionSpeed;
  } | null;
  totalSeconds: number;
}

/** The closing line: every figure, one line, nothing before the opening brace. */
export function benchJsonLine(report: BenchReport): string {
  return JSON.stringify(report);
}

const CASE_LABELS: Record<CaseName, string> = {
  get: 'GET /',
  results: 'POST /results',
  predict: 'POST /api/v1/predict',
  feedback: 'POST /api/v1/feedback',
};

/** One human-readable line for a finished case. */
export function formatCaseLine(workers: number, name: CaseName, summary: CaseSummary): string {
  const l = summary.latencyMs;
  const failures =
    summary.non2xx === 0
      ? 'non-2xx 0'
      : `non-2xx ${summary.non2xx} (${Object.entries(summary.statusCodes)
          .filter(([code]) => !code.startsWith('2'))
          .map(([code, count]) => `${code}: ${count}`)
          .join(', ')})`;
  return (
    `workers=${workers}  ${CASE_LABELS[name].padEnd(22)} ${fmt(summary.rps, 0).padStart(7)} req/s  ` +
    `p50 ${fmt(l.p50, 2)} ms  p99 ${fmt(l.p99, 2)} ms  max ${fmt(l.max, 1)} ms  ` +
    `${failures}  errors ${summary.errors} (timeouts ${summary.timeouts})` +
    (summary.cpuMsPerResponse === undefined ? '' : `  cpu ${fmt(summary.cpuMsPerResponse, 3)} ms/response`)
  );
}

/** The stored-exactly-once verdict of the feedback case, in words. */
export function formatFeedbackCheck(workers: number, summary: FeedbackSummary): string {
  const s = summary.stored;
  const verdict = s.exactlyOnce ? 'every acknowledged feedback stored exactly once' : 'MISMATCH';
  return (
    `workers=${workers}  feedback: ${fmt(summary.okPerSecond, 0)} feedbacks/s; ${s.answered} 2xx answers, ` +
    `${s.answeredAndStored} of them found in review_db, ${s.rowsAdded} rows added ` +
    `(${s.storedAfterCutOff} for requests cut off at the end), duplicate prediction rows ${s.duplicatePredictionRows}, ` +
    `linked predictions ${s.linkedPredictions}: ${verdict}` +
    (summary.pool.exhausted
      ? ` (all ${summary.pool.created} predictions were answered after ${summary.seconds} s, so the case ran shorter; ` +
        `--feedback-pool N for a longer one)`
      : '')
  );
}

export function formatRss(rss: TreeRss): string {
  const parts = rss.processes.map((p) => `${p.pid}: ${fmt(p.rssMb, 1)}`).join(', ');
  return `${fmt(rss.totalMb, 1)} MB (${rss.processes.length} process${rss.processes.length === 1 ? '' : 'es'}: ${parts})`;
}

/** A number with thousands separators and a fixed number of decimals. */
export function fmt(value: number, digits: number): string {
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
