import { basename } from 'node:path';

import { describe, expect, it } from 'vitest';

import { createLearner } from '../../../src/learner/index.js';
import { decodeModel } from '../../../src/model/model-file.js';
import { hiddenField } from '../../helpers/app.js';
import { logStores, type StoreKind } from '../../helpers/log-stores.js';
import { HTTP_STORE_KINDS } from '../../helpers/stores.js';
import { makeTestModel } from '../../helpers/model.js';
import { feedbackReview, PROBE_TEXTS } from '../../helpers/probes.js';
import { consoleApp, pageToken, signIn } from './helpers.js';

const kinds = logStores();
/** The engines of the tests about the pages themselves (HTTP_STORE_KINDS): SQLite. */
const pageKinds = kinds.filter((kind) => HTTP_STORE_KINDS.includes(kind.name));

const CLIENT_A = 'aaaaaaaaaaaaaaaa';
const CLIENT_B = 'bbbbbbbbbbbbbbbb';

/** A console on a log written the way the app writes it: predictions, then readers' answers. */
async function withLog(kind: StoreKind) {
  const t = await consoleApp(kind);
  const today = new Date().toISOString().slice(0, 10);
  const rows: { id: number; client: string; correct: boolean }[] = [];
  for (let k = 0; k < 9; k++) {
    const { predictionId } = await t.learner.predict(feedbackReview(k));
    const client = k < 6 ? CLIENT_A : CLIENT_B;
    const correct = k % 3 !== 0;
    const outcome = await t.learner.feedback(predictionId, correct, { source: 'feedback', client });
    if (outcome.status !== 'recorded') throw new Error(outcome.status);
    rows.push({ id: outcome.reviewId, client, correct });
  }
  await t.store.changeVerdicts([rows[2].id], 'held', 'client over its daily limit');
  await t.store.changeVerdicts([rows[4].id], 'rejected', 'near-duplicate of row 1');
  await t.learner.catchUp();
  const agent = await signIn(t.app);
  return { t, agent, rows, today };
}

const ids = (html: string): number[] =>
  [...html.matchAll(/data-qa="log-row" data-id="(\d+)"/g)].map((m) => Number(m[1]));

/** A word of a review that only it has ("number 4" style texts share most words). */
function wordOf(text: string): string {
  const words = text.match(/[A-Za-z]+/g)!;
  return words.reduce((a, b) => (b.length > a.length ? b : a));
}

