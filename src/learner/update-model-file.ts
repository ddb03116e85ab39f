import { openCorpus } from '../corpus/index.js';
import { MovieClassifierError } from '../errors.js';
import { foldLog } from './fold.js';
import { assertModelMatchesDatabase } from './model-database-match.js';
import { readModelFile, writeModelFile, type CheckExample, type ModelBundle } from '../model/model-file.js';
import type { SentimentModel } from '../model/sentiment-model.js';
import type { Store } from '../store/types.js';

export interface UpdateModelFileOptions {
  store: Pick<Store, 'reviewsAfter' | 'maxReviewId' | 'databaseId' | 'path'>;
  modelPath: string;
  /** The model file's contents, when the caller read it already. @default readModelFile(modelPath) */
  model?: ModelBundle;
  /** review_db ids per batch (progress is reported between batches). @default 10000 */
  batch?: number;
  /** Report what would happen; write nothing. */
  dryRun?: boolean;
  /** Write even when the check set's accuracy falls by more than `maxDrop`. */
  force?: boolean;
  /** A labelled corpus to check against instead of the check set stored in the model file. */
  checkPath?: string;
  /** Largest accepted fall in check accuracy, as a fraction. @default 0.01 (one point) */
  maxDrop?: number;
  onBatch?: (progress: { folded: number; skipped: number; through: number; last: number }) => void;
}

export interface UpdateModelFileResult {
  folded: number;
  skipped: number;
  /** The watermark the file has now (or would have, on a dry run / refusal). */
  watermark: number;
  previousWatermark: number;
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  checkSize: number;
  written: boolean;
  /** Set when the new model was refused: why. */
  refusal: string | null;
}

/** Accuracy of `model` on labelled examples, or null for an empty set. */
export function checkAccuracy(model: SentimentModel, examples: readonly CheckExample[]): number | null {
  if (examples.length === 0) return null;
  let correct = 0;
  for (const { text, label } of examples) if ((model.positiveProbability(text) >= 0.5 ? 1 : 0) === label) correct++;
  return correct / examples.length;
}

async function loadCheckSet(path: string): Promise<CheckExample[]> {
  const corpus = await openCorpus(path);
  const examples: CheckExample[] = [];
  for await (const doc of corpus.stream({ seed: 0, shuffle: false })) examples.push({ text: doc.text, label: doc.label });
  return examples;
}

/**
 * `npm run update`: folds the review_db rows after the model file's watermark into the file, with
 * the same fold the server applies (so a server reloading the result holds the model it already
 * had), checks the result against a labelled check set, and writes it atomically with the new
 * watermark, keeping the previous file as `<name>.prev`. Running it again folds nothing.
 */
export async function updateModelFile(options: UpdateModelFileOptions): Promise<UpdateModelFileResult> {
  const { store, modelPath, dryRun = false, force = false, maxDrop = 0.01 } = options;
  const batch = options.batch ?? 10_000;
  if (!Number.isSafeInteger(batch) || batch < 1) {
    throw new MovieClassifierError(`--batch must be a whole number >= 1, got ${batch}.`);
  }
  const bundle = options.model ?? readModelFile(modelPath);
  assertModelMatchesDatabase(bundle.header, modelPath, store);
  const checkSet = options.checkPath === undefined ? bundle.checkSet : await loadCheckSet(options.checkPath);
  const accuracyBefore = checkAccuracy(bundle.model, checkSet);
  const previousWatermark = bundle.header.feedbackWatermark;

  // Fold up to the log's end as it is now; rows added meanwhile are the next run's (the server
  // replays them after reloading this file).
  const last = store.maxReviewId();
  let through = previousWatermark;
  let folded = 0;
  let skipped = 0;
  while (through < last) {
    const counts = foldLog(bundle, store, through, Math.min(through + batch, last));
    folded += counts.folded;
    skipped += counts.skipped;
    through = Math.min(through + batch, last);
    options.onBatch?.({ folded, skipped, through, last });
  }
  const accuracyAfter = checkAccuracy(bundle.model, checkSet);
  const result: UpdateModelFileResult = {
    folded,
    skipped,
    watermark: Math.max(through, previousWatermark),
    previousWatermark,
    accuracyBefore,
    accuracyAfter,
    checkSize: checkSet.length,
    written: false,
    refusal: null,
  };
  if (accuracyBefore !== null && accuracyAfter !== null && accuracyBefore - accuracyAfter > maxDrop && !force) {
    result.refusal =
      `check accuracy would fall from ${accuracyBefore.toFixed(4)} to ${accuracyAfter.toFixed(4)} ` +
      `(more than ${(maxDrop * 100).toFixed(1)} points) on ${checkSet.length} reviews; ${modelPath} is unchanged. ` +
      `Inspect the feedback rows after id ${previousWatermark}, or pass --force to write anyway.`;
    return result;
  }
  if (dryRun || result.watermark === previousWatermark) return result;
  try {
    writeModelFile(modelPath, {
      model: bundle.model,
      training: bundle.header.training,
      feedbackWatermark: result.watermark,
      // Ties the file to this log from now on (a file without the id adopts it here).
      databaseId: store.databaseId,
      checkSet: bundle.checkSet,
      checkSetSource: bundle.header.checkSetSource,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new MovieClassifierError(
      `cannot write model file ${modelPath} (${code}${code === 'EROFS' ? ': read-only file system' : code === 'EACCES' || code === 'EPERM' ? ': permission denied' : code === 'ENOSPC' ? ': disk full' : ''}). Make its folder writable, or pass --model PATH; the file is unchanged.`,
      { cause: error },
    );
  }
  result.written = true;
  return result;
}
