import { storagePaths } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { PRESET_NAMES, type PresetName } from '../src/model/presets.js';
import { RECIPE_SYNTAX, recipeSpec } from '../src/model/recipe.js';
import { numberOption, parseCliArgs } from './cli.js';

// The arguments of each script, parsed without touching the process, so that tests run in-process.
// Every function throws a UsageError naming the option and the bad value.

export const TRAIN_USAGE = `usage: npm run train -- --data PATH [--preset default|classic] [--epochs N] [--holdout 0.1] [--seed N] [--out FILE]
  PATH: an aclImdb-style folder (train/pos + train/neg, or pos + neg) or a CSV file (.csv or .csv.gz)
  FILE: the model file to write (default: MODEL_PATH, else $DATA_DIR/model.bin)`;

export interface TrainArgs {
  data: string;
  preset: PresetName;
  /** Undefined: the preset's own number of epochs. */
  epochs: number | undefined;
  holdout: number;
  seed: number;
  /** As given (printed back); resolve it before writing. */
  out: string;
}

/** `env` gives the default of --out (MODEL_PATH, DATA_DIR), as the server and `update` read them. */
export function parseTrainArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): TrainArgs {
  const args = parseCliArgs(argv, {
    data: { type: 'string' },
    preset: { type: 'string', default: 'default' },
    epochs: { type: 'string' },
    holdout: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  });
  if (args.data === undefined) throw new UsageError('--data is required.');
  const preset = args.preset;
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) {
    throw new UsageError(`--preset must be one of ${PRESET_NAMES.join(', ')}, got '${preset}'.`);
  }
  return {
    data: args.data,
    preset: preset as PresetName,
    epochs: numberOption('epochs', args.epochs, undefined, (n) => Number.isInteger(n) && n >= 1),
    holdout: numberOption('holdout', args.holdout, 0.1, (n) => n >= 0 && n < 1),
    seed: numberOption('seed', args.seed, 1, Number.isInteger),
    out: args.out ?? storagePaths(env).modelPath,
  };
}

export const EVALUATE_USAGE = `usage: npm run evaluate -- --data PATH [--split train|test] [--model FILE]
       npm run evaluate -- --data PATH --cv K [--preset RECIPE] [--against RECIPE] [--seed N]
       npm run evaluate -- --data PATH --feedback-loop [--preset RECIPE] [--seed N]
  PATH: an aclImdb-style folder or a CSV file; --split test reads PATH/test of an aclImdb root.
  FILE: the model file to score (default: MODEL_PATH, else $DATA_DIR/model.bin)
  --cv K: k-fold cross-validation on PATH instead, folds grouped by movie (aclImdb: contiguous
    id ranges; CSV: its group/movie column, else random folds, said in the output); ends with
    cv_accuracy=… cv_se=… logloss=… ece=… k=K. --against: a second recipe trained on the same
    folds, and the mean paired difference.
  --feedback-loop: of 10 folds grouped by movie, trains on 6, answers truthfully through the
    app's Learner (moderation on, one client per review) on 2, scores the last 2 before, after,
    after a restart from the log, and retrained on the 8; ends with feedback_gain=… retrain_gain=…
    restart_identical=…. RECIPE: ${RECIPE_SYNTAX} (default: default)`;

export interface EvaluateArgs {
  data: string;
  /** Undefined: PATH itself. */
  split: 'train' | 'test' | undefined;
  model: string;
  /** Cross-validation instead of scoring a model file; undefined when not asked for. */
  cv: { k: number; recipe: string; against: string | undefined; seed: number } | undefined;
  /** The feedback loop instead of scoring a model file; undefined when not asked for. */
  feedbackLoop: { recipe: string; seed: number } | undefined;
}

