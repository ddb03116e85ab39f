/** `npm run bench`: load the real server and report throughput, latency, start-up and memory. */
export { Cleanup, type CleanupStep } from './cleanup.js';
export {
  checkFeedbackRows,
  compareFeedback,
  waitForQuietLog,
  type FeedbackCheck,
  type FeedbackLog,
} from './feedback-check.js';
export { caseRequest, createPredictions, feedbackReview, runFeedbackLoad, runLoad, type LoadRequest } from './load.js';
export { measurePrediction, measureTraining, type PredictionSpeed, type TrainingSpeed } from './offline.js';
export { BENCH_USAGE, CASE_NAMES, parseBenchArgs, type BenchOptions, type CaseName } from './options.js';
export { benchJsonLine, formatCaseLine, type BenchReport, type ServerRun } from './report.js';
export { parentPid, statusField, treeRss, vmRssKb, type TreeRss } from './rss.js';
export {
  DEFAULT_FEEDBACK_POOL,
  feedbackPoolSize,
  readBenchReview,
  runBench,
  runSoakBench,
  type BenchContext,
} from './run.js';
export {
  formatSoakWindow,
  runSoak,
  slope,
  soakRequests,
  summarizeSoak,
  type SoakReport,
  type SoakWindow,
} from './soak.js';
export { BenchError, startBenchServer, startUpFacts, type BenchServer, type StartUpFacts } from './bench-server.js';
export { percentile, summarizeCase, summarizeLatencies, type CaseSummary } from './stats.js';
