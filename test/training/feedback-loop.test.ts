import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDocs, openCorpus } from '../../src/corpus/index.js';
import { runFeedbackLoop } from '../../src/training/feedback-loop.js';
import { runFeedbackLoopReport } from '../../src/training/feedback-loop-report.js';
import { assignFolds } from '../../src/training/folds.js';
import { recipeSpec } from '../../src/model/recipe.js';
import { SentimentModel } from '../../src/model/sentiment-model.js';
import { MINI_IMDB } from '../helpers/model.js';

const TRAIN = join(MINI_IMDB, 'train');
// Few features and one pass: a model that still errs on the mini corpus, so feedback has work to do.
const WEAK = 'classic:bits=4';

describe('runFeedbackLoop', () => {
  it('answers every feedback review through the Learner with moderation, and a restart replays to the same model', async () => {
    // Arrange: the mini corpus twice over, so the second copy of each review is a repeat that moderation rejects.
    const once = await loadDocs(await openCorpus(TRAIN));
    const docs = [
      ...once,
      ...once.map((doc) => ({ ...doc, key: doc.key.replace(/(\d+)_/, (_, id: string) => `${Number(id) + 1000}_`) })),
    ];
    const spec = recipeSpec(WEAK);
    const hasher = SentimentModel.untrained(spec);
    const rows = docs.map((doc) => hasher.rawFeatures(doc.text));
    const folds = assignFolds(docs, 4, 1);

    // Act: folds 1-2 hold ids 0..29 and 30..59 (originals), folds 3-4 their copies (ids 1000..1029, 1030..1059).
    // Readers answer on fold 2 then on its copies, fold 4.
    const result = await runFeedbackLoop({
      docs,
      rows,
      folds,
      parts: { train: [0], feedback: [1, 3], test: [2] },
      spec,
      seed: 1,
    });

    // Assert
    expect(result.parts).toEqual({ train: 60, feedback: 120, test: 60 });
    expect(result.answers.correct + result.answers.incorrect).toBe(120);
    expect(result.answers.incorrect).toBeGreaterThan(0);
    // Every copy repeats a review already answered: moderation rejects it, and the model does not learn it twice.
    expect(result.verdicts).toEqual({ accepted: 60, rejected: 60 });
    expect(result.restartIdentical).toBe(true);
    expect(result.afterRestart).toBe(result.after);
    expect(result.after).not.toBe(result.before);
  });

  it('prints the gains on its last line', async () => {
    // Act
    const lines: string[] = [];
    await runFeedbackLoopReport(
      { corpus: await openCorpus(TRAIN), recipe: 'default:bits=16,epochs=3', seed: 1 },
      (line) => lines.push(line),
    );

    // Assert
    expect(lines.at(-1)).toMatch(/^feedback_gain=[+-]\d\.\d{4} retrain_gain=[+-]\d\.\d{4} restart_identical=true$/);
    expect(lines.join('\n')).toMatch(/verdicts accepted=24/);
  });
});
