import type pg from 'pg';
import { DatabaseVersionError } from '../../errors.js';
import { consoleStep } from './006-console.js';

/**
 * The PostgreSQL schema, step by step, numbered as the SQLite migrations are (src/store/migrations/):
 * the same tables and columns, in PostgreSQL's types. Step 4 also holds the model checkpoints,
 * which on SQLite are files beside the database: with several machines there is no shared folder.
 */
const STEPS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: '001-review-db',
    sql: `
      CREATE TABLE review_db (
        review TEXT,
        sentiment INTEGER,
        date TEXT,
        id BIGSERIAL PRIMARY KEY,
        prediction_id TEXT NULL,
        source TEXT NOT NULL CHECK (source <> '')
      );
      CREATE UNIQUE INDEX review_db_prediction_id ON review_db (prediction_id);`,
  },
  {
    version: 2,
    name: '002-predictions',
    sql: `
      CREATE TABLE predictions (
        id TEXT PRIMARY KEY CHECK (id <> ''),
        review TEXT NOT NULL,
        label INTEGER NOT NULL CHECK (label IN (0, 1)),
        probability DOUBLE PRECISION NOT NULL CHECK (probability >= 0 AND probability <= 1),
        model_version TEXT NOT NULL,
        created_at TEXT NOT NULL,
        feedback_review_id BIGINT NULL REFERENCES review_db (id)
      );
      CREATE UNIQUE INDEX predictions_feedback_review_id ON predictions (feedback_review_id);`,
  },
  {
    version: 3,
    name: '003-review-hash',
    sql: `
      ALTER TABLE review_db ADD COLUMN review_hash TEXT NULL;
      CREATE INDEX review_db_review_hash ON review_db (review_hash, sentiment, id);`,
  },
  {
    version: 4,
    name: '004-verdicts',
    sql: `
      ALTER TABLE review_db ADD COLUMN verdict TEXT NOT NULL DEFAULT 'accepted'
        CONSTRAINT review_db_verdict CHECK (verdict IN ('accepted', 'held', 'rejected'));
      ALTER TABLE review_db ADD COLUMN verdict_reason TEXT NULL;
      ALTER TABLE review_db ADD COLUMN client TEXT NULL;
      ALTER TABLE review_db ADD COLUMN correction INTEGER NULL;
      ALTER TABLE review_db ADD COLUMN normalized_hash TEXT NULL;
      ALTER TABLE review_db ADD COLUMN signature BYTEA NULL;
      CREATE TABLE review_bands (band_key BIGINT NOT NULL, review_id BIGINT NOT NULL REFERENCES review_db (id));
      CREATE TABLE verdict_changes (
        id BIGSERIAL PRIMARY KEY,
        review_id BIGINT NOT NULL REFERENCES review_db (id),
        verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'held', 'rejected')),
        reason TEXT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX review_bands_key ON review_bands (band_key, review_id);
      CREATE INDEX review_db_normalized_hash ON review_db (normalized_hash, id);
      CREATE INDEX review_db_client_date ON review_db (client, date) WHERE client IS NOT NULL;
      CREATE INDEX review_db_verdict_id ON review_db (verdict, id);
      CREATE TABLE model_checkpoints (
        checksum TEXT PRIMARY KEY,
        watermark BIGINT NOT NULL,
        verdict_changes_through BIGINT NOT NULL,
        bytes BYTEA NOT NULL,
        kept_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        published_at TIMESTAMPTZ NULL
      );
      CREATE INDEX model_checkpoints_published ON model_checkpoints (published_at) WHERE published_at IS NOT NULL;`,
  },
  {
    version: 5,
    name: '005-database-identity-and-expiry',
    sql: `
      CREATE TABLE database_identity (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        write_checked_at TEXT NULL
      );
      INSERT INTO database_identity (id, created_at) VALUES (gen_random_uuid()::text, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
      CREATE INDEX predictions_unanswered_created_at ON predictions (created_at) WHERE feedback_review_id IS NULL;`,
  },
  {
    version: 6,
    name: '006-console',
    sql: consoleStep(),
  },
  {
    // As SQLite's migration 7: the verdict rule's count of a client's accepted rows reads only those.
    version: 7,
    name: '007-client-accepted-index',
    sql: `CREATE INDEX review_db_client_accepted ON review_db (client, date) INCLUDE (correction) WHERE verdict = 'accepted';
      DROP INDEX review_db_client_date;`,
  },
];

export const POSTGRES_SCHEMA_VERSION = STEPS.length;

/** Advisory-lock keys (any two fixed numbers; they name the locks of this app). */
export const MIGRATION_LOCK = 7_240_001;
export const LOG_LOCK = 7_240_002;
/** With a client's hash as the second key (pg_advisory_xact_lock(int, int)): its console sign-in tries take turns. */
export const LOGIN_LOCK = 7_240_003;
/** Held by `npm run update` for its whole run (a session lock): two never fold and publish at once. */
export const UPDATE_LOCK = 7_240_004;

/**
 * Brings the database up to POSTGRES_SCHEMA_VERSION (or `target`, for tests of an upgrade), once:
 * every step runs in one transaction under an advisory lock, so instances starting together wait
 * for the first to finish and then find nothing to do. A database from a newer build is refused.
 */
export async function migratePostgres(client: pg.ClientBase, where: string, target = POSTGRES_SCHEMA_VERSION): Promise<{ from: number; to: number }> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS movieclassifier_schema (version INTEGER NOT NULL)');
    const found = Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM movieclassifier_schema')).rows[0].v);
    if (found > POSTGRES_SCHEMA_VERSION) {
      throw new DatabaseVersionError(
        `Database ${where} has schema version ${found}, but this build of movieclassifier only knows versions up to ` +
          `${POSTGRES_SCHEMA_VERSION}: it was written by a newer movieclassifier. Upgrade movieclassifier, or set DATABASE_URL to another database.`,
        where,
        found,
        POSTGRES_SCHEMA_VERSION,
      );
    }
    const to = Math.max(found, target);
    for (const step of STEPS.slice(found, to)) await client.query(step.sql);
    if (found < to) {
      await client.query('DELETE FROM movieclassifier_schema');
      await client.query('INSERT INTO movieclassifier_schema (version) VALUES ($1)', [to]);
    }
    await client.query('COMMIT');
    return { from: found, to };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

