// The tests and the bench start PostgreSQL the same way.
export { startTestPostgres, type StartTestPostgresOptions, type TestPostgres } from '../../tools/embedded-postgres.js';
