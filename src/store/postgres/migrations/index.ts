import type pg from 'pg';
import { DatabaseVersionError } from '../../../errors.js';
import { step1 } from './001-review-db.js';
import { step2 } from './002-predictions.js';
import { step3 } from './003-review-hash.js';
import { step4 } from './004-verdicts.js';
import { step5 } from './005-database-identity-and-expiry.js';
import { step6 } from './006-console.js';
import { step7 } from './007-client-accepted-index.js';
import { step8 } from './008-correction-phrases.js';
import { step9 } from './009-prediction-client.js';
import { step10 } from './010-phrase-feedback.js';
import { checkedSchemaVersion } from '../../migration-numbers.js';
import type { PostgresStep } from './step.js';

/**
 * The PostgreSQL schema, step by step, numbered as the SQLite migrations are (src/store/sqlite/migrations/):
 * the same tables and columns, in PostgreSQL's types. Step 4 also holds the model checkpoints,
 * which on SQLite are files beside the database: with several machines there is no shared folder.
 */
/** Every step, in order. Append only: never edit, reorder or remove a shipped one. */
export const POSTGRES_STEPS: readonly PostgresStep[] = [
  step1,
  step2,
  step3,
  step4,
  step5,
  step6,
  step7,
  step8,
  step9,
  step10,
];

export const POSTGRES_SCHEMA_VERSION: number = checkedSchemaVersion(POSTGRES_STEPS);

/** Advisory-lock keys (any two fixed numbers; they name the locks of this app). */
export const MIGRATION_LOCK = 7_240_001;
export const LOG_LOCK = 7_240_002;
/** Taken with the client's hash as the second key: one client's sign-in tries take turns. */
export const LOGIN_LOCK = 7_240_003;
/** Held by `npm run update` for its run: two updates at once would both fold and both publish. */
export const UPDATE_LOCK = 7_240_004;

/**
 * Brings the database up to POSTGRES_SCHEMA_VERSION (or `target`, for tests of an upgrade), once:
 * every step runs in one transaction under an advisory lock, so instances starting together wait
 * for the first to finish and then find nothing to do. A database from a newer build is refused.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  where: string,
  target = POSTGRES_SCHEMA_VERSION,
): Promise<{ from: number; to: number }> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS movieclassifier_schema (version INTEGER NOT NULL)');
    const found = Number(
      (await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM movieclassifier_schema')).rows[0]
        .v,
    );
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
    for (const step of POSTGRES_STEPS.filter((s) => s.version > found && s.version <= to)) await client.query(step.sql);
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
