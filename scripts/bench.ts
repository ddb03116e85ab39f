import path from 'node:path';

import { benchJsonLine, BENCH_USAGE, Cleanup, parseBenchArgs, runBench, runSoakBench } from '../tools/bench/index.js';
import { runCli } from './cli.js';

/**
 * `npm run bench`: starts the compiled server with WORKERS=1 and 2 on 127.0.0.1, loads it with
 * autocannon, prints a line per figure as it goes and, last, one JSON line with every figure.
 */
runCli(async () => {
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
});