// The pages (filters read from the query, paging links, rendering, redirects, flashes, CSV
// quoting) do not depend on the engine: SQLite only. What they ask the store runs on both engines
// in store/console-store.test.ts (summaries, feedbackPage's filters and pages, exportChunks,
// clients, the model timeline); a verdict change's rebuild runs on both in
// web/routes/admin-api.test.ts, and on two PostgreSQL instances in postgres-instances.test.ts.
describe.each(pageKinds)('the console on $name', (kind: StoreKind) => {
  describe('GET /admin (overview)', () => {
    it('draws the charts on the server, with the day’s counts in them and the readers’ accuracy beside', async () => {
      const { agent, today } = await withLog(kind);

      const res = await agent.get('/admin').expect(200);

      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect([...res.text.matchAll(/<svg class="chart-svg"[^>]*role="img"/g)]).toHaveLength(6);
      // Nine answers today: three said Incorrect (k = 0, 3, 6), one was rejected (k = 4, Correct).
      expect(res.text).toContain(`${today}: 9 predictions, 9 feedback`);
      expect(res.text).toContain(`${today}: 62.5% correct (5 of 8)`);
      expect(res.text).toContain(`<tr><td>${today}</td><td>5</td><td>3</td><td>62.5%</td></tr>`);
      expect(res.text).toMatch(new RegExp(`${today}: \\d+ accepted, 1 held, 1 rejected`));
      expect(res.text).toMatch(/data-qa="tile-held">[\s\S]*?<a href="\/admin\/feedback\?verdict=held">1<\/a>/);
      expect(res.text).toContain('model trained on');
    });

    it('draws empty charts for an empty log', async () => {
      const t = await consoleApp(kind);
      const agent = await signIn(t.app);

      const res = await agent.get('/admin').expect(200);

      expect([...res.text.matchAll(/<svg class="chart-svg"/g)]).toHaveLength(6);
      expect(res.text).toMatch(/data-qa="tile-feedback">[\s\S]*?>0<\/a>/);
    });
  });

  describe('GET /admin/feedback', () => {
    it('lists the log newest first with excerpt, prediction and probability, answer, client, verdict and buttons', async () => {
      const { agent, rows } = await withLog(kind);

      const res = await agent.get('/admin/feedback').expect(200);

      expect(ids(res.text)).toEqual(rows.map((r) => r.id).reverse());
      const held = res.text.slice(res.text.indexOf(`data-id="${rows[2].id}"`));
      const row = held.slice(0, held.indexOf('</tr>'));
      expect(row).toContain(feedbackReview(2).slice(0, 40));
      expect(row).toMatch(/<td>(positive|negative) <span class="hint">\d+%<\/span><\/td>/);
      expect(row).toContain('<td>Correct</td>');
      expect(row).toContain(`<code>${CLIENT_A}</code>`);
      expect(row).toContain('data-qa="verdict">held</span>');
      expect(row).toContain('client over its daily limit');
      expect(row).toContain(`action="/admin/feedback/${rows[2].id}/accept"`);
      expect(row).toContain(`action="/admin/feedback/${rows[2].id}/reject"`);
    });

    it.each<[string, string, (rows: { id: number; client: string; correct: boolean }[], k: number) => boolean]>([
      ['verdict', 'verdict=held', (_r, k) => k === 2],
      ['client', `client=${CLIENT_B}`, (r, k) => r[k].client === CLIENT_B],
      ['label', 'label=positive', () => true],
      ['day', 'from=TODAY&to=TODAY', () => true],
      ['a day with nothing', 'from=2020-01-01&to=2020-01-02', () => false],
      ['words', 'q=FEEDBACK4', (_r, k) => k === 4],
      ['verdict and client', `verdict=rejected&client=${CLIENT_A}`, (_r, k) => k === 4],
    ])('filters by %s', async (_name, query, keep) => {
      const { t, agent, rows, today } = await withLog(kind);
      const labels: unknown[] = [];
      for (const r of rows) labels.push((await t.store.getReview(r.id))!.sentiment);
      const expectedLabel = (k: number) => labels[k];

      const res = await agent
        .get(`/admin/feedback?${query.replaceAll('TODAY', today).replace('FEEDBACK4', wordOf(feedbackReview(4)))}`)
        .expect(200);

      const wanted = rows
        .map((r, k) => ({ r, k }))
        .filter(({ k }) => keep(rows, k) && (!query.startsWith('label') || expectedLabel(k) === 1))
        .map(({ r }) => r.id)
        .reverse();
      expect(ids(res.text)).toEqual(wanted);
      if (wanted.length === 0) expect(res.text).toContain('No rows match these filters.');
    });

    it.each([
      ['verdict=maybe', 'verdict: choose one of accepted, held, rejected'],
      ['client=12345', 'client: a client id is 16 characters 0-9 and a-f'],
      ['from=yesterday', 'from: write the day as YYYY-MM-DD'],
      ['q=%21%21%21', 'text: give at least one word'],
      ['verdict=held&verdict=accepted', 'verdict: give it once'],
    ])('answers a bad filter (%s) with 400 and says what to write', async (query, message) => {
      const { agent } = await withLog(kind);

      const res = await agent.get(`/admin/feedback?${query}`);

      expect(res.status).toBe(400);
      expect(res.text).toContain(message);
      expect(ids(res.text)).toEqual([]);
    });

    it('pages through the log with Older and Newer links that keep the filters', async () => {
      const { t, agent } = await withLog(kind);
      for (let k = 9; k < 60; k++) await t.store.insertReview(feedbackReview(k), 1, 'api', { client: CLIENT_A });

      const first = await agent.get(`/admin/feedback?client=${CLIENT_A}`).expect(200);
      const olderHref = /href="([^"]+)" data-qa="older"/.exec(first.text)![1].replaceAll('&amp;', '&');
      const second = await agent.get(olderHref).expect(200);
      const newerHref = /href="([^"]+)" data-qa="newer"/.exec(second.text)![1].replaceAll('&amp;', '&');
      const back = await agent.get(newerHref).expect(200);

      expect(ids(first.text)).toHaveLength(50);
      expect(olderHref).toMatch(new RegExp(`^/admin/feedback\\?client=${CLIENT_A}&before=\\d+$`));
      const allOfA = (await t.store.console.feedbackPage({ client: CLIENT_A }, { limit: 1000, excerptChars: 1 })).map(
        (row) => row.id,
      );
      expect(allOfA).toHaveLength(57);
      expect(ids(second.text)).toEqual(allOfA.slice(50));
      expect(second.text).not.toContain('data-qa="older"');
      expect(ids(back.text)).toEqual(ids(first.text));
    });

    it('shows the client’s counts and the way to reject all its rows when filtered by client', async () => {
      const { agent } = await withLog(kind);

      const res = await agent.get(`/admin/feedback?client=${CLIENT_A}`).expect(200);

      expect(res.text).toContain(`Client <code>${CLIENT_A}</code>: 6 rows — 4 accepted, 1 held, 1 rejected`);
      expect(res.text).toContain(`href="/admin/clients/${CLIENT_A}/reject" data-qa="reject-client"`);
    });
  });

  describe('POST /admin/feedback/:id/reject and /accept', () => {
    it('rejects a learned row: the model is rebuilt without it, and the next page says so with the new version', async () => {
      // Arrange
      const { t, agent, rows } = await withLog(kind);
      const before = t.learner.modelInfo().version;
      const probes = PROBE_TEXTS.map((text) => t.learner.positiveProbability(text));
      const _csrf = await pageToken(agent, '/admin/feedback');

      // Act
      const res = await agent
        .post(`/admin/feedback/${rows[1].id}/reject`)
        .type('form')
        .send({ _csrf, back: '/admin/feedback?verdict=accepted' });
      const next = await agent.get(res.headers.location).expect(200);

      // Assert
      const after = t.learner.modelInfo().version;
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/admin/feedback?verdict=accepted');
      expect((await t.store.getReview(rows[1].id))?.verdict).toBe('rejected');
      expect(after).not.toBe(before);
      expect(PROBE_TEXTS.map((text) => t.learner.positiveProbability(text))).not.toEqual(probes);
      expect(next.text).toContain(
        `Row ${rows[1].id}: 1 row now rejected. Model version ${before} → ${after} (rebuilt from ${basename((await t.checkpoints.list())[0].path)})`,
      );
      expect(next.text).toContain(`data-qa="model-version">${after}</code>`);
      expect(ids(next.text)).not.toContain(rows[1].id);
      expect((await t.store.modelEvents.list(5))[0]).toMatchObject({ kind: 'rebuild', modelVersion: after });
      // The message is shown once.
      expect((await agent.get('/admin/feedback').expect(200)).text).not.toContain('data-qa="flash"');
    });

    it('accepts a held row: the model learns it', async () => {
      const { t, agent, rows } = await withLog(kind);
      const before = t.learner.modelInfo().version;
      const _csrf = await pageToken(agent);

      const res = await agent
        .post(`/admin/feedback/${rows[2].id}/accept`)
        .type('form')
        .send({ _csrf, back: '/admin/feedback' });

      expect(res.status).toBe(303);
      expect((await t.store.getReview(rows[2].id))?.verdict).toBe('accepted');
      expect(t.learner.modelInfo().version).not.toBe(before);
    });

    it('says so when there is nothing to change, or no such row, and never redirects off the console', async () => {
      const { t, agent, rows } = await withLog(kind);
      const _csrf = await pageToken(agent);

      const same = await agent
        .post(`/admin/feedback/${rows[4].id}/reject`)
        .type('form')
        .send({ _csrf, back: 'https://evil.example/' });
      const sameNext = await agent.get(same.headers.location);
      const missing = await agent.post('/admin/feedback/99999/reject').type('form').send({ _csrf });
      const missingNext = await agent.get(missing.headers.location);

      expect(same.headers.location).toBe('/admin/feedback');
      expect(sameNext.text).toContain(
        `Row ${rows[4].id}: nothing to change (already rejected). The model is still version ${t.learner.modelInfo().version}.`,
      );
      expect(missingNext.text).toContain('There is no log row 99999; nothing was changed.');
    });
  });

  describe('an action the learner cannot carry out', () => {
    it('refuses with a 409 page that says which checkpoint is missing; the verdict is not recorded', async () => {
      // Arrange: a learner with no checkpoint to rebuild from, as after deleting them all.
      const t = await consoleApp(kind, { learner: (store) => createLearner({ model: makeTestModel(), store }) });
      const { learner } = t;
      const { predictionId } = await learner.predict(feedbackReview(1));
      const outcome = await learner.feedback(predictionId, true, { source: 'feedback', client: CLIENT_A });
      const id = outcome.status === 'recorded' ? outcome.reviewId : 0;
      const before = learner.modelInfo().version;
      const agent = await signIn(t.app);

      // Act
      const res = await agent
        .post(`/admin/feedback/${id}/reject`)
        .type('form')
        .send({ _csrf: await pageToken(agent), back: '/admin/feedback' });

      // Assert
      expect(res.status).toBe(409);
      expect(res.text).toMatch(
        /Refused, nothing was changed: the verdict of log row \d+ changes after the model learned it, and no readable checkpoint/,
      );
      expect((await t.store.getReview(id))?.verdict).toBe('accepted');
      expect(learner.modelInfo().version).toBe(before);
    });
  });

  describe('rejecting every row of a client', () => {
    it('asks first, then rejects them all, rebuilds the model, and shows the client’s rows', async () => {
      // Arrange
      const { t, agent, rows } = await withLog(kind);
      const before = t.learner.modelInfo().version;
      const verdicts = async () => Promise.all(rows.map(async (r) => (await t.store.getReview(r.id))!.verdict));
      const verdictsBefore = await verdicts();

      // Act
      const confirm = await agent.get(`/admin/clients/${CLIENT_A}/reject`).expect(200);
      const res = await agent
        .post(`/admin/clients/${CLIENT_A}/reject`)
        .type('form')
        .send({ _csrf: hiddenField(confirm.text, '_csrf') });
      const next = await agent.get(res.headers.location).expect(200);

      // Assert
      expect(confirm.text).toContain(`This client sent 6 rows: 4 accepted, 1 held, 1 already rejected.`);
      expect(confirm.text).toContain('Reject all 6 rows');
      expect(res.headers.location).toBe(`/admin/feedback?client=${CLIENT_A}`);
      expect(await verdicts()).toEqual(rows.map((r, k) => (r.client === CLIENT_A ? 'rejected' : verdictsBefore[k])));
      expect(verdictsBefore.filter((_v, k) => rows[k].client === CLIENT_B)).toContain('accepted');
      expect(next.text).toContain(
        `Client ${CLIENT_A}: 5 rows now rejected. Model version ${before} → ${t.learner.modelInfo().version}`,
      );
    });

    it('answers 404 for a client with no rows', async () => {
      const { agent } = await withLog(kind);

      const res = await agent.get('/admin/clients/cccccccccccccccc/reject');

      expect(res.status).toBe(404);
      expect(res.text).toContain('Client cccccccccccccccc has no rows in the log.');
    });
  });

  describe('GET /admin/clients', () => {
    it('ranks clients by rows, or by held or rejected rows, with links to their rows', async () => {
      const { agent } = await withLog(kind);

      const byRows = await agent.get('/admin/clients').expect(200);
      const byHeld = await agent.get('/admin/clients?order=held').expect(200);

      const order = (html: string) =>
        [...html.matchAll(/data-qa="client-row">\s*<td><a href="\/admin\/feedback\?client=([0-9a-f]{16})"/g)].map(
          (m) => m[1],
        );
      expect(order(byRows.text)).toEqual([CLIENT_A, CLIENT_B]);
      expect(byRows.text).toMatch(
        /<td>6<\/td>\s*<td>4<\/td>\s*<td><a href="\/admin\/feedback\?client=a{16}&amp;verdict=held">1<\/a><\/td>\s*<td>1<\/td>/,
      );
      expect(order(byHeld.text)).toEqual([CLIENT_A]);
    });
  });

  describe('GET /admin/model and rolling back', () => {
    it('shows the version, the check-set accuracy, the checkpoints and the timeline', async () => {
      const { t, agent } = await withLog(kind);

      const res = await agent.get('/admin/model').expect(200);

      const info = t.learner.modelInfo();
      expect(res.text).toContain(`<code>${info.version}</code>`);
      expect(res.text).toMatch(/data-qa="check-score">\d+(\.\d+)?% of 40 reviews right, now/);
      expect(res.text).toContain(basename((await t.checkpoints.list())[0].path));
      expect(res.text).toMatch(/<td>trained<\/td>/);
    });

    it('answers 404 for a checkpoint that is not kept', async () => {
      const { agent } = await withLog(kind);

      const res = await agent.get('/admin/model/rollback?checkpoint=../../etc/passwd');

      expect(res.status).toBe(404);
      expect(res.text).toContain('There is no checkpoint &quot;../../etc/passwd&quot;');
    });
  });

  describe('GET /admin/export.csv', () => {
    it('streams the log as CSV (review,sentiment,date,verdict,client), quoting what needs it', async () => {
      const { t, agent, rows } = await withLog(kind);
      await t.store.insertReview('He said "wow", then left,\nstill thinking about this film for days', 0, 'api', {
        client: CLIENT_B,
      });

      const res = await agent
        .get('/admin/export.csv')
        .buffer(true)
        .parse((response, done) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () => done(null, text));
        });

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(
        /^attachment; filename="movieclassifier-feedback-\d{4}-\d{2}-\d{2}\.csv"$/,
      );
      const text = res.body as string;
      const lines = text.split('\r\n');
      expect(lines[0]).toBe('review,sentiment,date,verdict,client');
      expect(lines).toHaveLength(rows.length + 1 + 1 + 1); // header, rows, the tricky one (no line break counted: it is quoted), final empty
      const first = (await t.store.getReview(rows[0].id))!;
      // The row was written through the app, so its sentiment is a 0/1 number (only classic rows hold other values).
      expect(lines[1]).toBe(`${first.review},${first.sentiment as number},${first.date},accepted,${CLIENT_A}`);
      expect(text).toContain(`"He said ""wow"", then left,\nstill thinking about this film for days",0,`);
      expect(lines.filter((line) => line.includes(',held,'))).toHaveLength(1);
    });

    it('exports only the rows the filters keep', async () => {
      const { agent } = await withLog(kind);

      const res = await agent.get(`/admin/export.csv?verdict=held&client=${CLIENT_A}`).expect(200);

      expect(res.text.split('\r\n').filter((line) => line !== '')).toHaveLength(2);
      expect(res.text).toContain(`,held,${CLIENT_A}\r\n`);
    });

    it('answers a bad filter with 400', async () => {
      const { agent } = await withLog(kind);

      const res = await agent.get('/admin/export.csv?label=meh');

      expect(res.status).toBe(400);
      expect(res.text).toContain('label: choose positive or negative');
    });

    it('keeps the socket’s pace: 3,000 rows (1.8 MB) arrive whole through a slow reader', async () => {
      // Arrange: a log many times a socket's buffer, read by a client that pauses after each chunk.
      // Written as another tool would, in a few statements: the export is what is tested here.
      const t = await consoleApp(kind);
      const long = ' and it went on'.repeat(36);
      for (let start = 0; start < 3_000; start += 500) {
        const batch = Array.from({ length: 500 }, (_, i) => [
          `${feedbackReview((start + i) % 50)}${long} ${start + i}`,
          (start + i) % 2,
        ]);
        await t.sql(
          `INSERT INTO review_db (review, sentiment, date, source) VALUES ${batch.map(() => "(?, ?, '2026-04-01T10:00:00.000Z', 'api')").join(', ')}`,
          batch.flat(),
        );
      }
      const agent = await signIn(t.app);

      // Act
      const res = await agent
        .get('/admin/export.csv')
        .buffer(true)
        .parse((response, done) => {
          // superagent hands the Node response (an IncomingMessage) to a parser.
          const stream = response as unknown as NodeJS.ReadableStream;
          let lines = 0;
          stream.on('data', (chunk: Buffer) => {
            for (const byte of chunk) if (byte === 10) lines++;
            stream.pause();
            setTimeout(() => stream.resume(), 1);
          });
          response.on('end', () => done(null, lines));
        });

      // Assert
      expect(res.status).toBe(200);
      expect(res.body).toBe(3_001);
    });
  });
});

