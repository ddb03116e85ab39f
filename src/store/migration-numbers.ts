/**
 * Schema numbers held for a migration written on another branch at the same time (both engines
 * skip them). 8 is `008-correction-phrases`: this list lets `009-prediction-client` keep its
 * number, so the two merge with no renumbering. At that merge, add 008 to both migration lists
 * and remove it from here; a number both reserved and listed is refused at import.
 *
 * A database migrated while a number is reserved has skipped that migration for good (it is at
 * a later version): do not release a build with a reserved number.
 */
export const RESERVED_MIGRATION_VERSIONS: readonly number[] = [8];

/**
 * Checks that `list` is numbered 1, 2, ... with no gap but the reserved numbers and no repeat,
 * and returns its schema version (the last number). A gap or a repeat would make the stored
 * version lie about what was applied, so it fails at import.
 *
 * @example
 *   export const SCHEMA_VERSION = checkedSchemaVersion(MIGRATIONS); // 9
 */
export function checkedSchemaVersion(list: readonly { version: number; name: string }[]): number {
  let expected = 1;
  for (const migration of list) {
    while (RESERVED_MIGRATION_VERSIONS.includes(expected)) expected++;
    if (RESERVED_MIGRATION_VERSIONS.includes(migration.version)) {
      throw new Error(
        `migration ${migration.name} has the reserved version ${migration.version}: remove it from RESERVED_MIGRATION_VERSIONS`,
      );
    }
    if (migration.version !== expected) {
      throw new Error(`migration ${migration.name} has version ${migration.version}; expected ${expected}`);
    }
    expected++;
  }
  return list.at(-1)?.version ?? 0;
}
