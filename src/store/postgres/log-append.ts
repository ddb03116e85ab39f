import pg from 'pg';

import type { Fingerprint } from '../../moderation/fingerprint.js';
import { clientWindowStart } from '../../moderation/client-window.js';
import { InvalidInputError } from '../../errors.js';
import {
  CANDIDATES_PER_BAND,
  countsAgainstPhrases,
  indexesBands,
  PHRASE_ROWS_PER_LOOKUP,
  phrasePush,
  type LogRowInput,
} from '../rows.js';
import type { LogHistory, PhraseFeedback, VerdictDecision, VerdictRule } from '../types.js';
import { LOG_LOCK } from './migrations/index.js';

/** A log row as the store hands it to the append, with its fingerprint made before any lock. */
export interface NewLogRow extends LogRowInput {
  fingerprint: Fingerprint;
}

export type AppendOutcome =
  | ({ status: 'recorded'; id: number } & VerdictDecision)
  /** The prediction is not (or no longer) stored. */
  | { status: 'unknown' }
  /** The prediction was answered already (by another instance meanwhile): its row's id. */
  | { status: 'duplicate'; id: number };

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

/** The store's ways to the database that an append uses. */
export interface AppendDatabase {
  /** One statement on any connection of the pool. */
  query: Query;
  /** Work on one connection, outside any transaction it does not open itself. */
  withConnection: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;
  /** Work inside BEGIN ... COMMIT on one connection. */
  transaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;
}

/**
 * Appends one row to the log, holding the log lock (LOG_LOCK, see openPostgresStore) for one
 * statement and the commit, on the database, instead of for every question the verdict rule asks.
 *
 * 1. Without the lock, one statement reads the rule's answers from a snapshot, and the highest
 *    row id and verdict change id in it. Ids come out in commit order, so the snapshot holds
 *    every row through those ids: the rule decides on the log through them.
 * 2. One round trip sends the transaction whole (simple protocol, several statements): take the
 *    lock; check that no row after the snapshot could change what the rule was told (the same
 *    normalized text, a shared band, a row of the same client or any verdict change when the
 *    rule asked about the client, an accepted answer or any verdict change when it asked about
 *    phrases); insert the row, its band keys, its phrases (an accepted answer) and the
 *    prediction's link; notify; commit. The lock is never held while a message crosses the network or waits for
 *    this process's event loop (which, under load, was most of the ~12 ms a write held it).
 * 3. When something after the snapshot could matter (rare: concurrent writes of near-duplicates
 *    or of one client), the same snapshot is read again under the lock, and the rule asked again.
 * So the rule always sees exactly the rows before the one it judges.
 */
