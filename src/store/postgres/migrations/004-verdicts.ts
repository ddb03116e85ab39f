import type { PostgresStep } from './step.js';

/** PostgreSQL step 4: as SQLite's migration 004-verdicts. */
export const step4: PostgresStep = {
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
};
