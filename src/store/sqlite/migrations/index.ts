import type BetterSqlite3 from 'better-sqlite3';
import { DatabaseVersionError, MovieClassifierError } from '../../../errors.js';
import { inspectUnversionedReviewDb, updateToSchemaVersion1 } from './001-review-db.js';
import { updateToSchemaVersion2 } from './002-predictions.js';
import { registerReviewHash, updateToSchemaVersion3 } from './003-review-hash.js';
import { updateToSchemaVersion4 } from './004-verdicts.js';
import { updateToSchemaVersion5 } from './005-database-identity-and-expiry.js';
import { updateToSchemaVersion6 } from './006-console.js';
import { updateToSchemaVersion7 } from './007-client-accepted-index.js';
import { updateToSchemaVersion8 } from './008-correction-phrases.js';
import { updateToSchemaVersion9 } from './009-prediction-client.js';
import { updateToSchemaVersion10 } from './010-phrase-feedback.js';
import { checkedSchemaVersion } from '../../migration-numbers.js';

/** One forward-only schema step: after `up` runs, the database is at `version`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: BetterSqlite3.Database) => void;
}

/** Every migration, in order. Append only: never edit, reorder or remove a shipped one. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '001-review-db', up: updateToSchemaVersion1 },
  { version: 2, name: '002-predictions', up: updateToSchemaVersion2 },
  { version: 3, name: '003-review-hash', up: updateToSchemaVersion3 },
  { version: 4, name: '004-verdicts', up: updateToSchemaVersion4 },
  { version: 5, name: '005-database-identity-and-expiry', up: updateToSchemaVersion5 },
  { version: 6, name: '006-console', up: updateToSchemaVersion6 },
  { version: 7, name: '007-client-accepted-index', up: updateToSchemaVersion7 },
  { version: 8, name: '008-correction-phrases', up: updateToSchemaVersion8 },
  { version: 9, name: '009-prediction-client', up: updateToSchemaVersion9 },
  { version: 10, name: '010-phrase-feedback', up: updateToSchemaVersion10 },
];

/** The schema version this build writes and understands (checked at import: no gap, no repeat). */
export const SCHEMA_VERSION: number = checkedSchemaVersion(MIGRATIONS);

/** Read `PRAGMA user_version` (0 for a database no migration has touched). */
export function readSchemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function futureVersionError(path: string, found: number): DatabaseVersionError {
  return new DatabaseVersionError(
    `Database ${path} has schema version ${found}, but this build of movieclassifier only knows ` +
      `versions up to ${SCHEMA_VERSION}: it was written by a newer movieclassifier. ` +
      `Upgrade movieclassifier, or set DB_PATH to use another database file.`,
    path,
    found,
    SCHEMA_VERSION,
  );
}

/** Refuses (DatabaseVersionError) a database written by a newer build; reads, changes nothing. */
export function assertKnownSchemaVersion(db: BetterSqlite3.Database, path: string): void {
  const found = readSchemaVersion(db);
  if (found > SCHEMA_VERSION) throw futureVersionError(path, found);
}

/** Refuse a version-0 database whose review_db is not the classic table we know how to adopt. */
function assertAdoptable(db: BetterSqlite3.Database, path: string): void {
  const reviewDb = inspectUnversionedReviewDb(db);
  if (reviewDb.kind !== 'unexpected') return;
  throw new DatabaseVersionError(
    `Database ${path} has schema version 0 and a review_db with columns ` +
      `(${reviewDb.columns.join(', ')}); movieclassifier can only adopt the classic ` +
      `review_db (review, sentiment, date). Set DB_PATH to use another database file, ` +
      `or move this one aside.`,
    path,
    0,
    SCHEMA_VERSION,
  );
}

/**
 * Bring a database up to {@link SCHEMA_VERSION}.
 *
 * Reads `PRAGMA user_version`; refuses a database from a newer build; otherwise applies every
 * pending migration and sets user_version, all in one IMMEDIATE transaction, so a failure
 * leaves the database exactly as it was and two processes starting together do not both
 * migrate (the second waits for the write lock, then sees the new version and does nothing).
 * A version-0 database that holds the classic `review_db` is adopted in place.
 *
 * @param db an open, writable better-sqlite3 connection (read-only works when nothing is pending).
 * @param path the database file, used in error messages only.
 * @returns the version found and the version now in place.
 * @throws DatabaseVersionError for a database from the future, a version-0 database with an
 *   unknown review_db, or a read-only database that needs migrating.
 * @throws MovieClassifierError when a migration fails (its SQLite error is the `cause`).
 * @example
 *   migrate(db, 'data/reviews.sqlite') // -> { from: 0, to: 4 }
 */
export function migrate(db: BetterSqlite3.Database, path: string): { from: number; to: number } {
  registerReviewHash(db);
  const found = readSchemaVersion(db);
  if (found > SCHEMA_VERSION) throw futureVersionError(path, found);
  if (found === SCHEMA_VERSION) return { from: found, to: found };
  if (db.readonly) {
    throw new DatabaseVersionError(
      `Database ${path} has schema version ${found} and this build needs ${SCHEMA_VERSION}, ` +
        `but it was opened read-only and cannot be migrated. Open it read-write once ` +
        `(for example by starting the app), or set DB_PATH to use another database file.`,
      path,
      found,
      SCHEMA_VERSION,
    );
  }

  const run = db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const from = readSchemaVersion(db);
    if (from > SCHEMA_VERSION) throw futureVersionError(path, from);
    if (from === 0) assertAdoptable(db, path);
    for (const migration of MIGRATIONS.filter((m) => m.version > from)) {
      try {
        migration.up(db);
      } catch (error) {
        if (error instanceof MovieClassifierError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new MovieClassifierError(
          `Could not migrate database ${path} from schema version ${from} to ${SCHEMA_VERSION}: ` +
            `migration ${migration.name} failed (${reason}). Nothing was changed.`,
          { cause: error },
        );
      }
    }
    // PRAGMA takes no bound parameters; SCHEMA_VERSION is a code constant checked above.
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return from;
  });
  return { from: run.immediate(), to: SCHEMA_VERSION };
}
