import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

import { pino } from 'pino';

import { loadConfig } from '../../src/config.js';
import { createLearner, modelJournal } from '../../src/learner/index.js';
import { decodeModel, encodeModel } from '../../src/model/model-file.js';
import { createApp } from '../../src/web/app.js';
import { generateLog } from './generate.js';
import { postgresBenchLog, sqliteBenchLog } from './logs.js';
import { wholeOption } from './options.js';
import { signIn } from './sign-in.js';

const USAGE = `npm run console:attack -- [--rows 100000] [--exports 5] [--seconds 60] [--postgres]

Issue 19, findings 5 and 6 (the console under load): fills a temporary log with --rows rows, serves
it on 127.0.0.1 in this process, then from worker threads (their own event loops, so the clients'
reading does not count against the server) (1) streams --exports CSV exports at once, read as
fast as they come, while probing GET /healthz every 20 ms, and (2) times log searches by word
starts (ten one-letter ones; three common three-letter ones). Prints key=value lines. Every phase stops after --seconds.`;

const PASSWORD = 'console attack bench password';
const PACKAGE_DIR = path.resolve(import.meta.dirname, '..', '..');
const say = (line: string) => void process.stdout.write(`${line}\n`);

/** Runs in a worker: `exports` exports drained as fast as they come; sets the shared flag when all are done. */
const READERS = `
const { workerData, parentPort } = require('node:worker_threads');
const { base, cookie, exports, seconds, done } = workerData;
(async () => {
  const bytes = await Promise.all(Array.from({ length: exports }, async () => {
    const res = await fetch(base + '/admin/export.csv', { headers: { cookie }, signal: AbortSignal.timeout(seconds * 1000) });
    let read = 0;
    for await (const chunk of res.body) read += chunk.byteLength;
    return read;
  }));
  Atomics.store(new Int32Array(done), 0, 1);
  parentPort.postMessage({ bytes });
})().catch((error) => {
  Atomics.store(new Int32Array(done), 0, 1);
  parentPort.postMessage({ error: String(error) });
});
`;

/**
 * Runs in a worker of its own: probes /healthz every 20 ms until the readers are done. Not in the
 * readers' worker: draining 600 MB keeps that event loop busy, and its delays were counted as the
 * server's (a 196 ms probe while the server's own loop never waited more than 23 ms).
 */
const PROBER = `
const { workerData, parentPort } = require('node:worker_threads');
const { base, seconds, done } = workerData;
(async () => {
  const deadline = Date.now() + seconds * 1000;
  const flag = new Int32Array(done);
  const probes = [];
  while (Atomics.load(flag, 0) === 0 && Date.now() < deadline) {
    const t0 = performance.now();
    const res = await fetch(base + '/healthz');
    await res.arrayBuffer();
    probes.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  parentPort.postMessage({ probes });
})().catch((error) => parentPort.postMessage({ error: String(error) }));
`;

