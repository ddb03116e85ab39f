import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DatabaseUnavailableError } from '../../src/errors.js';
import { DEFAULT_MODERATION, moderationRule } from '../../src/learner/index.js';
import type { NewPrediction } from '../../src/store/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { feedbackReview } from '../helpers/probes.js';

let postgres: TestPostgres;
const stores: PostgresStore[] = [];
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 60_000);
afterAll(async () => {
  for (const store of stores.splice(0)) await store.close();
  await postgres?.destroy();
});

async function open(url?: string): Promise<PostgresStore> {
  const store = await openPostgresStore(url ?? (await postgres.createDatabase()), {
    verdictRule: moderationRule({ ...DEFAULT_MODERATION, clientRowsPerDay: 0, clientCorrectionsPerDay: 0 }),
  });
  stores.push(store);
  return store;
}

let counter = 0;
function prediction(overrides: Partial<NewPrediction> = {}): NewPrediction {
  counter += 1;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    review: `A review of film number ${counter}, with enough words to learn from it properly.`.replace(String(counter), words(counter)),
    sentiment: 1,
    probability: 0.87,
    modelVersion: 'abc123+0.0',
    createdAt: '2024-05-01T12:00:00.000Z',
    ...overrides,
  };
}

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
/** Spelled out: the moderation rule reads every number as the same 0. */
const words = (n: number): string => [...String(n)].map((d) => DIGITS[Number(d)]).join(' ');

