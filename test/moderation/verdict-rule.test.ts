import { afterEach, describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../src/errors.js';
import { DEFAULT_MODERATION, moderationRule, type ModerationSettings } from '../../src/moderation/index.js';
import { openStore, type LogStore } from '../../src/store/index.js';
import type { Awaitable, LogHistory } from '../../src/store/types.js';
import { fingerprint } from '../../src/moderation/fingerprint.js';

const opened: LogStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/** A real in-memory store whose rows get their verdicts from the moderation rule with these settings. */
function storeWith(overrides: Partial<ModerationSettings> = {}): LogStore {
  const store = openStore(':memory:', { verdictRule: moderationRule({ ...DEFAULT_MODERATION, ...overrides }) });
  opened.push(store);
  return store;
}

/** Verdict and reason of a stored row. */
async function verdictOf(store: LogStore, id: number) {
  const row = (await store.getReview(id))!;
  return { verdict: row.verdict, reason: row.reason };
}

/** `make(k)` for each key in turn, each finished before the next starts, so ids follow the keys. */
async function inOrder<T>(keys: readonly number[], make: (k: number) => Awaitable<T>): Promise<T[]> {
  const results: T[] = [];
  for (const k of keys) results.push(await make(k));
  return results;
}

const ACCEPTED = { verdict: 'accepted', reason: null };

const CLIENT_A = 'aaaaaaaaaaaaaaaa';
const CLIENT_B = 'bbbbbbbbbbbbbbbb';
const NOW = '2026-03-01T12:00:00.000Z';
const HOUR_MS = 60 * 60 * 1000;
const hoursBefore = (iso: string, hours: number) => new Date(Date.parse(iso) - hours * HOUR_MS).toISOString();

// Distinct wordings that share at most one 3-word shingle, so only the rule under test can decide.
const SUBJECTS = [
  'The soundtrack',
  'Every actor',
  'That ending',
  'Its camera work',
  'The screenplay',
  'This sequel',
  'Our hero',
  'The villain',
];
const PREDICATES = [
  'felt wonderful tonight',
  'was dull throughout',
  'surprised my whole family',
  'seemed lazy and cheap',
  'moved me deeply',
  'dragged far too long',
];
/** A distinct review for number `k` (k < 48), with enough words for every default setting. */
const review = (k: number) =>
  `${SUBJECTS[k % SUBJECTS.length]} ${PREDICATES[Math.floor(k / SUBJECTS.length)]} in this film.`;

const LONG_REVIEW =
  'The film opens on a quiet harbour town where an old fisherman remembers the storm that took his brother, ' +
  'and the director lets every scene breathe with patient long takes, warm light and a score that never tells ' +
  'you what to feel until the final moments on the pier.';

let predictionCounter = 0;
/** Store a prediction of `predicted` and answer it with `given`: a correction when they differ. */
async function answer(
  store: LogStore,
  text: string,
  predicted: 0 | 1,
  given: 0 | 1,
  options: { client?: string | null; date?: string; probability?: number },
) {
  predictionCounter += 1;
  const id = `00000000-0000-4000-8000-${String(predictionCounter).padStart(12, '0')}`;
  await store.insertPrediction({
    id,
    review: text,
    sentiment: predicted,
    probability: options.probability ?? 0.9,
    modelVersion: 'test',
    createdAt: options.date ?? NOW,
  });
  const outcome = await store.recordFeedback(id, given, 'api', options);
  if (outcome.status !== 'recorded') throw new Error(`feedback on ${id} was not recorded: ${outcome.status}`);
  return outcome;
}

describe('moderationRule: minimum words', () => {
  it('rejects a review with fewer words than minWords, saying how many it has', async () => {
    // Arrange
    const store = storeWith({ minWords: 4 });

    // Act
    const id = await store.insertReview('Great film, truly!!!', 1, 'api');

    // Assert
    expect(await verdictOf(store, id)).toEqual({ verdict: 'rejected', reason: '3 words; at least 4 are needed' });
  });

  it('accepts a review with exactly minWords words', async () => {
    const store = storeWith({ minWords: 4 });

    const id = await store.insertReview('Great film, truly wonderful.', 1, 'api');

    expect(await verdictOf(store, id)).toEqual(ACCEPTED);
  });

  it.each([
    ['15 NUL characters', '\u0000'.repeat(15)],
    ['15 zero-width spaces', '\u200b'.repeat(15)],
    ['digits and punctuation', '10/10 !!! 12345 ?? 99'],
  ])('rejects %s: they have no words', async (_case, text) => {
    const store = storeWith();

    const id = await store.insertReview(text, 0, 'api');

    expect(await verdictOf(store, id)).toEqual({ verdict: 'rejected', reason: '0 words; at least 4 are needed' });
  });

  it('does not count digits as words', async () => {
    const store = storeWith({ minWords: 4 });

    const id = await store.insertReview('Loved it 10/10 2024', 1, 'api');

    expect((await verdictOf(store, id)).verdict).toBe('rejected');
  });
});

describe('moderationRule: exact repeats', () => {
  it('rejects the same normalized text as an earlier row, with either label, naming that row', async () => {
    // Arrange
    const store = storeWith();
    const first = await store.insertReview('This movie was great, I really loved it.', 1, 'api');

    // Act
    const sameLabel = await store.insertReview('This movie was great, I really loved it.', 1, 'api');
    const otherLabel = await store.insertReview('THIS movie was greeeat!!!   I really loved it', 0, 'feedback');

    // Assert
    expect(await verdictOf(store, first)).toEqual(ACCEPTED);
    expect(await verdictOf(store, sameLabel)).toEqual({ verdict: 'rejected', reason: `repeats row ${first}` });
    expect(await verdictOf(store, otherLabel)).toEqual({ verdict: 'rejected', reason: `repeats row ${first}` });
  });

  it('rejects every variant of the exclamation-mark attack after the first', async () => {
    const store = storeWith({ clientRowsPerDay: 0, clientCorrectionsPerDay: 0 });
    const ids = await inOrder(
      Array.from({ length: 50 }, (_, i) => i),
      (i) =>
        store.insertReview(`This movie was great, I really loved it. ${'!'.repeat(i)}`, 0, 'api', { client: CLIENT_A }),
    );

    expect(await verdictOf(store, ids[0])).toEqual(ACCEPTED);
    for (const id of ids.slice(1))
      expect(await verdictOf(store, id)).toEqual({ verdict: 'rejected', reason: `repeats row ${ids[0]}` });
  });

  it('names the first row when the text was repeated several times', async () => {
    const store = storeWith();
    const first = await store.insertReview(review(0), 1, 'api');
    await store.insertReview(review(0), 1, 'api');

    const third = await store.insertReview(review(0), 0, 'api');

    expect((await verdictOf(store, third)).reason).toBe(`repeats row ${first}`);
  });

  it('rejects a repeat sent as feedback on a prediction', async () => {
    const store = storeWith();
    const first = await store.insertReview(review(1), 1, 'api');

    const outcome = await answer(store, review(1), 1, 1, { client: CLIENT_A });

    expect(outcome).toMatchObject({ verdict: 'rejected', reason: `repeats row ${first}` });
  });
});

describe('moderationRule: near-duplicates', () => {
  it('rejects a long review with one word changed, naming the earlier row and the similarity', async () => {
    // Arrange
    const store = storeWith();
    const first = await store.insertReview(LONG_REVIEW, 1, 'api');

    // Act
    const id = await store.insertReview(LONG_REVIEW.replace('warm light', 'cold light'), 0, 'api');

    // Assert
    const { verdict, reason } = await verdictOf(store, id);
    expect(verdict).toBe('rejected');
    expect(reason).toMatch(new RegExp(`^near-duplicate of row ${first} \\(similarity (0\\.[7-9]\\d|1\\.00)\\)$`));
  });

  it('accepts the changed review when the similarity threshold is above its similarity', async () => {
    const store = storeWith({ nearDuplicateSimilarity: 1 });
    await store.insertReview(LONG_REVIEW, 1, 'api');

    const id = await store.insertReview(LONG_REVIEW.replace('warm light', 'cold light'), 0, 'api');

    expect(await verdictOf(store, id)).toEqual(ACCEPTED);
  });

  it('accepts reviews that share a few words but are not near-duplicates', async () => {
    const store = storeWith();
    await store.insertReview('The soundtrack was lovely and the ending surprised me completely.', 1, 'api');

    const id = await store.insertReview(
      'The soundtrack was loud, the acting wooden and the ending predictable.',
      0,
      'api',
    );

    expect(await verdictOf(store, id)).toEqual(ACCEPTED);
  });
});

describe('moderationRule: rows per client per day', () => {
  it('holds a client’s rows once it has clientRowsPerDay accepted rows in the last 24 hours', async () => {
    // Arrange
    const store = storeWith({ clientRowsPerDay: 3, clientCorrectionsPerDay: 0 });
    const first = await inOrder([0, 1, 2], (k) =>
      store.insertReview(review(k), 1, 'api', { client: CLIENT_A, date: hoursBefore(NOW, 3 - k) }),
    );

    // Act
    const fourth = await store.insertReview(review(3), 1, 'api', { client: CLIENT_A, date: NOW });
    const fifth = await store.insertReview(review(4), 0, 'api', { client: CLIENT_A, date: NOW });

    // Assert
    for (const id of first) expect(await verdictOf(store, id)).toEqual(ACCEPTED);
    expect(await verdictOf(store, fourth)).toEqual({ verdict: 'held', reason: 'client over its 3 rows a day' });
    expect(await verdictOf(store, fifth)).toEqual({ verdict: 'held', reason: 'client over its 3 rows a day' });
  });

  it('leaves other clients unaffected', async () => {
    const store = storeWith({ clientRowsPerDay: 2, clientCorrectionsPerDay: 0 });
    for (const k of [0, 1, 2]) await store.insertReview(review(k), 1, 'api', { client: CLIENT_A, date: NOW });

    const other = await inOrder([3, 4], (k) =>
      store.insertReview(review(k), 1, 'api', { client: CLIENT_B, date: NOW }),
    );

    for (const id of other) expect(await verdictOf(store, id)).toEqual(ACCEPTED);
  });

  it('does not count rows older than 24 hours', async () => {
    const store = storeWith({ clientRowsPerDay: 2, clientCorrectionsPerDay: 0 });
    await store.insertReview(review(0), 1, 'api', { client: CLIENT_A, date: hoursBefore(NOW, 25) });
    await store.insertReview(review(1), 1, 'api', {
      client: CLIENT_A,
      date: new Date(Date.parse(NOW) - 24 * HOUR_MS - 1).toISOString(),
    });

    const id = await store.insertReview(review(2), 1, 'api', { client: CLIENT_A, date: NOW });

    expect(await verdictOf(store, id)).toEqual(ACCEPTED);
  });

  it('counts a row dated exactly 24 hours before', async () => {
    const store = storeWith({ clientRowsPerDay: 1, clientCorrectionsPerDay: 0 });
    await store.insertReview(review(0), 1, 'api', { client: CLIENT_A, date: hoursBefore(NOW, 24) });

    const id = await store.insertReview(review(1), 1, 'api', { client: CLIENT_A, date: NOW });

    expect((await verdictOf(store, id)).verdict).toBe('held');
  });

  it('counts only accepted rows: rejected repeats and held rows do not use up the budget', async () => {
    const store = storeWith({ clientRowsPerDay: 2, clientCorrectionsPerDay: 0 });
    await store.insertReview(review(0), 1, 'api', { client: CLIENT_A, date: NOW });
    for (let i = 0; i < 5; i++)
      await store.insertReview(`${review(0)}${'!'.repeat(i)}`, 1, 'api', { client: CLIENT_A, date: NOW });

    const second = await store.insertReview(review(1), 1, 'api', { client: CLIENT_A, date: NOW });
    const third = await store.insertReview(review(2), 1, 'api', { client: CLIENT_A, date: NOW });
    const afterOperatorRejects = await (async () => {
      await store.changeVerdicts([second], 'rejected', 'test');
      return store.insertReview(review(3), 1, 'api', { client: CLIENT_A, date: NOW });
    })();

    expect(await verdictOf(store, second)).toEqual({ verdict: 'rejected', reason: 'test' });
    expect((await verdictOf(store, third)).verdict).toBe('held');
    expect(await verdictOf(store, afterOperatorRejects)).toEqual(ACCEPTED);
  });

  it('checks repeats before the budget: a client over its budget repeating a review is rejected, not held', async () => {
    const store = storeWith({ clientRowsPerDay: 1, clientCorrectionsPerDay: 0 });
    const first = await store.insertReview(review(0), 1, 'api', { client: CLIENT_A, date: NOW });

    const repeat = await store.insertReview(review(0), 0, 'api', { client: CLIENT_A, date: NOW });

    expect(await verdictOf(store, repeat)).toEqual({ verdict: 'rejected', reason: `repeats row ${first}` });
  });
});

describe('moderationRule: corrections per client per day', () => {
  it('holds a client’s corrections once it has clientCorrectionsPerDay accepted corrections in 24 hours', async () => {
    // Arrange
    const store = storeWith({ clientRowsPerDay: 0, clientCorrectionsPerDay: 2 });
    const first = await inOrder([0, 1], (k) => answer(store, review(k), 1, 0, { client: CLIENT_A, date: NOW }));

    // Act
    const third = await answer(store, review(2), 1, 0, { client: CLIENT_A, date: NOW });

    // Assert
    for (const outcome of first) expect(outcome).toMatchObject(ACCEPTED);
    expect(third).toMatchObject({ verdict: 'held', reason: 'client over its 2 corrections a day' });
  });

  it('still accepts the same client’s confirmations once its corrections are used up', async () => {
    const store = storeWith({ clientRowsPerDay: 0, clientCorrectionsPerDay: 1 });
    await answer(store, review(0), 1, 0, { client: CLIENT_A, date: NOW });

    const confirmation = await answer(store, review(1), 0, 0, { client: CLIENT_A, date: NOW });
    const correction = await answer(store, review(2), 0, 1, { client: CLIENT_A, date: NOW });

    expect(confirmation).toMatchObject(ACCEPTED);
    expect(correction).toMatchObject({ verdict: 'held', reason: 'client over its 1 corrections a day' });
  });

  it('counts only corrections: confirmations and rows without a prediction do not use up the budget', async () => {
    const store = storeWith({ clientRowsPerDay: 0, clientCorrectionsPerDay: 1 });
    for (const k of [0, 1, 2]) await answer(store, review(k), 1, 1, { client: CLIENT_A, date: NOW });
    for (const k of [3, 4, 5]) await store.insertReview(review(k), 0, 'api', { client: CLIENT_A, date: NOW });

    const correction = await answer(store, review(6), 1, 0, { client: CLIENT_A, date: NOW });

    expect(correction).toMatchObject(ACCEPTED);
  });

  it('leaves other clients’ corrections unaffected and forgets corrections older than 24 hours', async () => {
    const store = storeWith({ clientRowsPerDay: 0, clientCorrectionsPerDay: 1 });
    await answer(store, review(0), 1, 0, { client: CLIENT_A, date: hoursBefore(NOW, 25) });
    await answer(store, review(1), 1, 0, { client: CLIENT_B, date: NOW });

    const fromA = await answer(store, review(2), 1, 0, { client: CLIENT_A, date: NOW });
    const againFromB = await answer(store, review(3), 1, 0, { client: CLIENT_B, date: NOW });

    expect(fromA).toMatchObject(ACCEPTED);
    expect(againFromB).toMatchObject({ verdict: 'held' });
  });
});

describe('moderationRule: disabled caps and rows without a client', () => {
  it('with every daily cap 0, accepts any number of a client’s rows and corrections', async () => {
    const store = storeWith({ clientRowsPerDay: 0, clientCorrectionsPerDay: 0, phraseCorrectionsPerDay: 0 });

    const outcomes = await inOrder(
      Array.from({ length: 40 }, (_, k) => k),
      (k) => answer(store, review(k), 1, 0, { client: CLIENT_A, date: NOW }),
    );

    for (const outcome of outcomes) expect(outcome).toMatchObject(ACCEPTED);
  });

  it("asks the log for the client's count only when a cap could hold the row", async () => {
    // An empty log that records the questions: the count is the one question that costs a pass
    // over the client's rows, and with no cap to apply its answer could change nothing.
    const asked: string[] = [];
    const log: LogHistory = {
      firstWithNormalizedHash: () => null,
      sharingBands: () => [],
      acceptedFromClientSince: (client) => {
        asked.push(client);
        return { rows: 0, corrections: 0 };
      },
      feedbackWithPhrasesSince: () => [],
    };
    const candidate = (correction: boolean) => ({
      review: LONG_REVIEW,
      sentiment: 1,
      client: CLIENT_A,
      correction,
      push: correction ? 0.9 : 0.1,
      date: NOW,
      fingerprint: fingerprint(LONG_REVIEW),
    });
    const rule = (clientRowsPerDay: number, clientCorrectionsPerDay: number) =>
      moderationRule({ ...DEFAULT_MODERATION, clientRowsPerDay, clientCorrectionsPerDay });

    const outcomes = [
      rule(0, 0)(candidate(true), log),
      rule(0, 5)(candidate(false), log),
      rule(0, 5)(candidate(true), log),
      rule(30, 0)(candidate(false), log),
    ];

    expect(outcomes).toEqual([ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED]);
    expect(asked).toEqual([CLIENT_A, CLIENT_A]); // the correction under a corrections cap, and the rows cap
  });

  it('with clientRowsPerDay 0, still applies the corrections cap', async () => {
    const store = storeWith({ clientRowsPerDay: 0, clientCorrectionsPerDay: 1 });
    await answer(store, review(0), 1, 0, { client: CLIENT_A, date: NOW });

    expect(await answer(store, review(1), 1, 0, { client: CLIENT_A, date: NOW })).toMatchObject({ verdict: 'held' });
  });

  it('with clientCorrectionsPerDay 0, still applies the rows cap', async () => {
    const store = storeWith({ clientRowsPerDay: 1, clientCorrectionsPerDay: 0 });
    await answer(store, review(0), 1, 0, { client: CLIENT_A, date: NOW });

    expect(await answer(store, review(1), 1, 0, { client: CLIENT_A, date: NOW })).toMatchObject({
      verdict: 'held',
      reason: 'client over its 1 rows a day',
    });
  });

  it('does not apply the client rules to rows without a client', async () => {
    const store = storeWith({ clientRowsPerDay: 1, clientCorrectionsPerDay: 1 });

    const imported = await inOrder([0, 1, 2], (k) => store.insertReview(review(k), 1, 'import', { date: NOW }));
    const answers = await inOrder([3, 4, 5], (k) => answer(store, review(k), 1, 0, { client: null, date: NOW }));

    for (const id of imported) expect(await verdictOf(store, id)).toEqual(ACCEPTED);
    for (const outcome of answers) expect(outcome).toMatchObject(ACCEPTED);
  });

  it('does not count rows without a client towards a client’s budget', async () => {
    const store = storeWith({ clientRowsPerDay: 1, clientCorrectionsPerDay: 0 });
    for (const k of [0, 1, 2]) await store.insertReview(review(k), 1, 'import', { date: NOW });

    const id = await store.insertReview(review(3), 1, 'api', { client: CLIENT_A, date: NOW });

    expect(await verdictOf(store, id)).toEqual(ACCEPTED);
  });
});

describe('moderationRule: sentiment', () => {
  // The store refuses labels other than 0/1 before the rule runs; only a row carried over from a
  // classic database can have one, so the rule is called directly here, on an empty log.
  const emptyLog: LogHistory = {
    firstWithNormalizedHash: () => null,
    sharingBands: () => [],
    acceptedFromClientSince: () => ({ rows: 0, corrections: 0 }),
    feedbackWithPhrasesSince: () => [],
  };

  it.each([[2], [0.5], ['maybe'], [null]])('rejects a sentiment of %j', (sentiment) => {
    const rule = moderationRule(DEFAULT_MODERATION);
    const candidate = {
      review: LONG_REVIEW,
      sentiment,
      client: null,
      correction: null,
      push: null,
      date: NOW,
      fingerprint: fingerprint(LONG_REVIEW),
    };

    expect(rule(candidate, emptyLog)).toEqual({ verdict: 'rejected', reason: 'sentiment is not 0 or 1' });
  });
});

describe('moderationRule: settings', () => {
  it('accepts the defaults and the edge values 0 and similarity 1', async () => {
    expect(() => moderationRule(DEFAULT_MODERATION)).not.toThrow();
    expect(() =>
      moderationRule({
        minWords: 0,
        nearDuplicateSimilarity: 1,
        clientRowsPerDay: 0,
        clientCorrectionsPerDay: 0,
        phraseCorrectionsPerDay: 0,
      }),
    ).not.toThrow();
  });

  it.each([
    ['minWords', -1],
    ['minWords', 1.5],
    ['minWords', Number.NaN],
    ['clientRowsPerDay', -1],
    ['clientRowsPerDay', Number.POSITIVE_INFINITY],
    ['clientCorrectionsPerDay', 2.5],
    ['clientCorrectionsPerDay', Number.NaN],
    ['nearDuplicateSimilarity', 0],
    ['nearDuplicateSimilarity', -0.5],
    ['nearDuplicateSimilarity', 1.01],
    ['nearDuplicateSimilarity', Number.NaN],
  ])('throws InvalidInputError naming %s for %s', (name, value) => {
    const settings = { ...DEFAULT_MODERATION, [name]: value };

    expect(() => moderationRule(settings)).toThrow(InvalidInputError);
    expect(() => moderationRule(settings)).toThrow(name);
  });
});

describe('moderationRule: push per phrase per day', () => {
  /** A made-up word for number `k`: letters only, so it counts as a word. */
  const word = (k: number) => `${String.fromCharCode(97 + (k % 26))}${String.fromCharCode(97 + Math.floor(k / 26))}ble`;
  /** The k-th of many reviews sharing "the ending felt rushed", wrapped in words of its own: never near-duplicates. */
  const wrappedReview = (k: number) =>
    `${word(k)} ${word(k + 100)} said the ending felt rushed to ${word(k + 200)} ${word(k + 300)}.`;
  const PHRASE = { clientRowsPerDay: 0, clientCorrectionsPerDay: 0, phraseCorrectionsPerDay: 7 };
  /** A correction to `given` of a confident prediction (push 1) on review k from its own client. */
  const correct = (store: LogStore, k: number, given: 0 | 1, date = NOW) =>
    answer(store, wrappedReview(k), given === 1 ? 0 : 1, given, { client: `client-${k}`, date, probability: 1 });
  /** A "Correct" answer to a prediction of `given` with `probability` (push 1 - probability). */
  const confirm = (store: LogStore, k: number, given: 0 | 1, probability: number) =>
    answer(store, wrappedReview(k), given, given, { client: `client-${k}`, date: NOW, probability });

  it('holds an answer, from any client, once a phrase of it has been pushed phraseCorrectionsPerDay more the same way', async () => {
    // Arrange
    const store = storeWith(PHRASE);
    const spent = await inOrder([0, 1, 2, 3, 4, 5, 6], (k) => correct(store, k, 0));

    // Act
    const over = await correct(store, 7, 0);
    const otherWay = await correct(store, 8, 1);
    const confirmation = await confirm(store, 9, 0, 0.9);

    // Assert
    for (const outcome of spent) expect(outcome).toMatchObject(ACCEPTED);
    const held = {
      verdict: 'held',
      reason:
        'phrase "said the ending" already pushed toward negative by 7.00 corrections\' worth more than back in 24 hours (budget 7)',
    };
    expect(over).toMatchObject(held);
    expect(otherWay).toMatchObject(ACCEPTED);
    // Net 6 after the correction the other way: the confirmation (push 0.1) is accepted.
    expect(confirmation).toMatchObject(ACCEPTED);
  });

  it('weighs a "Correct" answer by how unsure its prediction was: 14 unsure ones spend the budget, 50 sure ones do not', async () => {
    // Unsure predictions confirmed push 0.5 each: a group can teach a phrase with them as with corrections.
    const unsure = storeWith(PHRASE);
    const spent = await inOrder(
      Array.from({ length: 14 }, (_, k) => k),
      (k) => confirm(unsure, k, 0, 0.5),
    );
    const over = await confirm(unsure, 14, 0, 0.5);
    // Sure predictions confirmed push 0.02 each: 50 of them are 1 correction's worth.
    const sure = storeWith(PHRASE);
    const confirmed = await inOrder(
      Array.from({ length: 50 }, (_, k) => k),
      (k) => confirm(sure, k, 0, 0.98),
    );

    for (const outcome of [...spent, ...confirmed]) expect(outcome).toMatchObject(ACCEPTED);
    expect(over).toMatchObject({ verdict: 'held', reason: expect.stringMatching(/by 7\.00 corrections' worth/) });
  });

  it('does not hold a phrase honest readers correct both ways: net 7 of 39 is within 2.5·sqrt(39)', async () => {
    const store = storeWith(PHRASE);
    const keys = Array.from({ length: 40 }, (_, k) => k);
    // 16 each way, alternating, then 8 more to negative: the net reaches the budget, the spread allows it.
    const outcomes = await inOrder(keys, (k) => correct(store, k, k < 32 && k % 2 === 1 ? 1 : 0));

    for (const outcome of outcomes) expect(outcome).toMatchObject(ACCEPTED);
  });

  it('frees the budget when an operator rejects a correction, and forgets corrections older than 24 hours', async () => {
    const store = storeWith(PHRASE);
    await inOrder([0, 1], (k) => correct(store, k, 0, hoursBefore(NOW, 30)));
    const spent = await inOrder([2, 3, 4, 5, 6, 7, 8], (k) => correct(store, k, 0));
    expect(await correct(store, 9, 0)).toMatchObject({ verdict: 'held' });

    await store.changeVerdicts([spent[0].reviewId], 'rejected', 'rejected by an operator');

    expect(await correct(store, 10, 0)).toMatchObject(ACCEPTED);
    expect(await correct(store, 11, 0)).toMatchObject({ verdict: 'held' });
  });

  it('with phraseCorrectionsPerDay 0, never asks the log about phrases', () => {
    const rule = moderationRule({ ...DEFAULT_MODERATION, phraseCorrectionsPerDay: 0 });
    const log: LogHistory = {
      firstWithNormalizedHash: () => null,
      sharingBands: () => [],
      acceptedFromClientSince: () => ({ rows: 0, corrections: 0 }),
      feedbackWithPhrasesSince: () => {
        throw new Error('asked about phrases');
      },
    };
    const candidate = {
      review: LONG_REVIEW,
      sentiment: 0,
      client: CLIENT_A,
      correction: true,
      push: 1,
      date: NOW,
      fingerprint: fingerprint(LONG_REVIEW),
    };

    expect(rule(candidate, log)).toEqual(ACCEPTED);
    expect(rule.asksPhrases).toBe(false);
    expect(moderationRule(DEFAULT_MODERATION).asksPhrases).toBe(true);
  });
});