function options() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100000' },
      exports: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '60' },
      postgres: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const whole = (name: string, value: string, min: number) => wholeOption(name, value, min, USAGE);
  return {
    help: values.help,
    rows: whole('rows', values.rows, 100),
    exports: whole('exports', values.exports, 1),
    seconds: whole('seconds', values.seconds, 1),
    postgres: values.postgres,
  };
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const opts = options();
  if (opts.help) return say(USAGE);
  const dir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-console-attack-'));
  const log = opts.postgres ? await postgresBenchLog() : sqliteBenchLog(dir);
  try {
    const end = new Date(Date.now() - 5 * 60_000);
    await log.load(
      generateLog({ rows: opts.rows, days: 30, end, seed: 1, clients: Math.max(100, Math.round(opts.rows / 20)) }),
    );
    await log.indexAll();
    const { store, checkpoints } = log;
    const shipped = decodeModel(readFileSync(path.join(PACKAGE_DIR, 'data', 'model.bin')), 'data/model.bin');
    const last = (await store.console.feedbackPage({}, { limit: 1, excerptChars: 1 }))[0].id;
    const bytes = encodeModel({
      model: shipped.model,
      training: shipped.header.training,
      feedbackWatermark: last,
      checkSet: shipped.checkSet,
      checkSetSource: shipped.header.checkSetSource,
    });
    const model = decodeModel(bytes, 'bench model');
    await checkpoints.keep(bytes, model.header);
    const learner = await createLearner({ model, store, checkpoints });
    const journal = modelJournal({ learner, events: store.modelEvents, changes: store.console });
    const config = {
      ...loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', RATE_LIMIT: 'off' }),
      csrfSecret: 'b'.repeat(40),
      adminPassword: PASSWORD,
    };
    const app = createApp({ learner, store, config, logger: pino({ level: 'silent' }), checkpoints, journal });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cookie = await signIn(base, PASSWORD);
      say(`store=${opts.postgres ? 'postgresql' : 'sqlite'} rows=${opts.rows}`);

      // 0. /healthz with nothing else running: what this machine gives at best.
      const idle: number[] = [];
      for (let k = 0; k < 50; k++) {
        const t0 = performance.now();
        await (await fetch(`${base}/healthz`)).arrayBuffer();
        idle.push(performance.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      idle.sort((a, b) => a - b);
      say(
        `idle healthz_median_ms=${quantile(idle, 0.5).toFixed(1)} healthz_p99_ms=${quantile(idle, 0.99).toFixed(1)} healthz_max_ms=${idle.at(-1).toFixed(1)}`,
      );

      // 1. Exports and /healthz: the readers in one worker thread, the prober in another.
      const started = performance.now();
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const done = new SharedArrayBuffer(4);
      const inWorker = <T>(source: string, data: object) =>
        new Promise<T & { error?: string }>((resolve, reject) => {
          const worker = new Worker(source, { eval: true, workerData: { ...data, done } });
          worker.once('message', resolve);
          worker.once('error', reject);
        });
      const [readers, prober] = await Promise.all([
        inWorker<{ bytes: number[] }>(READERS, { base, cookie, exports: opts.exports, seconds: opts.seconds }),
        inWorker<{ probes: number[] }>(PROBER, { base, seconds: opts.seconds }),
      ]);
      delay.disable();
      for (const { error } of [readers, prober]) if (error !== undefined) throw new Error(error);
      const result = { probes: prober.probes, bytes: readers.bytes };
      const probes = [...result.probes].sort((a, b) => a - b);
      say(
        `exports=${opts.exports} seconds=${((performance.now() - started) / 1000).toFixed(1)} mb_each=${(result.bytes[0] / 1e6).toFixed(1)} ` +
          `healthz_probes=${probes.length} healthz_median_ms=${quantile(probes, 0.5).toFixed(1)} healthz_p99_ms=${quantile(probes, 0.99).toFixed(1)} ` +
          `healthz_max_ms=${(probes.at(-1) ?? NaN).toFixed(1)} server_loop_delay_p99_ms=${(delay.percentile(99) / 1e6).toFixed(1)} ` +
          `server_loop_delay_max_ms=${(delay.max / 1e6).toFixed(1)}`,
      );

      // 2. Searches by word starts: ten one-letter ones, as the finding sent them, and the most a
      //    search takes (three starts of three letters, common ones).
      for (const [name, q] of [
        ['ten_one_letter', 't* s* a* b* c* d* e* f* g* h*'],
        ['three_common', 'the* fil* bor*'],
      ] as const) {
        const times: number[] = [];
        let status = 0;
        let note = '';
        for (let run = 0; run < 6; run++) {
          const t0 = performance.now();
          const res = await fetch(`${base}/admin/feedback?q=${encodeURIComponent(q)}`, {
            headers: { cookie },
            signal: AbortSignal.timeout(opts.seconds * 1000),
          });
          const text = await res.text();
          if (run > 0) times.push(performance.now() - t0);
          status = res.status;
          note = /data-qa="filter-error"[^>]*>([^<]*)</.exec(text)?.[1]?.trim() ?? '';
        }
        times.sort((a, b) => a - b);
        say(
          `search=${name} status=${status} median_ms=${quantile(times, 0.5).toFixed(1)} max_ms=${times.at(-1).toFixed(1)} note=${JSON.stringify(note)}`,
        );
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`console-attack: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