describe('the PostgreSQL store', () => {
  it('stores predictions, records feedback once with its verdict, and streams the log in id order', async () => {
    // Arrange
    const store = await open();
    const [first, second] = [prediction(), prediction()];
    await store.insertPredictions([first, second]);

    // Act
    const recorded = await store.recordFeedback(first.id, 0, 'api', { client: 'c0ffee0000000001', date: '2024-05-01T12:01:00.000Z' });
    const again = await store.recordFeedback(first.id, 1, 'api');
    const unknown = await store.recordFeedback('no-such-prediction', 1, 'api');
    const repeat = await store.insertReview(first.review.toUpperCase(), 1, 'import');

    // Assert
    expect(await store.getPrediction(first.id)).toMatchObject({ id: first.id, sentiment: 1, feedbackReviewId: 1 });
    expect(recorded).toEqual({ status: 'recorded', reviewId: 1, sentiment: 0, verdict: 'accepted', reason: null });
    expect(again).toEqual({ status: 'duplicate', reviewId: 1, sentiment: 0, verdict: 'accepted', reason: null });
    expect(unknown).toEqual({ status: 'unknown' });
    const rows = [];
    for await (const row of store.reviewsAfter(0)) rows.push(row);
    expect(rows).toEqual([
      { id: 1, review: first.review, sentiment: 0, date: '2024-05-01T12:01:00.000Z', predictionId: first.id, source: 'api', verdict: 'accepted', verdictReason: null, client: 'c0ffee0000000001' },
      expect.objectContaining({ id: repeat, verdict: 'rejected', verdictReason: 'repeats row 1', client: null }),
    ]);
    expect(await store.countReviews()).toBe(2);
    expect(await store.maxReviewId()).toBe(2);
    await expect(store.insertPredictions([first])).rejects.toThrow(/already stored/);
  });

  it('pages through a long log without skipping or repeating a row', async () => {
    const url = await postgres.createDatabase();
    const store = await open(url);
    // 2,100 rows in one statement (the rows' verdicts do not matter here, only their ids).
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: url });
    await client.connect();
    await client.query(`INSERT INTO review_db (review, sentiment, date, source) SELECT 'row ' || n, 1, '2024-01-01', 'import' FROM generate_series(1, 2100) AS n`);
    await client.end();
    const ids: number[] = [];
    for await (const row of store.reviewsAfter(5, 2050)) ids.push(row.id);
    expect(ids).toEqual(Array.from({ length: 2045 }, (_, i) => i + 6));
  });

  it('gives ids in commit order: a reader that polls for rows after the last it saw never skips one', async () => {
    // Arrange: two stores (two instances) writing at once, and a reader polling as an instance does.
    const url = await postgres.createDatabase();
    const [a, b, reader] = [await open(url), await open(url), await open(url)];
    const seen: number[] = [];
    let writing = true;
    const poll = (async () => {
      for (let last = false; !last; ) {
        last = !writing; // one more look after the writers are done
        for await (const row of reader.reviewsAfter(seen.at(-1) ?? 0)) seen.push(row.id);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    // Act: six streams of writes, three per instance, interleaving.
    await Promise.all(
      Array.from({ length: 6 }, async (_, stream) => {
        for (let i = stream; i < 300; i += 6) {
          await (stream % 2 === 0 ? a : b).insertReview(`Concurrent review ${words(i)} from two instances at once.`, 1, 'import');
        }
      }),
    );
    writing = false;
    await poll;

    // Assert: every id, once, in order — a row committed late with a smaller id would be missing.
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('changes verdicts in order, and lists and filters the log for the operator', async () => {
    const store = await open();
    const ids = [
      await store.insertReview('The first review of them all, quite positive.', 1, 'api', { client: 'aaaaaaaaaaaaaaaa' }),
      await store.insertReview('A second review with 100% of the_words different.', 0, 'api', { client: 'bbbbbbbbbbbbbbbb' }),
      await store.insertReview('A third review, from the first client again.', 0, 'api', { client: 'aaaaaaaaaaaaaaaa' }),
    ];

    const changed = await store.changeVerdicts([ids[0]!, ids[2]!, 999], 'rejected', 'test');

    expect(changed).toEqual([ids[0], ids[2]]);
    expect(await store.verdictChangesAfter(0)).toEqual([
      { id: 1, reviewId: ids[0], verdict: 'rejected' },
      { id: 2, reviewId: ids[2], verdict: 'rejected' },
    ]);
    expect(await store.lastVerdictChangeId()).toBe(2);
    expect(await store.firstRowChangedAfter(1)).toBe(ids[2]);
    expect(await store.reviewIdsOfClient('aaaaaaaaaaaaaaaa')).toEqual([ids[0], ids[2]]);
    expect((await store.listFeedback({ verdict: 'rejected', limit: 10 })).map((r) => r.id)).toEqual([ids[2], ids[0]]);
    expect((await store.listFeedback({ text: '100%', limit: 10 })).map((r) => r.id)).toEqual([ids[1]]);
    expect((await store.listFeedback({ text: 'the_w', limit: 10 })).map((r) => r.id)).toEqual([ids[1]]);
    expect((await store.listFeedback({ sentiment: 0, beforeId: ids[2], limit: 10 })).map((r) => r.id)).toEqual([ids[1]]);
    expect(await store.getReview(ids[1]!)).toMatchObject({ id: ids[1], client: 'bbbbbbbbbbbbbbbb', verdict: 'accepted' });
  });

  it('changes many verdicts at once in the order asked, each id once, and the console summaries follow', async () => {
    const store = await open();
    const ids: number[] = [];
    for (let k = 0; k < 5; k++) ids.push(await store.insertReview(feedbackReview(k), 1, 'api', { client: 'aaaaaaaaaaaaaaaa' }));
    expect((await store.listFeedback({ verdict: 'accepted', limit: 10 })).length).toBe(5);
    await store.changeVerdicts([ids[1]!], 'held', 'earlier');

    const changed = await store.changeVerdicts([ids[4]!, ids[1]!, ids[4]!, ids[0]!, 999], 'rejected', 'many');

    expect(changed).toEqual([ids[4], ids[1], ids[0]]);
    expect((await store.verdictChangesAfter(1)).map((c) => c.reviewId)).toEqual([ids[4], ids[1], ids[0]]);
    expect(await store.changeVerdicts([ids[4]!], 'rejected', 'again')).toEqual([]);
    expect(await store.console.client('aaaaaaaaaaaaaaaa')).toMatchObject({ rows: 5, accepted: 2, held: 0, rejected: 3 });
  });

  it('keeps model checkpoints once each, and publishes the newest model', async () => {
    const store = await open();
    const bytes = Buffer.from('model file bytes');
    await store.keepCheckpoint(bytes, { checksum: 'c1', feedbackWatermark: 0 });
    await store.keepCheckpoint(bytes, { checksum: 'c1', feedbackWatermark: 0 });
    await store.keepCheckpoint(Buffer.from('newer'), { checksum: 'c2', feedbackWatermark: 5, verdictChangesThrough: 1 });
    const notified: string[] = [];
    store.onModelPublished(() => notified.push('published'));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the LISTEN connection

    expect(await store.latestPublishedModel()).toBeNull();
    await store.publishModel('c2');
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect((await store.listCheckpoints()).map((c) => [c.checksum, c.watermark, c.verdictChangesThrough])).toEqual([
      ['c2', 5, 1],
      ['c1', 0, 0],
    ]);
    expect((await store.loadCheckpoint('c1')).toString()).toBe('model file bytes');
    expect(await store.latestPublishedModel()).toEqual({ checksum: 'c2', bytes: Buffer.from('newer') });
    expect(await store.latestPublishedModel('c2')).toBeNull();
    expect(notified).toEqual(['published']);
  });

  it('migrates once when several instances open a new database together, and refuses one from a newer build', async () => {
    const url = await postgres.createDatabase();
    const opened = await Promise.all([open(url), open(url), open(url)]);
    expect(opened).toHaveLength(3);
    const admin = await open(url);
    await (admin as unknown as { insertReview: PostgresStore['insertReview'] }).insertReview('Still works after three migrations at once.', 1, 'import');
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE movieclassifier_schema SET version = 99');
    await client.end();
    await expect(openPostgresStore(url)).rejects.toThrow(/schema version 99.*newer movieclassifier/);
  });

  it('answers DatabaseUnavailableError, naming the database without its password, when PostgreSQL is not there', async () => {
    await expect(openPostgresStore('postgres://someone:secret@127.0.0.1:1/nothing')).rejects.toSatisfy(
      (error: unknown) => error instanceof DatabaseUnavailableError && !String((error as Error).message).includes('secret'),
    );
  });
});
