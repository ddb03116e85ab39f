import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DatabaseUnavailableError } from '../../src/errors.js';
import { DEFAULT_MODERATION, moderationRule, type ModerationSettings } from '../../src/moderation/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { POSTGRES_OFF, skipWithoutPostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { feedbackReview } from '../helpers/probes.js';
import { listLog } from '../helpers/stores.js';

let postgres: TestPostgres;
const stores: PostgresStore[] = [];
skipWithoutPostgres();
beforeAll(async () => {
  if (POSTGRES_OFF) return;
  postgres = await startTestPostgres();
}, 60_000);
afterAll(async () => {
  for (const store of stores.splice(0)) await store.close();
  await postgres?.destroy();
});

async function openWith(url: string, settings: ModerationSettings): Promise<PostgresStore> {
  const store = await openPostgresStore(url, { verdictRule: moderationRule(settings) });
  stores.push(store);
  return store;
}

async function open(url?: string): Promise<PostgresStore> {
  const store = await openPostgresStore(url ?? (await postgres.createDatabase()), {
    verdictRule: moderationRule({ ...DEFAULT_MODERATION, clientRowsPerDay: 0, clientCorrectionsPerDay: 0 }),
  });
  stores.push(store);
  return store;
}

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
/** Spelled out: the moderation rule reads every number as the same 0. */
const words = (n: number): string => [...String(n)].map((d) => DIGITS[Number(d)]).join(' ');

