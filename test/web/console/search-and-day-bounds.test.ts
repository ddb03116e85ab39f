import { describe, expect, it } from 'vitest';

import { logStores, type StoreKind } from '../../helpers/log-stores.js';
import { feedbackReview } from '../../helpers/probes.js';
import { HTTP_STORE_KINDS } from '../../helpers/stores.js';
import { consoleApp, signIn } from './helpers.js';

// How the page turns a day or a search into the store's filter, and what it says about it, does
// not depend on the engine: SQLite only, with no PostgreSQL started. The filters it hands the store
// (up to 9999-12-31, three word starts) run on both engines in store/console-store.test.ts.
const kinds = logStores(HTTP_STORE_KINDS);

const ids = (html: string): number[] =>
  [...html.matchAll(/data-qa="log-row" data-id="(\d+)"/g)].map((m) => Number(m[1]));
const note = (html: string): string | undefined =>
  /data-qa="filter-error">([^<]*)</.exec(html)?.[1]?.replaceAll('&#39;', "'");

/** A console on a log of four readers' answers (every text holds "film" and "take"). */
async function withLog(kind: StoreKind) {
  const t = await consoleApp(kind);
  const rows: number[] = [];
  for (let k = 0; k < 4; k++) {
    const { predictionId } = await t.learner.predict(feedbackReview(k));
    const outcome = await t.learner.feedback(predictionId, true, { source: 'feedback', client: null });
    if (outcome.status !== 'recorded') throw new Error(outcome.status);
    rows.push(outcome.reviewId);
  }
  return { t, agent: await signIn(t.app), rows: rows.reverse() };
}

describe.each(kinds)('the console on $name', (kind: StoreKind) => {
  describe('the log page’s day filter', () => {
    it.each(['9999-12-31', '9999-12-30'])(
      'shows today’s rows with to=%s (the day after 9999-12-31 is past year 9999)',
      async (to) => {
        const { agent, rows } = await withLog(kind);

        const res = await agent.get(`/admin/feedback?to=${to}`).expect(200);

        expect(ids(res.text)).toEqual(rows);
      },
    );
  });

  describe('the log page’s search', () => {
    it('ignores one-letter word starts and says so, searching with the rest', async () => {
      const { agent, rows } = await withLog(kind);

      const res = await agent.get(`/admin/feedback?q=${encodeURIComponent('t* s* a* fil*')}`).expect(200);

      expect(ids(res.text)).toEqual(rows);
      expect(note(res.text)).toBe(
        "text: ignored t* s* a* (a word's start needs at least 3 letters, and a search takes at most 3 of them)",
      );
    });

    it('takes at most three word starts', async () => {
      const { agent, rows } = await withLog(kind);

      const res = await agent.get(`/admin/feedback?q=${encodeURIComponent('fil* tak* thi* zzz*')}`).expect(200);

      // zzz* starts no word: had it been used, nothing would match.
      expect(ids(res.text)).toEqual(rows);
      expect(note(res.text)).toContain('text: ignored zzz*');
    });

    it('answers 400 when only ignored word starts are left, naming them', async () => {
      const { agent } = await withLog(kind);

      const res = await agent.get(`/admin/feedback?q=${encodeURIComponent('t* s* a* b* c* d* e* f* g* h*')}`);

      expect(res.status).toBe(400);
      expect(note(res.text)).toMatch(
        /^text: give at least one word .*; text: ignored t\* s\* a\* b\* c\* d\* e\* f\* g\* h\*/,
      );
      expect(ids(res.text)).toEqual([]);
    });
  });
});