export async function appendRow(
  database: AppendDatabase,
  verdictRule: VerdictRule,
  row: NewLogRow,
  channel: string,
): Promise<AppendOutcome> {
  // The phrase budget's question, only for an answer to a prediction judged by a rule that asks it.
  const asksPhrases = row.push !== null && verdictRule.asksPhrases === true;
  const snapshot = await snapshotHistory(database.query, row.fingerprint, row.client, row.date, asksPhrases);
  const decision = verdictRule(candidateOf(row), snapshot.history);
  const fast = await database.withConnection(async (client) => {
    const [statement, values] = insertStatement(row, decision, channel, snapshot);
    // The commit under the lock does not wait for the disk; the message after it does (see
    // waitUntilDurable), once the lock is released, so a row is acknowledged only once on disk.
    const results = (await client.query(
      `BEGIN;
       SELECT pg_advisory_xact_lock(${LOG_LOCK}), set_config('synchronous_commit', 'off', true);
       ${inlineValues(statement, values)};
       COMMIT;
       ${DURABLE_BARRIER};`,
    )) as unknown as pg.QueryResult<InsertResult>[];
    return outcomeOf(row, decision, results[2].rows[0]);
  });
  if (fast !== 'stale') return fast;
  const outcome = await database.transaction(async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock($1), set_config('synchronous_commit', 'off', true)`, [LOG_LOCK]);
    // Under the lock the same questions see every row before this one: no check is needed after.
    const locked = await snapshotHistory(rowsOn(client), row.fingerprint, row.client, row.date, asksPhrases);
    const retried = verdictRule(candidateOf(row), locked.history);
    const [statement, values] = insertStatement(row, retried, channel, null);
    return outcomeOf(row, retried, (await client.query<InsertResult>(statement, values)).rows[0]);
  });
  await waitUntilDurable(database.query);
  if (outcome === 'stale') throw new Error('a log append decided under the lock found the log changed under it');
  return outcome;
}

/** {@link Query} on one connection (inside its transaction). */
function rowsOn(client: pg.PoolClient): Query {
  return async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
    (await client.query<R>(text, values)).rows;
}

/** A WAL record in a transaction of its own: committing it flushes the WAL (see waitUntilDurable). */
const DURABLE_BARRIER = `SELECT pg_logical_emit_message(true, 'movieclassifier', '')`;

/**
 * Returns once every transaction committed before the call is on disk.
 *
 * Rows are committed without waiting for the disk while the log lock is held: ids must come out
 * in commit order, so commits under the lock are one after another, and a flush each (~3 ms
 * here) would bound the whole cluster to a few hundred writes a second. Durability is waited for
 * after the lock instead, by a synchronous commit of a transaction that writes one tiny WAL
 * record (a logical-decoding message, which any role may emit and nothing reads; a transaction
 * that writes nothing commits without a flush): its commit record comes after every earlier one
 * in the WAL, so its flush covers them, and concurrent waits share one flush. A row is
 * acknowledged (the writer, here) or applied to a model (every reader, see waitUntilFlushed) only
 * once it is on disk, so a crash of the database can lose only rows that no one was told of and
 * no model holds.
 */
async function waitUntilDurable(query: Query): Promise<void> {
  await query(DURABLE_BARRIER);
}

/** How long a reader waits for others' flushes before it flushes the WAL itself. */
const FLUSH_WAIT_MS = 20;

/**
 * Returns once the WAL is on disk up to `lsn` (a position read after the rows a reader read).
 * A writer flushes right after its commit (waitUntilDurable), so by the time another instance
 * has read the row it is almost always on disk already, or is within a millisecond or two: the
 * reader waits for that instead of flushing again (a flush per look of every instance cost a
 * third of the machine's CPU in the kernel at 3 instances), and flushes itself only after
 * FLUSH_WAIT_MS (a writer that died between its commit and its flush).
 */
export async function waitUntilFlushed(query: Query, lsn: string): Promise<void> {
  const until = performance.now() + FLUSH_WAIT_MS;
  while (performance.now() < until) {
    const [{ flushed }] = await query<{ flushed: boolean }>(
      'SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS flushed',
      [lsn],
    );
    if (flushed) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await waitUntilDurable(query);
}

/**
 * A statement with its values written in as SQL literals, for the simple protocol, which takes
 * several statements in one message but no parameters. Only the value types an append binds.
 */
function inlineValues(statement: string, values: readonly unknown[]): string {
  return statement.replace(/\$(\d+)/g, (_, n: string) => literal(values[Number(n) - 1]));
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError(`cannot write ${value} into SQL`);
    return String(value);
  }
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'::bytea`;
  if (Array.isArray(value)) {
    // Keys and ids are whole numbers; pushes are not (an integer array cast to bigint[] would round them).
    const type = value.every((item) => Number.isSafeInteger(item)) ? 'bigint' : 'float8';
    return `ARRAY[${value.map(literal).join(',')}]::${type}[]`;
  }
  throw new InvalidInputError(`cannot write a ${typeof value} into SQL`);
}

function candidateOf(row: NewLogRow) {
  const { review, sentiment, client, correction, push, date, fingerprint } = row;
  return { review, sentiment, client, correction, push, date, fingerprint };
}

/** The rule's answers read from one snapshot, and which of them the rule asked for. */
interface Snapshot {
  /** Every row with an id up to this one is in the snapshot (commit order). */
  through: number;
  verdictChangesThrough: number;
  history: LogHistory;
  asked: { sameText: boolean; bands: boolean; client: boolean; phrases: boolean };
}

interface SnapshotRow {
  through: number;
  changes_through: number;
  same: number | null;
  candidate_ids: string[] | null;
  candidate_signatures: Buffer[] | null;
  client_rows: number;
  client_corrections: number | null;
  phrase_keys: string[] | null;
  phrase_negative: number[] | null;
  phrase_positive: number[] | null;
  phrase_squares: number[] | null;
}

async function snapshotHistory(
  query: Query,
  print: Fingerprint,
  clientId: string | null,
  date: string,
  asksPhrases: boolean,
): Promise<Snapshot> {
  const since = clientWindowStart(date);
  // One statement, so every answer and the two watermarks come from the same snapshot.
  const [found] = await query<SnapshotRow>(
    `WITH candidates AS (
       SELECT id, signature FROM review_db
       WHERE id IN (SELECT b.review_id FROM unnest($2::bigint[]) AS k(key)
                    CROSS JOIN LATERAL (SELECT review_id FROM review_bands WHERE band_key = k.key
                                        ORDER BY review_id DESC LIMIT $3) AS b)
         AND signature IS NOT NULL
     ), client_counts AS (
       SELECT COUNT(*) AS client_rows, SUM(correction) AS client_corrections FROM review_db
       WHERE $4::text IS NOT NULL AND client = $4 AND date >= $5 AND verdict = 'accepted'
     ), phrases AS (
       SELECT k.position, k.phrase, SUM(c.push * (1 - c.sentiment)) AS to_negative,
              SUM(c.push * c.sentiment) AS to_positive, SUM(c.push * c.push) AS squares
       FROM unnest($6::bigint[]) WITH ORDINALITY AS k (phrase, position)
       CROSS JOIN LATERAL (${phraseRowsSql('k.phrase', '$5', '$7')}) AS c
       GROUP BY k.position, k.phrase
     )
     SELECT (SELECT COALESCE(MAX(id), 0) FROM review_db) AS through,
            (SELECT COALESCE(MAX(id), 0) FROM verdict_changes) AS changes_through,
            (SELECT MIN(id) FROM review_db WHERE normalized_hash = $1) AS same,
            (SELECT array_agg(id ORDER BY id) FROM candidates) AS candidate_ids,
            (SELECT array_agg(signature ORDER BY id) FROM candidates) AS candidate_signatures,
            client_rows, client_corrections,
            (SELECT array_agg(phrase ORDER BY position) FROM phrases) AS phrase_keys,
            (SELECT array_agg(to_negative ORDER BY position) FROM phrases) AS phrase_negative,
            (SELECT array_agg(to_positive ORDER BY position) FROM phrases) AS phrase_positive,
            (SELECT array_agg(squares ORDER BY position) FROM phrases) AS phrase_squares
     FROM client_counts`,
    [
      print.normalizedHash,
      print.bandKeys,
      CANDIDATES_PER_BAND,
      clientId,
      since,
      asksPhrases ? print.phraseKeys : [],
      PHRASE_ROWS_PER_LOOKUP,
    ],
  );
  const asked = { sameText: false, bands: false, client: false, phrases: false };
  const phrases = (found.phrase_keys ?? []).map((phrase, i): PhraseFeedback => ({
    phrase: Number(phrase),
    toNegative: Number(found.phrase_negative![i]),
    toPositive: Number(found.phrase_positive![i]),
    squares: Number(found.phrase_squares![i]),
  }));
  const candidates = (found.candidate_ids ?? []).map((id, i) => ({
    id: Number(id),
    signature: signatureOf(found.candidate_signatures![i]),
  }));
  return {
    through: Number(found.through),
    verdictChangesThrough: Number(found.changes_through),
    asked,
    history: {
      firstWithNormalizedHash: (hash) => {
        assertAsked('normalized hash', hash, print.normalizedHash);
        asked.sameText = true;
        return found.same === null ? null : Number(found.same);
      },
      sharingBands: () => {
        asked.bands = true;
        return candidates;
      },
      acceptedFromClientSince: (askedClient, askedSince) => {
        assertAsked('client window', `${askedClient} since ${askedSince}`, `${clientId} since ${since}`);
        asked.client = true;
        return { rows: Number(found.client_rows), corrections: Number(found.client_corrections ?? 0) };
      },
      feedbackWithPhrasesSince: (askedKeys, askedSince) => {
        assertAskedPhrases(asksPhrases, askedKeys, print, askedSince, since);
        asked.phrases = true;
        return phrases;
      },
    },
  };
}

/**
 * The accepted answers of a window holding one phrase: of its newest PHRASE_ROWS_PER_LOOKUP
 * rows (a backward range scan of migration 8's index), those whose row is still accepted; for a
 * LATERAL join over a review's phrases. The phrase's rows are taken first, in a subquery the
 * planner cannot flatten, and each one's verdict is looked up by id: written as a join, the plan
 * started from review_db's accepted rows whenever its statistics said they were few (a log that
 * had just grown), probing the phrase index once per phrase and row (45,000 probes, 180 ms for
 * one correction at 300 rows), or hashed all of them once per phrase (8 ms); now 1-2 ms.
 */
function phraseRowsSql(phrase: string, since: string, limit: string): string {
  return `SELECT p.sentiment, p.push FROM (
            SELECT review_id, sentiment, push FROM phrase_feedback
            WHERE phrase = ${phrase} AND date >= ${since} ORDER BY date DESC LIMIT ${limit}
          ) AS p WHERE (SELECT verdict FROM review_db WHERE id = p.review_id) = 'accepted'`;
}

/** The rule may ask about the row's own phrases, in the window gathered, and only when they were gathered. */
function assertAskedPhrases(
  gathered: boolean,
  askedKeys: readonly number[],
  print: Fingerprint,
  askedSince: string,
  since: string,
): void {
  if (!gathered || askedKeys !== print.phraseKeys) {
    throw new InvalidInputError(
      `the verdict rule asked about ${askedKeys.length} phrases, which the store did not gather ` +
        `(it gathers the row's own phrases, for an answer to a prediction, when the rule's asksPhrases is true)`,
    );
  }
  assertAsked('phrase window since', askedSince, since);
}

function assertAsked(what: string, asked: string, gathered: string): void {
  if (asked !== gathered) {
    throw new InvalidInputError(`the verdict rule asked about the ${what} ${asked}; the store gathered ${gathered}`);
  }
}

function signatureOf(bytes: Buffer): Uint32Array {
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

interface InsertResult {
  id: number | null;
  stale: boolean;
  found: boolean;
  linked: number | null;
}

/**
 * The statement run under the log lock: unless a row after the snapshot could change the
 * decision (`snapshot` null: the decision was made under the lock), insert the row, index its
 * band keys, link the prediction and notify. A prediction gone or already answered inserts nothing.
 */
function insertStatement(
  row: NewLogRow,
  decision: VerdictDecision,
  channel: string,
  snapshot: Snapshot | null,
): [string, unknown[]] {
  const print = row.fingerprint;
  const asked = snapshot?.asked ?? { sameText: false, bands: false, client: false, phrases: false };
  return [
    `WITH prediction AS (
       SELECT feedback_review_id FROM predictions WHERE $1::text IS NOT NULL AND id = $1 FOR UPDATE
     ), stale AS (
       SELECT ($2::boolean AND EXISTS (SELECT 1 FROM review_db WHERE normalized_hash = $5 AND id > $12))
           OR ($3::boolean AND EXISTS (SELECT 1 FROM review_bands WHERE band_key = ANY($14::bigint[]) AND review_id > $12))
           OR ($4::boolean AND (EXISTS (SELECT 1 FROM review_db WHERE client = $8 AND id > $12)
                                OR EXISTS (SELECT 1 FROM verdict_changes WHERE id > $13)))
           -- An accepted answer since that shares a phrase, or any verdict change, may change the sums.
           OR ($20::boolean AND (EXISTS (SELECT 1 FROM phrase_feedback WHERE review_id > $12 AND phrase = ANY($22::bigint[]))
                                 OR EXISTS (SELECT 1 FROM verdict_changes WHERE id > $13))) AS stale
     ), allowed AS (
       SELECT 1 FROM stale
       WHERE NOT stale.stale AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM prediction WHERE feedback_review_id IS NULL))
     ), inserted AS (
       INSERT INTO review_db (review, sentiment, date, prediction_id, source, review_hash, verdict, verdict_reason, client,
                              correction, normalized_hash, signature)
       SELECT $6, $7, $9, $1, $10, encode(sha256(convert_to($6, 'UTF8')), 'hex'), $11, $15, $8, $16, $5, $17
       FROM allowed RETURNING id
     ), banded AS (
       INSERT INTO review_bands (band_key, review_id) SELECT k, inserted.id FROM inserted, unnest($18::bigint[]) AS k
     ), phrased AS (
       INSERT INTO phrase_feedback (phrase, date, review_id, sentiment, push)
       SELECT k.phrase, $9, inserted.id, $7, k.push FROM inserted, unnest($21::bigint[], $23::float8[]) AS k (phrase, push)
     ), linked AS (
       UPDATE predictions SET feedback_review_id = inserted.id FROM inserted WHERE predictions.id = $1
     ), notified AS (
       SELECT pg_notify($19, inserted.id::text) FROM inserted
     )
     SELECT (SELECT id FROM inserted) AS id, (SELECT stale FROM stale) AS stale,
            EXISTS (SELECT 1 FROM prediction) AS found, (SELECT feedback_review_id FROM prediction) AS linked,
            (SELECT COUNT(*) FROM notified) AS notified`,
    [
      row.predictionId,
      asked.sameText,
      asked.bands,
      asked.client,
      print.normalizedHash,
      row.review,
      row.sentiment,
      row.client,
      row.date,
      row.source,
      decision.verdict,
      snapshot?.through ?? 0,
      snapshot?.verdictChangesThrough ?? 0,
      print.bandKeys,
      decision.reason,
      row.correction === null ? null : row.correction ? 1 : 0,
      Buffer.from(print.signature.buffer, print.signature.byteOffset, print.signature.byteLength),
      indexesBands(decision) ? print.bandKeys : [],
      channel,
      asked.phrases,
      countsAgainstPhrases(row, decision) ? print.phraseKeys : [],
      asked.phrases ? print.phraseKeys : [],
      countsAgainstPhrases(row, decision) ? print.phraseKeys.map((phrase) => phrasePush(row, phrase)) : [],
    ],
  ];
}

function outcomeOf(row: NewLogRow, decision: VerdictDecision, result: InsertResult): AppendOutcome | 'stale' {
  if (row.predictionId !== null && !result.found) return { status: 'unknown' };
  if (result.linked !== null) return { status: 'duplicate', id: Number(result.linked) };
  if (result.stale) return 'stale';
  return { status: 'recorded', id: Number(result.id), ...decision };
}
