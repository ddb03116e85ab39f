export { openStore, type OpenStoreOptions } from './sqlite/log-store.js';
export { ACCEPT_EVERY_ROW } from './rows.js';
export { migrate, MIGRATIONS, SCHEMA_VERSION, readSchemaVersion, type Migration } from './sqlite/migrations/index.js';
export { CLASSIC_IMPORT_SOURCE } from './sqlite/migrations/001-review-db.js';
export { VERDICTS } from './types.js';
export type {
  FeedbackLinks,
  FeedbackListRow,
  FeedbackOutcome,
  LogHistory,
  LogStore,
  Awaitable,
  NewPrediction,
  ReviewRow,
  FeedbackOptions,
  RowOptions,
  StoredPrediction,
  Verdict,
  VerdictChange,
  VerdictDecision,
  VerdictRule,
  WriteCandidate,
} from './types.js';
export {
  createPredictionBatcher,
  type PredictionBatcher,
  type PredictionBatcherOptions,
} from './prediction-batcher.js';
export { indexWords, nextDay, searchTerms } from './console.js';
export type {
  ClientOrder,
  ClientSummary,
  ConsoleFilter,
  ConsolePage,
  ConsoleRow,
  ConsoleStore,
  ExportRow,
  FeedbackCount,
  LoginTry,
  ModelEvent,
  ModelEventKind,
  ModelEventLog,
  PeriodCount,
} from './console.js';
