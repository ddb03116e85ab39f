import { afterEach, describe, expect, it } from 'vitest';

import { PROBE_TEXTS } from '../helpers/probes.js';
import { useServerLogs } from '../helpers/server-logs.js';
import {
  feedback,
  health,
  makeServerFolder,
  POLL_MS,
  predict,
  sleep,
  startServerProcess,
  stopAllServers,
  waitFor,
  type ServerProcess,
} from '../helpers/server-process.js';
import { listLog, STORE_KINDS } from '../helpers/stores.js';

let cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

const ADMIN_TOKEN = 'admin-token-for-the-moderation-test-0123';
// The defaults a public site runs with (the test helper lifts them for the durability tests).
const MODERATED = {
  ADMIN_TOKEN,
  MODERATION_CLIENT_ROWS_PER_DAY: '30',
  MODERATION_CLIENT_CORRECTIONS_PER_DAY: '5',
};
const TARGET = PROBE_TEXTS[0];

/** Every probe's P(positive), three times over on fresh connections, so both workers answer. */
async function probes(server: ServerProcess): Promise<number[][]> {
  const rounds: number[][] = [];
  for (let round = 0; round < 3; round++) {
    const values: number[] = [];
    for (const text of PROBE_TEXTS) values.push((await predict(server, text, { close: true })).positiveProbability);
    rounds.push(values);
  }
  return rounds;
}

/** The admin API's reply to `path`, its body typed as the caller expects (the test asserts it). */
async function admin<Body>(
  server: ServerProcess,
  path: string,
  method = 'POST',
): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${server.url}/api/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as Body };
}

/** The n-th different review holding the target sentence (slots a, b, a+b mod 7: two share at most one). */
function attackReview(n: number): string {
  const first = [
    'Then the second half arrived.',
    'My sister picked it.',
    'We saw a late showing.',
    'The trailer promised a lot.',
    'It opens with a chase.',
    'Everyone talked about it.',
    'It was free on the plane.',
  ];
  const second = [
    'The villain mumbles.',
    'The jokes land with a thud.',
    'The editing jumps around.',
    'The lead looks bored.',
    'The music drowns the dialogue.',
    'The effects look unfinished.',
    'The ending resolves nothing.',
  ];
  const third = [
    'Avoid it.',
    'Save your money.',
    'Skip this one.',
    'Not worth your time.',
    'I nearly left early.',
    'Dreadful stuff.',
    'Watch something else.',
  ];
  const a = n % 7;
  const b = Math.floor(n / 7) % 7;
  return [TARGET, first[a], second[b], third[(a + b) % 7]].join(' ');
}

describe.each(STORE_KINDS)('on %s', (kind) => {
  const serverLog = useServerLogs(kind);

  describe('moderation across processes (WORKERS=2)', { timeout: 60_000 }, () => {
    it('holds one client’s flood, undoes it on every worker when the client is rejected, and keeps that through kill -9', async () => {
      // Arrange
      const paths = makeServerFolder('moderation');
      cleanups.push(paths.remove);
      const log = await serverLog(paths);
      const server = await startServerProcess(paths, { workers: 2, env: { ...MODERATED, ...log.env } });
      const before = await probes(server);

      // Act 1: one client (127.0.0.1) answers 40 different reviews so that they become negative.
      const verdicts: string[] = [];
      for (let n = 0; n < 40; n++) {
        const prediction = await predict(server, attackReview(n), { close: true });
        const res = await feedback(server, prediction.predictionId, prediction.label !== 'positive');
        expect(res.status).toBe(201);
        verdicts.push((res.body as { verdict: string }).verdict);
      }
      await sleep(2 * POLL_MS + 50);
      const during = await probes(server);
      const listed = await admin<{ rows: Array<{ client: string }> }>(
        server,
        '/feedback?verdict=held&limit=500',
        'GET',
      );
      const client = listed.body.rows[0]?.client;

      // Assert 1: the accepted rows moved the model; the caps held the rest, listed under the client.
      expect(during[0]).not.toEqual(before[0]);
      // Of the 40, one is rejected whatever the timing: attack 35 shares the target sentence and
      // one slot with attack 0, a near-duplicate (similarity 0.75). At most 30 of the rest are
      // accepted, so at least 9 are held. (How many more are held for the corrections cap depends
      // on how soon the worker that predicts has applied the last answer: sooner on PostgreSQL.)
      expect(verdicts.filter((v) => v === 'rejected')).toHaveLength(1);
      expect(verdicts.filter((v) => v === 'accepted').length).toBeLessThanOrEqual(30);
      expect(verdicts.filter((v) => v === 'held').length).toBeGreaterThanOrEqual(9);
      expect(listed.body.rows.length).toBe(verdicts.filter((v) => v === 'held').length);
      expect(new Set(listed.body.rows.map((row: { client: string }) => row.client))).toEqual(new Set([client]));
      expect(client).toMatch(/^[0-9a-f]{16}$/);

      // Act 2: the operator rejects every row of that client.
      const rejected = await admin<{ modelVersion: string; changed: number }>(server, `/clients/${client}/reject`);
      await waitFor(
        'both workers to rebuild without the client',
        async () => {
          const infos = await Promise.all([
            health(server, { close: true }),
            health(server, { close: true }),
            health(server, { close: true }),
          ]);
          return infos.every((info) => info.model.version === rejected.body.modelVersion);
        },
        20 * POLL_MS,
      );
      const afterReject = await probes(server);
      const killed = await server.kill();
      const restarted = await startServerProcess(paths, { workers: 2, env: { ...MODERATED, ...log.env } });
      const afterRestart = await probes(restarted);

      // Assert 2
      expect(rejected.status).toBe(200);
      expect(rejected.body.changed).toBe(40 - verdicts.filter((v) => v === 'rejected').length);
      expect(afterReject).toEqual(before);
      expect(killed.signal).toBe('SIGKILL');
      expect(afterRestart).toEqual(before);
      const store = await log.open();
      expect((await listLog(store, { client }, { limit: 500 })).every((row) => row.verdict === 'rejected')).toBe(true);
    });
  });
});
