import type { PostgresStep } from './step.js';

/** As SQLite's migration 7: the verdict rule's count of a client's accepted rows reads only those. */
export const step7: PostgresStep = {
  version: 7,
  name: '007-client-accepted-index',
  sql: `CREATE INDEX review_db_client_accepted ON review_db (client, date) INCLUDE (correction) WHERE verdict = 'accepted';
      DROP INDEX review_db_client_date;`,
};
