export { describeUrl, openPostgresStore, type OpenPostgresStoreOptions, type PostgresStore, type StoredCheckpoint } from './store.js';
export { migratePostgres, POSTGRES_SCHEMA_VERSION, UPDATE_LOCK } from './migrations.js';
