import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../../src/config.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { signIn } from '../../../tools/console-bench/sign-in.js';
import { TEST_CSRF_SECRET } from '../../helpers/app.js';
import { usePostgres } from '../../helpers/log-stores.js';
import { feedbackReview } from '../../helpers/probes.js';
import { makeServerFolder } from '../../helpers/server-process.js';
import { PASSWORD } from './helpers.js';

const postgres = usePostgres();
let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A server as `npm start` runs it with DATABASE_URL and ADMIN_PASSWORD, on its own (empty) data folder. */
async function instance(url: string): Promise<{ server: RunningServer; base: string }> {
  const paths = makeServerFolder('console-postgres');
  cleanups.push(paths.remove);
  const env = {
    PORT: '0',
    DATA_DIR: paths.dataDir,
    LOG_LEVEL: 'silent',
    RATE_LIMIT: 'off',
    DATABASE_URL: url,
    ADMIN_PASSWORD: PASSWORD,
    RELOAD_POLL_MS: '100',
  };
  const server = await startServer({ ...loadConfig(env), modelPath: paths.modelPath, csrfSecret: TEST_CSRF_SECRET });
  cleanups.push(() => server.close());
  return { server, base: `http://127.0.0.1:${server.port}` };
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ids = (html: string): number[] =>
  [...html.matchAll(/data-qa="log-row" data-id="(\d+)"/g)].map((m) => Number(m[1]));
const versionOn = (html: string): string => /data-qa="model-version">([^<]+)<\/code>/.exec(html)![1];

describe('the console with DATABASE_URL', { timeout: 60_000 }, () => {
  it('works on every instance: a session from one is good on another, and what one does the other follows', async () => {
    // Arrange: two instances on one database; readers answer through the first.
    const url = await postgres().createDatabase();
    const a = await instance(url);
    const b = await instance(url);
    const answered: number[] = [];
    for (let k = 0; k < 3; k++) {
      const predicted = (await (
        await fetch(`${a.base}/api/v1/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ review: feedbackReview(k) }),
        })
      ).json()) as { predictionId: string };
      const feedback = await fetch(`${a.base}/api/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ predictionId: predicted.predictionId, correct: false }),
      });
      answered.push(((await feedback.json()) as { reviewId: number }).reviewId);
    }
    const cookie = await signIn(b.base, PASSWORD);
    const page = (base: string, path: string) =>
      fetch(`${base}${path}`, { headers: { cookie } }).then((res) => res.text());

    // Act: the operator rejects a row on the second instance.
    const log = await page(b.base, '/admin/feedback');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(log)![1];
    const versionBefore = versionOn(await page(a.base, '/admin'));
    const rejected = await fetch(`${b.base}/admin/feedback/${answered[1]}/reject`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, back: '/admin/feedback' }).toString(),
      redirect: 'manual',
    });

    // Assert: both instances list the log; the first follows the verdict (a rebuilt model).
    expect(rejected.status).toBe(303);
    expect(ids(log)).toEqual([...answered].reverse());
    expect(ids(await page(a.base, '/admin/feedback?verdict=rejected'))).toEqual([answered[1]]);
    const versionAfter = await until(
      'the first instance’s model version',
      async () => versionOn(await page(a.base, '/admin')),
      (v) => v !== versionBefore,
    );
    expect(versionAfter).toBe(versionOn(await page(b.base, '/admin')));
    // Each instance's text indexer has taken the rows into the words index.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    cleanups.push(() => client.end());
    const indexed = await until(
      'the words index',
      async () => Number((await client.query('SELECT through FROM review_words_position')).rows[0].through),
      (n) => n === answered[2],
    );
    expect(indexed).toBe(answered[2]);
    const word = feedbackReview(0)
      .match(/[A-Za-z]+/g)!
      .reduce((x, y) => (y.length > x.length ? y : x));
    expect(ids(await page(a.base, `/admin/feedback?q=${word}`))).toContain(answered[0]);
  });
});
