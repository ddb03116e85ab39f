// Issue 19's flood: what many rejected repeats cost later feedback, and the form page beside it.
//   npm run moderation:flood -- [REPEATS]   (default 20,000; SQLite in a temporary folder)
// 1. Serves the empty log on 127.0.0.1 (this process; rate limits off, as the finding had them):
//    four clients send predictions and "Incorrect" answers on variants of one review as fast as
//    they come, while GET / is probed every 20 ms. Prints GET /'s median, p99 and max (ms).
// 2. Answers REPEATS predictions of that review "Incorrect" (each a repeat, rejected), then 300
//    of variants of it, from different clients, and prints the variants' answer time (the
//    store's recordFeedback): median, p99, max (ms).
// 3. Serves the log again as in 1: the same figures, after the flood.
// The clients and the prober run in worker threads of their own, so their event loops do not
// count against the server's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

import { pino } from 'pino';

import { loadConfig } from '../../src/config.js';
import { createLearner, openCheckpoints } from '../../src/learner/index.js';
import { decodeModel } from '../../src/model/model-file.js';
import { DEFAULT_MODERATION, moderationRule } from '../../src/moderation/index.js';
import { openStore } from '../../src/store/index.js';
import { startWalCheckpointer } from '../../src/store/jobs/wal-checkpointer.js';
import { createApp } from '../../src/web/app.js';

const SERVE_SECONDS = 10;
const repeats = Number(process.argv[2] ?? 20_000);
const folder = mkdtempSync(join(tmpdir(), 'movieclassifier-flood-'));
const dbPath = join(folder, 'reviews.sqlite');
// As the server opens it: commits do not checkpoint the WAL; a thread does (see src/server.ts).
const store = openStore(dbPath, { verdictRule: moderationRule(DEFAULT_MODERATION), autoCheckpointPages: 16_384 });
const checkpointer = startWalCheckpointer(dbPath);
const review = 'This movie was great, I really loved it. The cast is superb and the story moving from start to end.';
const words = ['apple', 'river', 'stone', 'cloud', 'maple', 'ocean', 'tiger', 'piano', 'lemon', 'candle'];
const client = (k: number) => k.toString(16).padStart(16, '0');
const say = (line: string) => void process.stdout.write(`${line}\n`);

let predictions = 0;
/** Stores a prediction of positive for `text`, then an "Incorrect" answer from `from`; returns the answer's time (ms). */
async function feedback(text: string, from: string): Promise<number> {
  const id = `00000000-0000-4000-8000-${(++predictions).toString(16).padStart(12, '0')}`;
  await store.insertPrediction({
    id,
    review: text,
    sentiment: 1,
    probability: 0.9,
    modelVersion: 'flood',
    createdAt: new Date().toISOString(),
  });
  const started = performance.now();
  await store.recordFeedback(id, 0, 'api', { client: from });
  return performance.now() - started;
}

/** Four clients: predict a variant, answer "Incorrect", again, until the shared flag is set. */
const CLIENTS = `
const { workerData, parentPort } = require('node:worker_threads');
const { base, review, words, done, offset } = workerData;
const flag = new Int32Array(done);
const post = (path, body) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
(async () => {
  let sent = 0;
  const errors = [];
  await Promise.all([0, 1, 2, 3].map(async (c) => {
    for (let k = offset + c; Atomics.load(flag, 0) === 0; k += 4) {
      const variant = words[k % 10] + ' ' + words[(k * 7) % 10] + ' ' + review + ' ' + words[(k * 3) % 10] + ' ' + k;
      const predicted = await (await post('/api/v1/predict', { review: variant })).json();
      const res = await post('/api/v1/feedback', { predictionId: predicted.predictionId, correct: false });
      if (res.status !== 201) errors.push(res.status + ' ' + (await res.text()).slice(0, 200));
      else await res.arrayBuffer();
      sent++;
    }
  }));
  parentPort.postMessage({ sent, errors: errors.slice(0, 3) });
})().catch((error) => parentPort.postMessage({ error: String(error) }));
`;

/** Probes GET / every 20 ms for the given seconds, then sets the shared flag. */
const PROBER = `
const { workerData, parentPort } = require('node:worker_threads');
const { base, seconds, done } = workerData;
(async () => {
  const deadline = Date.now() + seconds * 1000;
  const probes = [];
  while (Date.now() < deadline) {
    const t0 = performance.now();
    const res = await fetch(base + '/');
    await res.arrayBuffer();
    probes.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  Atomics.store(new Int32Array(done), 0, 1);
  parentPort.postMessage({ probes });
})().catch((error) => parentPort.postMessage({ error: String(error) }));
`;

function inWorker<T>(source: string, workerData: object): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(source, { eval: true, workerData });
    worker.once('message', (message: T & { error?: string }) =>
      message.error === undefined ? resolvePromise(message) : reject(new Error(message.error)),
    );
    worker.once('error', reject);
  });
}

function quantiles(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
  return `median_ms=${at(0.5)} p99_ms=${at(0.99)} max_ms=${sorted.at(-1)?.toFixed(2)}`;
}

/** Serves the log and measures GET / while four clients send variant feedback. */
async function served(phase: string, offset: number): Promise<void> {
  const model = decodeModel(
    readFileSync(resolve(import.meta.dirname, '..', '..', 'data', 'model.bin')),
    'data/model.bin',
  );
  const learner = await createLearner({ model, store, checkpoints: openCheckpoints(join(folder, 'checkpoints')) });
  const config = {
    ...loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', RATE_LIMIT: 'off' }),
    csrfSecret: 'f'.repeat(40),
  };
  const server = createApp({ learner, store, config, logger: pino({ level: 'silent' }) }).listen(0, '127.0.0.1');
  await new Promise((done) => server.once('listening', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const done = new SharedArrayBuffer(4);
    const [clients, prober] = await Promise.all([
      inWorker<{ sent: number; errors: string[] }>(CLIENTS, { base, review, words, done, offset }),
      inWorker<{ probes: number[] }>(PROBER, { base, seconds: SERVE_SECONDS, done }),
    ]);
    if (clients.errors.length > 0) throw new Error(`feedback failed: ${clients.errors.join(' | ')}`);
    say(
      `phase=${phase} feedback_per_s=${(clients.sent / SERVE_SECONDS).toFixed(0)} get_home ${quantiles(prober.probes)}`,
    );
  } finally {
    await new Promise((done) => server.close(done));
    await learner.drain();
  }
}

try {
  await served('before_flood', 0);
  for (let k = 0; k < repeats; k++) await feedback(review, client(k));
  const times: number[] = [];
  for (let k = 0; k < 300; k++) {
    const variant = `${words[k % 10]} ${words[(k * 7) % 10]} ${review} ${words[(k * 3) % 10]} ${k}`;
    times.push(await feedback(variant, client(repeats + k)));
  }
  say(`repeats=${repeats} variants=${times.length} ${quantiles(times)}`);
  await served('after_flood', 1_000_000);
} finally {
  await checkpointer.stop();
  await store.close();
  rmSync(folder, { recursive: true, force: true });
}
