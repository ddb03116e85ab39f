// What PREDICTION_MAX_PER_CLIENT costs a request: `npx tsx tools/prediction-bound-bench.ts [--postgres]`.
// Two logs are filled alike (CLIENTS clients with BOUND unanswered predictions each, of the bench
// review's text): one opened with the bound; the other without it and without migration 9's index
// (as before the bound: the baseline). Predictions are then written to each in alternating rounds,
// in batches of 1 (a quiet server: one prediction per transaction) and of 20 (a busy one: the
// batcher's group commit), each row of a batch from another client:
//   reader: every row from a client with no unanswered prediction yet (the bound finds nothing to delete);
//   flood:  every row from a client already at its bound (each one also deletes that client's oldest).
// Prints the median microseconds per prediction with and without the bound, and the difference.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import pg from 'pg';

import { openStore, type LogStore, type NewPrediction } from '../src/store/index.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { startTestPostgres, type TestPostgres } from './embedded-postgres.js';

const CLIENTS = 100;
const BOUND = 500;
const ROUNDS = 5;
const PER_ROUND = 1000;
const review = readFileSync(path.join(import.meta.dirname, '..', 'test/fixtures/bench-review.txt'), 'utf8');
const onPostgres = process.argv.includes('--postgres');

let counter = 0;
let clock = Date.parse('2026-01-01T00:00:00.000Z');
const row = (client: string): NewPrediction => ({
  id: `bench-${++counter}`,
  review,
  sentiment: 1,
  probability: 0.9,
  modelVersion: 'bench+0',
  createdAt: new Date(++clock).toISOString(),
  client,
});
const clientOf = (k: number): string => `client-${k % CLIENTS}`;
let readers = 0;
const newReader = (): string => `reader-${++readers}`;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function fill(store: LogStore): Promise<void> {
  const rows: NewPrediction[] = [];
  for (let n = 0; n < BOUND; n++) for (let k = 0; k < CLIENTS; k++) rows.push(row(clientOf(k)));
  for (let start = 0; start < rows.length; start += 1000)
    await store.insertPredictions(rows.slice(start, start + 1000));
}

type Scenario = 'reader' | 'flood';

/** Microseconds per prediction to write PER_ROUND predictions in batches of `batch`. */
async function round(store: LogStore, batch: number, scenario: Scenario): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < PER_ROUND; done += batch) {
    const client = (k: number): string => (scenario === 'reader' ? newReader() : clientOf(done + k));
    await store.insertPredictions(Array.from({ length: batch }, (_, k) => row(client(k))));
  }
  return ((performance.now() - started) * 1000) / PER_ROUND;
}

let postgres: TestPostgres | undefined;
const dir = mkdtempSync(path.join(tmpdir(), 'prediction-bound-bench-'));
/** A new log; without the bound, also without its index, as before migration 9. */
const open = async (name: string, maxUnansweredPerClient: number): Promise<LogStore> => {
  const dropIndex = 'DROP INDEX predictions_unanswered_client';
  if (!onPostgres) {
    const file = path.join(dir, `${name}.sqlite`);
    await openStore(file).close();
    if (maxUnansweredPerClient === 0) new Database(file).exec(dropIndex).close();
    return openStore(file, { maxUnansweredPerClient });
  }
  postgres ??= await startTestPostgres({ durable: false });
  const url = await postgres.createDatabase();
  await (await openPostgresStore(url)).close();
  if (maxUnansweredPerClient === 0) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(dropIndex);
    await client.end();
  }
  return openPostgresStore(url, { maxUnansweredPerClient, poolSize: 2 });
};
try {
  const bounded = await open('bounded', BOUND);
  const unbounded = await open('unbounded', 0);
  await fill(bounded);
  await fill(unbounded);
  for (const [scenario, batch] of [
    ['reader', 1],
    ['reader', 20],
    ['flood', 1],
    ['flood', 20],
  ] as const) {
    await round(bounded, batch, scenario); // warm-up: JIT, page cache, plans
    await round(unbounded, batch, scenario);
    const withBound: number[] = [];
    const without: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      withBound.push(await round(bounded, batch, scenario));
      without.push(await round(unbounded, batch, scenario));
    }
    const [a, b] = [median(withBound), median(without)];
    process.stdout.write(
      `engine=${onPostgres ? 'PostgreSQL' : 'SQLite'} scenario=${scenario} batch=${batch} clients=${CLIENTS} bound=${BOUND} ` +
        `us_per_prediction_with_bound=${a.toFixed(1)} without=${b.toFixed(1)} added=${(a - b).toFixed(1)} ` +
        `rounds=${ROUNDS}x${PER_ROUND}\n`,
    );
  }
  await bounded.close();
  await unbounded.close();
} finally {
  await postgres?.destroy();
  rmSync(dir, { recursive: true, force: true });
}
