export { describeUrl, openPostgresStore, type OpenPostgresStoreOptions, type PostgresStore, type StoredCheckpoint } from './log-store.js';
export { migratePostgres, POSTGRES_SCHEMA_VERSION, POSTGRES_STEPS } from './migrations/index.js';
