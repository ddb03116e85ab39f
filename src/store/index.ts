export { openStore, type OpenStoreOptions } from './store.js';
export { migrate, MIGRATIONS, SCHEMA_VERSION, readSchemaVersion, type Migration } from './migrations/index.js';
export { CLASSIC_IMPORT_SOURCE } from './migrations/001-review-db.js';
export type { FeedbackOutcome, NewPrediction, ReviewRow, Store, StoredPrediction } from './types.js';
export { createPredictionBatcher, type PredictionBatcher, type PredictionBatcherOptions } from './prediction-batcher.js';
