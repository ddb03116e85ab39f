import { describe, expect, it } from 'vitest';

import { benchJsonLine, formatCaseLine, type BenchReport, type FeedbackSummary } from '../../tools/bench/report.js';
import type { CaseSummary } from '../../tools/bench/stats.js';

const predict: CaseSummary = {
  method: 'POST',
  path: '/api/v1/predict',
  seconds: 10,
  rps: 10_512.3,
  okPerSecond: 10_500,
  responses: 105_000,
  ok2xx: 105_000,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  statusCodes: { '200': 105_000 },
  latencyMs: { count: 105_000, mean: 1.4, p50: 1.3, p90: 2, p99: 3.1, max: 20 },
};

const feedback: FeedbackSummary = {
  ...predict,
  path: '/api/v1/feedback',
  statusCodes: { '201': 105_000 },
  pool: { created: 150_000, seconds: 14.2, failed: 0, used: 105_016, exhausted: false },
  stored: {
    rowsAdded: 105_002,
    answered: 105_000,
    answeredAndStored: 105_000,
    repeatedAnswerIds: 0,
    duplicatePredictionRows: 0,
    linkedPredictions: 105_002,
    storedAfterCutOff: 2,
    exactlyOnce: true,
  },
};

function sampleReport(): BenchReport {
  const rss = { totalMb: 180.5, processes: [{ pid: 10, rssMb: 180.5 }] };
  return {
    bench: 'movieclassifier',
    schema: 1,
    at: '2026-01-01T00:00:00.000Z',
    machine: {
      node: 'v20.20.2',
      platform: 'linux-x64',
      cpus: 2,
      cpuModel: 'test "cpu"\nmodel',
      loadAverage: [0.1, 0.2, 0.3],
    },
    settings: {
      durationS: 10,
      connections: 16,
      warmupS: 2,
      workers: [1, 2],
      cases: ['get', 'results', 'predict', 'feedback'],
      reviewChars: 1002,
      tool: 'autocannon',
      serverLog: 'LOG_LEVEL=info; server stdout goes to a temporary file',
      build: { built: false, ms: 0 },
    },
    runs: [
      {
        workers: 1,
        startToFirstAnswerMs: 400,
        modelLoadMs: 120,
        modelLoadMsPerProcess: [120],
        rssAfterWarmupMb: 180.5,
        rssAfterLastCaseMb: 180.5,
        rssGrowthMb: 0,
        rssAfterCaseMb: { predict: 180.5, feedback: 180.5 },
        rssLastOverFirstCaseMb: 0,
        rssLargestProcessMb: { afterWarmup: 180.5, afterLastCase: 180.5 },
        rssAfterWarmup: rss,
        rssAfterLastCase: rss,
        rssMedianDuringWarmup: rss,
        rssMedianDuringCase: { predict: rss, feedback: rss },
        rssMedianGrowthPerWorkerMb: [0],
        serverLogBytes: 1_000_000,
        cases: { predict, feedback },
      },
    ],
    offline: {
      data: '/tmp/aclImdb',
      training: [{ preset: 'classic', documents: 25_000, docsPerSecond: 30_000, seconds: 1.2 }],
      prediction: { model: 'data/model.bin', documents: 25_000, docsPerSecond: 60_000, accuracy: 0.91, seconds: 2 },
    },
    totalSeconds: 101.5,
  };
}

describe('benchJsonLine', () => {
  it('is one line, starting with the opening brace, that JSON.parse gives back whole', () => {
    // Arrange
    const report = sampleReport();

    // Act
    const line = benchJsonLine(report);

    // Assert: a text with a newline inside (cpuModel) must not break the line
    expect(line).not.toMatch(/[\r\n]/);
    expect(line.startsWith('{"bench":"movieclassifier"')).toBe(true);
    expect(JSON.parse(line)).toEqual(report);
  });

  it('holds the figures a comparison needs at fixed paths', () => {
    const parsed = JSON.parse(benchJsonLine(sampleReport())) as BenchReport;
    const run = parsed.runs[0];

    expect(run.cases.predict).toMatchObject({ rps: 10_512.3, latencyMs: { p50: 1.3, p99: 3.1 }, non2xx: 0, errors: 0 });
    expect(run.cases.feedback?.stored.exactlyOnce).toBe(true);
    expect(run).toMatchObject({ startToFirstAnswerMs: 400, modelLoadMs: 120, rssAfterWarmupMb: 180.5, rssGrowthMb: 0 });
    expect(parsed.offline?.prediction.docsPerSecond).toBe(60_000);
  });
});

describe('formatCaseLine', () => {
  it('shows requests/s, p50, p99 and the failures', () => {
    const line = formatCaseLine(2, 'predict', predict);

    expect(line).toContain('workers=2');
    expect(line).toContain('POST /api/v1/predict');
    expect(line).toContain('10,512 req/s');
    expect(line).toContain('p50 1.30 ms');
    expect(line).toContain('p99 3.10 ms');
    expect(line).toContain('non-2xx 0');
    expect(line).toContain('errors 0 (timeouts 0)');
  });

  it('names the statuses of the non-2xx answers', () => {
    const line = formatCaseLine(1, 'results', {
      ...predict,
      non2xx: 7,
      statusCodes: { '200': 10, '409': 5, '500': 2 },
    });

    expect(line).toContain('non-2xx 7 (409: 5, 500: 2)');
  });

  it("shows the server's CPU time per response when the run measured it, and nothing otherwise", () => {
    expect(formatCaseLine(2, 'predict', { ...predict, cpuMsPerResponse: 0.4261 })).toMatch(/cpu 0\.426 ms\/response$/);
    expect(formatCaseLine(2, 'predict', predict)).not.toContain('cpu');
  });
});
