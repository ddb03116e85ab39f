/** One forward-only step of the PostgreSQL schema, numbered and named as SQLite's migration of the same step. */
export interface PostgresStep {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
