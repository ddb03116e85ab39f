import { loadDocs } from '../corpus/memory.js';
import type { Corpus } from '../corpus/types.js';
import { recipeSpec } from '../model/recipe.js';
import { crossValidate, pairedDifference, type FoldScore } from './cross-validation.js';
import { assignFolds, type FoldGrouping } from './folds.js';

export interface CrossValidationRun {
  corpus: Corpus;
  k: number;
  recipe: string;
  against: string | undefined;
  seed: number;
}

const GROUPING_NOTE: Record<FoldGrouping, string> = {
  'id-ranges': 'grouped by movie: contiguous ranges of aclImdb review ids',
  'group-column': 'grouped by the group column',
  random:
    'RANDOM, not grouped: the corpus has no group column, so reviews of one movie can fall on both sides and recipes that memorise movies look better than they are',
};

const fixed = (x: number): string => x.toFixed(4);
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;

/**
 * `npm run evaluate -- --cv K`: k-fold cross-validation of a recipe (and optionally a second on
 * the same folds), printing a line per fold and recipe, then the summary; the last line is
 * `cv_accuracy=… cv_se=… logloss=… ece=… k=K` for the first recipe.
 */
export async function runCrossValidation(run: CrossValidationRun, write: (line: string) => void): Promise<void> {
  const recipes = run.against === undefined ? [run.recipe] : [run.recipe, run.against];
  const specs = recipes.map(recipeSpec);
  const docs = await loadDocs(run.corpus);
  const folds = assignFolds(docs, run.k, run.seed);
  write(`cross-validation k=${run.k} seed=${run.seed} documents=${docs.length} corpus="${run.corpus.description}"`);
  write(`folds=${folds.grouping} (${GROUPING_NOTE[folds.grouping]})`);
  recipes.forEach((recipe, r) => write(`recipe_${r === 0 ? 'a' : 'b'}=${recipe} spec=${JSON.stringify(specs[r])}`));
  const byFold: FoldScore[][] = [];
  const results = await crossValidate({
    docs,
    folds,
    specs,
    seed: run.seed,
    onFold(r, score) {
      (byFold[score.fold] ??= [])[r] = score;
      const test = Math.round(score.n);
      const diff = r === 1 ? ` diff=${signed(byFold[score.fold][0].accuracy - score.accuracy)}` : '';
      write(
        `fold=${score.fold + 1}/${run.k} recipe=${r === 0 ? 'a' : 'b'} train=${score.trainDocs} test=${test} accuracy=${fixed(score.accuracy)} logloss=${fixed(score.logLoss)} ece=${fixed(score.ece)} docs_per_s=${Math.round(score.docsPerSecond)}${diff}`,
      );
    },
  });
  const [a, b] = results;
  if (b !== undefined) {
    write(
      `recipe_b cv_accuracy=${fixed(b.accuracy)} cv_se=${fixed(b.se)} logloss=${fixed(b.logLoss)} ece=${fixed(b.ece)}`,
    );
    const paired = pairedDifference(a, b);
    write(
      `paired_difference=${signed(paired.mean)} se=${fixed(paired.se)} (recipe_a − recipe_b, mean over the ${run.k} folds)`,
    );
  }
  write(
    `cv_accuracy=${fixed(a.accuracy)} cv_se=${fixed(a.se)} logloss=${fixed(a.logLoss)} ece=${fixed(a.ece)} k=${run.k}`,
  );
}
