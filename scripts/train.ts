import { resolve } from 'node:path';
import { openCorpus } from '../src/corpus/index.js';
import { writeModelFile } from '../src/model/model-file.js';
import { presetSpec } from '../src/model/presets.js';
import { progressReporter } from '../src/training/progress.js';
import { trainFromCorpus } from '../src/training/train-from-corpus.js';
import { parseTrainArgs, TRAIN_USAGE } from './args.js';
import { runCli } from './cli.js';

runCli(
  async (argv) => {
    const args = parseTrainArgs(argv);
    const { holdout, seed } = args;
    const base = presetSpec(args.preset);
    const spec = { ...base, epochs: args.epochs ?? base.epochs };
    const out = resolve(args.out);

    const corpus = await openCorpus(args.data);
    process.stdout.write(
      `training preset=${spec.preset} epochs=${spec.epochs} holdout=${holdout} seed=${seed} corpus="${corpus.description}"\n`,
    );
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
  },
  { usage: TRAIN_USAGE },
);
