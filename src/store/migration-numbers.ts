/**
 * Checks that `list` is numbered 1, 2, ... with no gap and no repeat, and returns its schema
 * version (the last number). A gap or a repeat would make the stored version lie about what was
 * applied, so both engines' lists fail at import.
 *
 * @example
 *   export const SCHEMA_VERSION = checkedSchemaVersion(MIGRATIONS); // 9
 */
export function checkedSchemaVersion(list: readonly { version: number; name: string }[]): number {
  list.forEach((migration, i) => {
    if (migration.version !== i + 1) {
      throw new Error(`migration ${migration.name} has version ${migration.version}; expected ${i + 1}`);
    }
  });
  return list.length;
}
