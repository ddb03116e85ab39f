import { resolve } from 'node:path';
import { openCorpus } from '../src/corpus/index.js';
import { InvalidInputError } from '../src/errors.js';
import { writeModelFile } from '../src/model/model-file.js';
import { PRESET_NAMES, presetSpec, type PresetName } from '../src/model/presets.js';
import { progressReporter } from '../src/training/progress.js';
import { trainFromCorpus } from '../src/training/train-from-corpus.js';
import { numberOption, parseCliArgs, runCli } from './cli.js';

const USAGE = `usage: npm run train -- --data PATH [--preset default|classic] [--epochs N] [--holdout 0.1] [--seed N] [--out FILE]
  PATH: an aclImdb-style folder (train/pos + train/neg, or pos + neg) or a CSV file (.csv or .csv.gz)`;

runCli(async () => {
  const args = parseCliArgs(
    {
      data: { type: 'string' },
      preset: { type: 'string', default: 'default' },
      epochs: { type: 'string' },
      holdout: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string', default: 'data/model.bin' },
    },
    USAGE,
  );
  if (args.data === undefined) throw new InvalidInputError(`--data is required.\n${USAGE}`);
  if (!PRESET_NAMES.includes(args.preset as PresetName)) {
    throw new InvalidInputError(`--preset must be one of ${PRESET_NAMES.join(', ')}, got '${args.preset}'.`);
  }
  const base = presetSpec(args.preset as PresetName);
  const spec = { ...base, epochs: numberOption('epochs', args.epochs, base.epochs, (n) => Number.isInteger(n) && n >= 1) };
  const holdout = numberOption('holdout', args.holdout, 0.1, (n) => n >= 0 && n < 1);
  const seed = numberOption('seed', args.seed, 1, Number.isInteger);
  const out = resolve(args.out as string);

  const corpus = await openCorpus(args.data);
  process.stdout.write(`training preset=${spec.preset} epochs=${spec.epochs} holdout=${holdout} seed=${seed} corpus="${corpus.description}"\n`);
  const progress = progressReporter();
  const result = await trainFromCorpus({ corpus, spec, holdout, seed, onProgress: progress.onProgress });
  progress.stop();
  writeModelFile(out, { ...result, feedbackWatermark: 0 });

  const e = result.heldOutEvaluation;
  if (e !== null) {
    process.stdout.write(`held-out: n=${e.n} accuracy=${e.accuracy.toFixed(4)} logloss=${e.logLoss.toFixed(4)}\n`);
  }
  process.stdout.write(
    [
      `documents=${result.training.documents}`,
      `heldout_accuracy=${e === null ? 'none' : e.accuracy.toFixed(4)}`,
      `train_docs_per_s=${Math.round(result.docsPerSecond)}`,
      `model=${args.out}`,
    ].join(' ') + '\n',
  );
});