// Rolling back on PostgreSQL also publishes the checkpoint, the model every instance starts
// from: both engines.
describe.each(kinds)('the console on $name', (kind: StoreKind) => {
  describe('GET /admin/model and rolling back', () => {
    it('rolls back to a checkpoint: asks first, then rejects every accepted row after it and serves the checkpoint’s model', async () => {
      // Arrange
      const { t, agent, rows } = await withLog(kind);
      const base = basename((await t.checkpoints.list())[0].path);
      const fresh = await consoleApp(kind);
      const trained = PROBE_TEXTS.map((text) => fresh.learner.positiveProbability(text));

      // Act
      const confirm = await agent.get(`/admin/model/rollback?checkpoint=${encodeURIComponent(base)}`).expect(200);
      const res = await agent
        .post('/admin/model/rollback')
        .type('form')
        .send({ _csrf: hiddenField(confirm.text, '_csrf'), checkpoint: base });
      const next = await agent.get(res.headers.location).expect(200);

      // Assert
      expect(confirm.text).toContain('Rolling back rejects the 7 accepted rows after it');
      expect(res.headers.location).toBe('/admin/model');
      const after = await Promise.all(rows.map(async (r) => (await t.store.getReview(r.id))!.verdict));
      expect(after).not.toContain('accepted');
      expect((await t.store.getReview(rows[2].id))?.verdict).toBe('held');
      expect(PROBE_TEXTS.map((text) => t.learner.positiveProbability(text))).toEqual(trained);
      expect(next.text).toContain(`Rollback to ${base}: 7 rows now rejected.`);
      // With PostgreSQL the checkpoint is also published (below); a file's model stays where it is.
      expect(next.text.includes(`${base} is now the published model`)).toBe(kind.name === 'PostgreSQL');
    });

    it.runIf(kind.name === 'PostgreSQL')(
      'publishes the checkpoint rolled back to: an instance that starts afterwards serves the same model',
      async () => {
        // Arrange
        const { t, agent } = await withLog(kind);
        const checkpoint = (await t.checkpoints.list())[0];
        const base = basename(checkpoint.path);
        const _csrf = await pageToken(agent, '/admin/model');

        // Act
        await agent.post('/admin/model/rollback').type('form').send({ _csrf, checkpoint: base }).expect(303);

        // Assert: a new instance starts from the newest published model, then replays the log.
        const published = await kind.postgres(t.store)!.latestPublishedModel();
        expect(`postgres:${published?.checksum}`).toBe(checkpoint.path);
        const started = await createLearner({
          model: decodeModel(published!.bytes, 'published'),
          store: t.store,
          checkpoints: t.checkpoints,
        });
        expect(PROBE_TEXTS.map((text) => started.positiveProbability(text))).toEqual(
          PROBE_TEXTS.map((text) => t.learner.positiveProbability(text)),
        );
        expect(started.modelInfo().appliedThrough).toBe(t.learner.modelInfo().appliedThrough);
      },
    );
  });
});
