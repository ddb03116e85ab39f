import path from 'node:path';

import { UsageError } from '../src/errors.js';

import { benchJsonLine, BENCH_USAGE, Cleanup, parseBenchArgs, runBench, runSoakBench } from '../tools/bench/index.js';
import { runPostgresBench } from '../tools/bench/postgres.js';
import { readBenchReview } from '../tools/bench/run.js';
import { runCli } from './cli.js';

/**
 * `npm run bench -- --postgres [--duration S] [--connections N]`: 1, 2 and 3 instances on one
 * embedded PostgreSQL (see tools/bench/postgres.ts).
 */
async function postgresBench(argv: string[]): Promise<void> {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    const parsed = at === -1 ? fallback : Number(argv[at + 1]);
    if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a whole number >= 1`);
    return parsed;
  };
  const cleanup = new Cleanup();
  const root = path.resolve(import.meta.dirname, '..');
  try {
    const rows = await runPostgresBench({
      root,
      seconds: value('duration', 10),
      connections: value('connections', 16),
      review: readBenchReview(path.join(root, 'test/fixtures/bench-review.txt')),
      cleanup,
      log: (line) => void process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${JSON.stringify({ postgres: rows })}\n`);
  } finally {
    await cleanup.runAll(() => undefined);
  }
}

/**
 * `npm run bench`: starts the compiled server with WORKERS=1 and 2 on 127.0.0.1, loads it with
 * autocannon, prints a line per figure as it goes and, last, one JSON line with every figure.
 */
runCli(
  async () => {
    if (process.argv.includes('--postgres')) return postgresBench(process.argv.slice(2));
    const options = parseBenchArgs(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${BENCH_USAGE}\n`);
      return;
    }
    const cleanup = new Cleanup();
    const say = (line: string): void => void process.stdout.write(`${line}\n`);
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stderr.write(`bench: ${signal}, stopping the servers it started\n`);
      cleanup.abort();
      void cleanup.runAll(say).finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    try {
      const root = path.resolve(import.meta.dirname, '..');
      if (options.soak !== null) {
        say(JSON.stringify(await runSoakBench(options, { root, cleanup, log: say })));
      } else {
        say(benchJsonLine(await runBench(options, { root, cleanup, log: say })));
      }
    } finally {
      await cleanup.runAll(say);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
  { usage: BENCH_USAGE },
);
