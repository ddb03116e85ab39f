export { openStore, type OpenStoreOptions } from './store.js';
export { migrate, MIGRATIONS, SCHEMA_VERSION, readSchemaVersion, type Migration } from './migrations/index.js';
export { CLASSIC_IMPORT_SOURCE } from './migrations/001-review-db.js';
export type { FeedbackLinks, FeedbackOutcome, ReviewRow, Store, StoredPrediction } from './types.js';
