import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { advance, fromModelFile, openCheckpoints } from '../../src/learner/index.js';
import type { LogReader } from '../../src/learner/log-position.js';
import { makeTestModel, testModelBytes } from '../helpers/model.js';
import type { ReviewRow, Verdict } from '../../src/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TEXTS = [
  'A wonderful, moving film with a brilliant cast and a story I loved.',
  'A dull, tedious mess with wooden acting and a plot that goes nowhere.',
  'Charming and funny from start to finish, the best film this year.',
];

/** A log of three rows as SQLite would answer for it, with `changes` verdict changes after them. */
function logWith(verdicts: Verdict[], changedRows: number[]): LogReader {
  const rows: ReviewRow[] = TEXTS.map((review, i) => ({
    id: i + 1,
    review,
    sentiment: i === 1 ? 0 : 1,
    date: '2026-01-01T00:00:00.000Z',
    predictionId: null,
    source: 'api',
    verdict: verdicts[i],
    verdictReason: null,
    client: null,
  }));
  return {
    *reviewsAfter(afterId, upTo = Number.MAX_SAFE_INTEGER) {
      yield* rows.filter((row) => row.id > afterId && row.id <= upTo);
    },
    lastVerdictChangeId: () => changedRows.length,
    firstRowChangedAfter(afterId) {
      let first: number | null = null;
      for (let k = afterId; k < changedRows.length; k++)
        first = first === null ? changedRows[k] : Math.min(first, changedRows[k]);
      return first;
    },
  };
}

describe('advance', () => {
  it('takes 300,000 verdict changes in one step (a rollback) and rebuilds from the checkpoint', async () => {
    // Arrange: a model that learned rows 1-3, then 300,000 changes, the lowest on row 2.
    const dir = mkdtempSync(join(tmpdir(), 'movieclassifier-advance-'));
    dirs.push(dir);
    const checkpoints = openCheckpoints(dir);
    const base = makeTestModel();
    await checkpoints.keep(testModelBytes(), base.header);
    const learned = (await advance(fromModelFile(base), logWith(['accepted', 'accepted', 'accepted'], []), checkpoints))
      .state;
    const changedRows = Array.from({ length: 300_000 }, (_, k) => 2 + (k % 2));

    // Act
    const after = await advance(learned, logWith(['accepted', 'rejected', 'rejected'], changedRows), checkpoints);

    // Assert: rebuilt from the base, row 1 folded again, rows 2 and 3 left out.
    expect(after.state.rebuiltFrom).toContain(dir);
    expect(after.state.verdictChangesSeen).toBe(300_000);
    expect(after.counts).toEqual({ folded: 1, skipped: 2, through: 3 });
    const onlyRow1 = (
      await advance(fromModelFile(makeTestModel()), logWith(['accepted', 'rejected', 'rejected'], []), checkpoints)
    ).state;
    for (const text of TEXTS) {
      expect(after.state.model.model.predict(text).positiveProbability).toBe(
        onlyRow1.model.model.predict(text).positiveProbability,
      );
    }
  });
});
