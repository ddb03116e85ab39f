import { loadDocs } from '../corpus/memory.js';
import type { Corpus } from '../corpus/types.js';
import { recipeSpec } from '../model/recipe.js';
import { SentimentModel } from '../model/sentiment-model.js';
import { runFeedbackLoop, LOOP_FOLDS, LOOP_PARTS } from './feedback-loop.js';
import { assignFolds } from './folds.js';

const fixed = (x: number): string => x.toFixed(4);
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
const folds = (list: number[]): string => list.map((f) => f + 1).join(',');

/** `npm run evaluate -- --feedback-loop`: runs `runFeedbackLoop` and prints what it found; the last line holds the gains. */
export async function runFeedbackLoopReport(
  run: { corpus: Corpus; recipe: string; seed: number },
  write: (line: string) => void,
): Promise<void> {
  const spec = recipeSpec(run.recipe);
  const docs = await loadDocs(run.corpus);
  const split = assignFolds(docs, LOOP_FOLDS, run.seed);
  const hasher = SentimentModel.untrained({ ...spec, nbAlpha: null });
  const rows = docs.map((doc) => hasher.rawFeatures(doc.text));
  write(`feedback-loop recipe=${run.recipe} seed=${run.seed} corpus="${run.corpus.description}"`);
  write(
    `folds=${split.grouping} k=${LOOP_FOLDS}: train on folds ${folds(LOOP_PARTS.train)}, readers answer on folds ${folds(LOOP_PARTS.feedback)}, score folds ${folds(LOOP_PARTS.test)}; moderation on, one client per review`,
  );
  const r = await runFeedbackLoop({ docs, rows, folds: split, parts: LOOP_PARTS, spec, seed: run.seed });
  write(`documents train=${r.parts.train} feedback=${r.parts.feedback} test=${r.parts.test}`);
  write(
    `answers correct=${r.answers.correct} incorrect=${r.answers.incorrect} verdicts ${Object.entries(r.verdicts)
      .map(([v, n]) => `${v}=${n}`)
      .join(' ')}`,
  );
  write(
    `accuracy_before=${fixed(r.before)} accuracy_after=${fixed(r.after)} accuracy_after_restart=${fixed(r.afterRestart)} accuracy_retrained=${fixed(r.retrained)} seconds=${r.seconds.toFixed(1)}`,
  );
  const feedbackGain = r.after - r.before;
  const retrainGain = r.retrained - r.before;
  write(
    `feedback_gain=${signed(feedbackGain)} retrain_gain=${signed(retrainGain)} restart_identical=${r.restartIdentical}`,
  );
}
