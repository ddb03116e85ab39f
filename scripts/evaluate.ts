import { openCorpus } from '../src/corpus/index.js';
import { readModelFile } from '../src/model/model-file.js';
import { runCrossValidation } from '../src/training/cv-report.js';
import { runFeedbackLoopReport } from '../src/training/feedback-loop-report.js';
import { evaluateModel } from '../src/training/evaluation.js';
import { EVALUATE_USAGE, parseEvaluateArgs } from './args.js';
import { runCli } from './cli.js';

runCli(
  async (argv) => {
    const args = parseEvaluateArgs(argv);
    if (args.cv !== undefined) {
      const corpus = await openCorpus(args.data);
      await runCrossValidation({ corpus, ...args.cv }, (line) => process.stdout.write(`${line}\n`));
      return;
    }
    if (args.feedbackLoop !== undefined) {
      const corpus = await openCorpus(args.data);
      await runFeedbackLoopReport({ corpus, ...args.feedbackLoop }, (line) => process.stdout.write(`${line}\n`));
      return;
    }
    const { model, header } = readModelFile(args.model);
    const corpus = await openCorpus(args.data, args.split === undefined ? {} : { split: args.split });
    process.stdout.write(
      `evaluating model=${args.model} preset=${header.spec.preset} corpus="${corpus.description}"\n`,
    );
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
  },
  { usage: EVALUATE_USAGE },
);