/** `env` gives the default of --model (MODEL_PATH, DATA_DIR), as the server and `update` read them. */
export function parseEvaluateArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): EvaluateArgs {
  const args = parseCliArgs(argv, {
    data: { type: 'string' },
    split: { type: 'string' },
    model: { type: 'string' },
    cv: { type: 'string' },
    preset: { type: 'string' },
    against: { type: 'string' },
    seed: { type: 'string' },
    'feedback-loop': { type: 'boolean', default: false },
  });
  if (args.data === undefined) throw new UsageError('--data is required.');
  if (args.split !== undefined && args.split !== 'train' && args.split !== 'test') {
    throw new UsageError(`--split must be 'train' or 'test', got '${args.split}'.`);
  }
  const k = numberOption('cv', args.cv, undefined, (n) => Number.isInteger(n) && n >= 2);
  const loop = args['feedback-loop'] === true;
  if (loop) {
    if (k !== undefined || args.against !== undefined)
      throw new UsageError('--feedback-loop makes its own 10 folds and runs one recipe; drop --cv and --against.');
    if (args.model !== undefined || args.split !== undefined)
      throw new UsageError('--feedback-loop trains its own model on PATH; drop --model and --split.');
    if (args.preset !== undefined) recipeSpec(args.preset);
  } else if (k === undefined) {
    const stray = (['preset', 'against', 'seed'] as const).filter((name) => args[name] !== undefined);
    if (stray.length > 0) {
      throw new UsageError(
        `${stray.map((name) => `--${name}`).join(' and ')} go with --cv K (cross-validation) or --feedback-loop; add one, or drop them to score a model file.`,
      );
    }
  } else {
    if (args.model !== undefined)
      throw new UsageError('--model scores a model file, --cv trains its own models; give one or the other.');
    if (args.split !== undefined)
      throw new UsageError(
        '--cv splits PATH into folds itself; drop --split and pass the split folder (e.g. PATH/train) as --data.',
      );
    for (const recipe of [args.preset, args.against]) if (recipe !== undefined) recipeSpec(recipe);
  }
  return {
    data: args.data,
    split: args.split,
    model: args.model ?? storagePaths(env).modelPath,
    cv:
      k === undefined
        ? undefined
        : {
            k,
            recipe: args.preset ?? 'default',
            against: args.against,
            seed: numberOption('seed', args.seed, 1, Number.isInteger),
          },
    feedbackLoop: loop
      ? { recipe: args.preset ?? 'default', seed: numberOption('seed', args.seed, 1, Number.isInteger) }
      : undefined,
  };
}

export const UPDATE_USAGE = `usage: npm run update -- [--db PATH] [--model PATH] [--batch 10000] [--check PATH] [--dry-run] [--force]
  Folds the feedback collected in the database into the model file (defaults: DB_PATH, MODEL_PATH).`;

export interface UpdateArgs {
  dbPath: string;
  modelPath: string;
  /** `${DATA_DIR}/checkpoints`, where the server keeps them too. */
  checkpointDir: string;
  /** DATABASE_URL: update the model published in PostgreSQL instead of the model file. */
  databaseUrl: string | undefined;
  batch: number;
  /** Undefined: the update's own choice of check set. */
  checkPath: string | undefined;
  dryRun: boolean;
  force: boolean;
}

/** `env` gives the defaults of --db and --model (DATA_DIR, DB_PATH, MODEL_PATH). */
export function parseUpdateArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): UpdateArgs {
  const args = parseCliArgs(argv, {
    db: { type: 'string' },
    model: { type: 'string' },
    batch: { type: 'string' },
    check: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  });
  const paths = storagePaths(env);
  if (args.db !== undefined && paths.databaseUrl !== undefined) {
    throw new UsageError(
      `--db names a SQLite file (${args.db}), but DATABASE_URL is set, so the log is in PostgreSQL; ` +
        'unset DATABASE_URL to update from the SQLite file, or drop --db to update the model published in PostgreSQL',
    );
  }
  return {
    dbPath: args.db ?? paths.dbPath,
    modelPath: args.model ?? paths.modelPath,
    checkpointDir: paths.checkpointDir,
    databaseUrl: paths.databaseUrl,
    batch: numberOption('batch', args.batch, 10_000, (n) => Number.isInteger(n) && n >= 1),
    checkPath: args.check,
    dryRun: args['dry-run'] === true,
    force: args.force === true,
  };
}
