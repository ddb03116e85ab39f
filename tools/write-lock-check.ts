/**
 * `npx tsx tools/write-lock-check.ts [--lock-s 10] [--model data/model.bin]`: measures what a
 * server does while another process holds its database's write lock (issue 11, item 3). Starts
 * the server from source on a copy of the model in a temporary folder, takes the lock from this
 * process for --lock-s seconds, and meanwhile asks GET / and GET /healthz every 50 ms and sends a
 * prediction and a feedback every second. Prints the slowest and p99 read, what the writes
 * answered and how long they took, and how long after the lock the server took writes again.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import Database from 'better-sqlite3';

import { REPO_ROOT, SERVER_HOST, spawnServer } from './server-process.js';

const { values } = parseArgs({
  options: { 'lock-s': { type: 'string', default: '10' }, model: { type: 'string', default: 'data/model.bin' } },
});
const lockMs = Number(values['lock-s']) * 1000;
const dir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-lock-check-'));
const modelPath = path.join(dir, 'model.bin');
const dbPath = path.join(dir, 'reviews.sqlite');
copyFileSync(path.resolve(REPO_ROOT, values.model), modelPath);

const server = spawnServer({
  entry: 'source',
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    HOST: SERVER_HOST,
    DATA_DIR: dir,
    MODEL_PATH: modelPath,
    DB_PATH: dbPath,
    RATE_LIMIT: 'off',
    LOG_LEVEL: 'info',
    CSRF_SECRET: 'x'.repeat(40),
  },
  // A line per request: to a file, not this process's memory.
  logFile: path.join(dir, 'server.log'),
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

async function timed(url: string, init?: RequestInit): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  const res = await fetch(url, init);
  const body = await res.text();
  return { status: res.status, ms: performance.now() - started, body };
}

const post = (url: string, body: unknown): Promise<{ status: number; ms: number; body: string }> =>
  timed(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

try {
  const [line] = await server.waitForStartUp(1, 60_000);
  const base = line.address;
  const review = 'A wonderful, moving film with a brilliant cast. I loved every minute of it.';
  const ids: string[] = [];
  for (let k = 0; k < Math.ceil(lockMs / 1000) + 1; k++)
    ids.push(
      (JSON.parse((await post(`${base}/api/v1/predict`, { review })).body) as { predictionId: string }).predictionId,
    );

  const holder = new Database(dbPath);
  holder.exec('BEGIN IMMEDIATE');
  const lockedAt = performance.now();
  const reads: number[] = [];
  const writes: string[] = [];
  const writing = (async () => {
    for (let k = 0; performance.now() - lockedAt < lockMs - 2500; k++) {
      const [p, f] = await Promise.all([
        post(`${base}/api/v1/predict`, { review }),
        post(`${base}/api/v1/feedback`, { predictionId: ids[k], correct: true }),
      ]);
      writes.push(`predict ${p.status} ${p.ms.toFixed(0)} ms, feedback ${f.status} ${f.ms.toFixed(0)} ms`);
      await sleep(1000);
    }
  })();
  while (performance.now() - lockedAt < lockMs) {
    for (const page of ['/healthz', '/']) reads.push((await timed(`${base}${page}`)).ms);
    await sleep(50);
  }
  await writing;
  holder.exec('COMMIT');
  holder.close();
  const releasedAt = performance.now();
  let recovered = await post(`${base}/api/v1/predict`, { review });
  while (recovered.status !== 200) recovered = await post(`${base}/api/v1/predict`, { review });
  const health = await timed(`${base}/healthz`);

  process.stdout.write(
    [
      `lock held ${(lockMs / 1000).toFixed(0)} s by another connection`,
      `GET / and GET /healthz during the lock: n=${reads.length} max=${Math.max(...reads).toFixed(1)} ms p99=${percentile(reads, 0.99).toFixed(1)} ms`,
      ...writes.map((w) => `during the lock: ${w}`),
      `after the lock: predict ${recovered.status} after ${(performance.now() - releasedAt).toFixed(0)} ms; /healthz ${health.status}`,
    ].join('\n') + '\n',
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
