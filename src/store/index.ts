export { ACCEPT_EVERY_ROW, openStore, type OpenStoreOptions } from './store.js';
export { migrate, MIGRATIONS, SCHEMA_VERSION, readSchemaVersion, type Migration } from './migrations/index.js';
export { CLASSIC_IMPORT_SOURCE } from './migrations/001-review-db.js';
export { VERDICTS } from './types.js';
export type {
  FeedbackFilter,
  FeedbackLinks,
  FeedbackListRow,
  FeedbackOutcome,
  LogHistory,
  LogStore,
  Awaitable,
  NewPrediction,
  ReviewRow,
  RowOptions,
  Store,
  StoredPrediction,
  Verdict,
  VerdictChange,
  VerdictDecision,
  VerdictRule,
  WriteCandidate,
} from './types.js';
export { createPredictionBatcher, type PredictionBatcher, type PredictionBatcherOptions } from './prediction-batcher.js';
export { indexWords, nextDay, searchTerms } from './console-store.js';
export { bulkLoadLog, type BulkRow } from './bulk-load.js';
export type {
  ClientOrder,
  ClientSummary,
  ConsoleFilter,
  ConsolePage,
  ConsoleRow,
  ConsoleStore,
  SyncConsoleStore,
  SyncModelEventLog,
  ExportRow,
  FeedbackCount,
  LoginTry,
  ModelEvent,
  ModelEventKind,
  ModelEventLog,
  PeriodCount,
} from './console-store.js';