// What only PostgreSQL has; the LogStore behaviour both stores share is in store.test.ts.
describe('the PostgreSQL store', () => {
  it('pages through a long log without skipping or repeating a row', async () => {
    const url = await postgres.createDatabase();
    const store = await open(url);
    // 2,100 rows in one statement (the rows' verdicts do not matter here, only their ids).
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: url });
    await client.connect();
    await client.query(
      `INSERT INTO review_db (review, sentiment, date, source) SELECT 'row ' || n, 1, '2024-01-01', 'import' FROM generate_series(1, 2100) AS n`,
    );
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
      for (let last = false; !last;) {
        last = !writing; // one more look after the writers are done
        for await (const row of reader.reviewsAfter(seen.at(-1) ?? 0)) seen.push(row.id);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    // Act: six streams of writes, three per instance, interleaving.
    await Promise.all(
      Array.from({ length: 6 }, async (_, stream) => {
        for (let i = stream; i < 300; i += 6) {
          await (stream % 2 === 0 ? a : b).insertReview(
            `Concurrent review ${words(i)} from two instances at once.`,
            1,
            'import',
          );
        }
      }),
    );
    writing = false;
    await poll;

    // Assert: every id, once, in order — a row committed late with a smaller id would be missing.
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('stores any review text exactly as sent, quotes, backslashes and dollar signs included', async () => {
    // The append sends its values as SQL literals (one round trip, several statements).
    const store = await open();
    const texts = [
      `It's "great"'; DROP TABLE review_db; -- said the critic, and he meant it.`,
      String.raw`A backslash \' and \x00ff and E'\n' and $1 $19 $$ quoted $$ in one review.`,
      'Unicode too: café, 東京, 🎬 and a zero-width\u200bspace in a review.',
    ];
    const ids = [];
    for (const text of texts) ids.push(await store.insertReview(text, 1, 'api', { client: "o'brien-client" }));
    const rows = await Promise.all(ids.map(async (id) => store.getReview(id)));
    expect(rows.map((row) => [row?.review, row?.client])).toEqual(texts.map((text) => [text, "o'brien-client"]));
    expect(ids).toEqual([1, 2, 3]);
  });

  describe('decides each verdict on exactly the rows before it while instances write at once', () => {
    // The rule reads a snapshot without the log lock; rows committed after it must send the
    // write back to the rule under the lock, or two copies written at once would both pass.
    const LONG = Array.from({ length: 60 }, (_, i) => `word${String.fromCharCode(97 + (i % 26))}${words(i)}`).join(' ');
    const atOnce = async (rule: ModerationSettings, texts: string[], client: string | null = null) => {
      const url = await postgres.createDatabase();
      const [a, b] = [await openWith(url, rule), await openWith(url, rule)];
      await Promise.all(texts.map(async (text, k) => (k % 2 === 0 ? a : b).insertReview(text, 1, 'api', { client })));
      return (await listLog(a, {}, { limit: 100 })).sort((x, y) => x.id - y.id);
    };

    it('of twelve copies of one text sent together, only the first written is accepted', async () => {
      const rows = await atOnce(
        DEFAULT_MODERATION,
        Array.from({ length: 12 }, (_, k) => `Same review, written ${'  '.repeat(k)}by two instances at once.`),
      );
      expect(rows.map((row) => row.verdict)).toEqual(['accepted', ...Array<string>(11).fill('rejected')]);
    });

    it('of twelve near-duplicates (one word changed each) sent together, only the first written is accepted', async () => {
      const texts = Array.from({ length: 12 }, (_, k) => LONG.replace(/\S+/, `changed${words(k).replace(/ /g, '')}`));
      const rows = await atOnce(DEFAULT_MODERATION, texts);
      expect(rows.map((row) => row.verdict)).toEqual(['accepted', ...Array<string>(11).fill('rejected')]);
    });

    it("of twelve rows of one client sent together, the client's daily limit of 3 accepts exactly the first three", async () => {
      const rows = await atOnce(
        { ...DEFAULT_MODERATION, clientRowsPerDay: 3 },
        Array.from({ length: 12 }, (_, k) => feedbackReview(k)),
        'aaaaaaaaaaaaaaaa',
      );
      expect(rows.map((row) => row.verdict)).toEqual([
        ...Array<string>(3).fill('accepted'),
        ...Array<string>(9).fill('held'),
      ]);
    });

    it('of twenty corrections sharing a phrase, from twenty clients, sent together, the phrase budget of 7 accepts exactly the first seven', async () => {
      // Arrange: each answers a prediction of positive with negative; the wrapping keeps them apart as reviews.
      const url = await postgres.createDatabase();
      const rule = { ...DEFAULT_MODERATION, phraseCorrectionsPerDay: 7 };
      const [a, b] = [await openWith(url, rule), await openWith(url, rule)];
      const ids = Array.from({ length: 20 }, (_, k) => `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`);
      await a.insertPredictions(
        ids.map((id, k) => ({
          id,
          review: `${words(k)} said the ending felt rushed and ${words(k + 20)} agreed`,
          sentiment: 1 as const,
          probability: 1, // each correction pushes 1: seven spend the budget
          modelVersion: 'test',
          createdAt: new Date().toISOString(),
        })),
      );

      // Act
      await Promise.all(
        ids.map(async (id, k) => (k % 2 === 0 ? a : b).recordFeedback(id, 0, 'api', { client: `client-${k}` })),
      );

      // Assert
      const rows = (await listLog(a, {}, { limit: 100 })).sort((x, y) => x.id - y.id);
      expect(rows.map((row) => row.verdict)).toEqual([
        ...Array<string>(7).fill('accepted'),
        ...Array<string>(13).fill('held'),
      ]);
    });
  });

  it('changes many verdicts at once in the order asked, each id once, and the console summaries follow', async () => {
    const store = await open();
    const ids: number[] = [];
    for (let k = 0; k < 5; k++)
      ids.push(await store.insertReview(feedbackReview(k), 1, 'api', { client: 'aaaaaaaaaaaaaaaa' }));
    expect((await listLog(store, { verdict: 'accepted' })).length).toBe(5);
    await store.changeVerdicts([ids[1]], 'held', 'earlier');

    const changed = await store.changeVerdicts([ids[4], ids[1], ids[4], ids[0], 999], 'rejected', 'many');

    expect(changed).toEqual([ids[4], ids[1], ids[0]]);
    expect((await store.verdictChangesAfter(1)).map((c) => c.reviewId)).toEqual([ids[4], ids[1], ids[0]]);
    expect(await store.changeVerdicts([ids[4]], 'rejected', 'again')).toEqual([]);
    expect(await store.console.client('aaaaaaaaaaaaaaaa')).toMatchObject({
      rows: 5,
      accepted: 2,
      held: 0,
      rejected: 3,
    });
  });

  it('keeps model checkpoints once each, and publishes the newest model', async () => {
    const store = await open();
    const bytes = Buffer.from('model file bytes');
    await store.keepCheckpoint(bytes, { checksum: 'c1', feedbackWatermark: 0 });
    await store.keepCheckpoint(bytes, { checksum: 'c1', feedbackWatermark: 0 });
    await store.keepCheckpoint(Buffer.from('newer'), {
      checksum: 'c2',
      feedbackWatermark: 5,
      verdictChangesThrough: 1,
    });
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
    await (admin as unknown as { insertReview: PostgresStore['insertReview'] }).insertReview(
      'Still works after three migrations at once.',
      1,
      'import',
    );
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE movieclassifier_schema SET version = 99');
    await client.end();
    await expect(openPostgresStore(url)).rejects.toThrow(/schema version 99.*newer movieclassifier/);
  });

  it('answers DatabaseUnavailableError, naming the database without its password, when PostgreSQL is not there', async () => {
    await expect(openPostgresStore('postgres://someone:secret@127.0.0.1:1/nothing')).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof DatabaseUnavailableError && !String((error as Error).message).includes('secret'),
    );
  });
});
