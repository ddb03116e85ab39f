import { openCorpus } from '../src/corpus/index.js';
import { InvalidInputError } from '../src/errors.js';
import { readModelFile } from '../src/model/model-file.js';
import { evaluateModel } from '../src/training/evaluation.js';
import { parseCliArgs, runCli } from './cli.js';

const USAGE = `usage: npm run evaluate -- --data PATH [--split train|test] [--model FILE]
  PATH: an aclImdb-style folder or a CSV file; --split test reads PATH/test of an aclImdb root.`;

runCli(async () => {
  const args = parseCliArgs(
    { data: { type: 'string' }, split: { type: 'string' }, model: { type: 'string', default: 'data/model.bin' } },
    USAGE,
  );
  if (args.data === undefined) throw new InvalidInputError(`--data is required.\n${USAGE}`);
  if (args.split !== undefined && args.split !== 'train' && args.split !== 'test') {
    throw new InvalidInputError(`--split must be 'train' or 'test', got '${args.split}'.`);
  }
  const { model, header } = readModelFile(args.model as string);
  const corpus = await openCorpus(args.data, args.split === undefined ? {} : { split: args.split });
  process.stdout.write(`evaluating model=${args.model} preset=${header.spec.preset} corpus="${corpus.description}"\n`);
  const e = await evaluateModel(model, corpus.stream({ seed: 0, shuffle: false }));
  const c = e.confusion;
  process.stdout.write(
    [
      `confusion matrix (rows: true label, columns: predicted)`,
      `              predicted_neg  predicted_pos`,
      `true_neg      ${String(c.trueNegative).padStart(13)}  ${String(c.falsePositive).padStart(13)}`,
      `true_pos      ${String(c.falseNegative).padStart(13)}  ${String(c.truePositive).padStart(13)}`,
      `wall_seconds=${e.seconds.toFixed(2)} (reading the corpus included)`,
      `accuracy=${e.accuracy.toFixed(4)} n=${e.n} logloss=${e.logLoss.toFixed(4)} docs_per_s=${Math.round(e.docsPerSecond)}`,
    ].join('\n') + '\n',
  );
});
