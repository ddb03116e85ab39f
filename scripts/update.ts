import { storagePaths } from '../src/config.js';
import { updateModelFile } from '../src/learner/index.js';
import { openStore } from '../src/store/index.js';
import { numberOption, parseCliArgs, runCli } from './cli.js';

const USAGE = `usage: npm run update -- [--db PATH] [--model PATH] [--batch 10000] [--check PATH] [--dry-run] [--force]
  Folds the feedback collected in the database into the model file (defaults: DB_PATH, MODEL_PATH).`;

const fixed = (value: number | null): string => (value === null ? 'none' : value.toFixed(4));

runCli(async () => {
  const args = parseCliArgs(
    {
      db: { type: 'string' },
      model: { type: 'string' },
      batch: { type: 'string' },
      check: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const paths = storagePaths();
  const dbPath = args.db ?? paths.dbPath;
  const modelPath = args.model ?? paths.modelPath;
  const batch = numberOption('batch', args.batch, 10_000, (n) => Number.isInteger(n) && n >= 1);
  const store = openStore(dbPath);
  try {
    const result = await updateModelFile({
      store,
      modelPath,
      batch,
      dryRun: args['dry-run'] === true,
      force: args.force === true,
      ...(args.check === undefined ? {} : { checkPath: args.check }),
      onBatch: (p) => process.stderr.write(`progress folded=${p.folded} skipped=${p.skipped} through=${p.through}/${p.last}\n`),
    });
    if (result.refusal !== null) process.stderr.write(`refused: ${result.refusal}\n`);
    else if (args['dry-run'] === true) process.stdout.write(`dry run: ${modelPath} not written\n`);
    else if (result.written) process.stdout.write(`wrote ${modelPath} (previous kept as ${modelPath}.prev)\n`);
    else process.stdout.write(`nothing to fold: ${modelPath} already holds the log through id ${result.watermark}\n`);
    process.stdout.write(
      `folded=${result.folded} skipped=${result.skipped} watermark=${result.watermark} ` +
        `accuracy_before=${fixed(result.accuracyBefore)} accuracy_after=${fixed(result.accuracyAfter)}\n`,
    );
    if (result.refusal !== null) process.exitCode = 1;
  } finally {
    store.close();
  }
});
