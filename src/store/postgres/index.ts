export {
  describeUrl,
  openPostgresStore,
  type OpenPostgresStoreOptions,
  type PostgresStore,
  type StoredCheckpoint,
} from './log-store.js';
export { migratePostgres, POSTGRES_SCHEMA_VERSION, POSTGRES_STEPS, UPDATE_LOCK } from './migrations/index.js';
