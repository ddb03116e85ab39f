import { updateModelFile } from '../src/learner/index.js';
import { readModelFile } from '../src/model/model-file.js';
import { openStore } from '../src/store/index.js';
import { parseUpdateArgs, UPDATE_USAGE } from './args.js';
import { runCli } from './cli.js';

const fixed = (value: number | null): string => (value === null ? 'none' : value.toFixed(4));

runCli(async (argv) => {
  const args = parseUpdateArgs(argv);
  const { dbPath, modelPath, batch } = args;
  // The model first, then a database that must already exist: a mistyped path is refused with
  // nothing created (no empty database, no folders).
  const model = readModelFile(modelPath);
  const store = openStore(dbPath, { mustExist: true });
  try {
    const result = await updateModelFile({
      store,
      modelPath,
      model,
      batch,
      dryRun: args.dryRun,
      force: args.force,
      ...(args.checkPath === undefined ? {} : { checkPath: args.checkPath }),
      onBatch: (p) => process.stderr.write(`progress folded=${p.folded} skipped=${p.skipped} through=${p.through}/${p.last}\n`),
    });
    if (result.refusal !== null) process.stderr.write(`refused: ${result.refusal}\n`);
    else if (args.dryRun) process.stdout.write(`dry run: ${modelPath} not written\n`);
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
}, { usage: UPDATE_USAGE });
