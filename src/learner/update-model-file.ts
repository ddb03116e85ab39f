import { openCorpus } from '../corpus/index.js';
import { MovieClassifierError } from '../errors.js';
import {
  decodeModel,
  encodeModel,
  readModelFileBytes,
  writeFileAtomic,
  type CheckExample,
  type LoadedModelFile,
  type ModelHeader,
} from '../model/model-file.js';
import type { Checkpoints } from './checkpoints.js';
import { advance, fromModelFile, type LogReader } from './log-position.js';
import { assertModelMatchesDatabase } from './model-database-match.js';
import type { SentimentModel } from '../model/sentiment-model.js';
import { labelName } from '../model/types.js';
import type { LogStore } from '../store/types.js';

export interface UpdateModelFileOptions {
  store: LogReader & Pick<LogStore, 'maxReviewId' | 'changeVerdicts' | 'databaseId' | 'path'>;
  /** The model file to read and replace (or give `home`). */
  modelPath?: string;
  /** Where the model is read from and the new one goes. @default the model file at `modelPath` */
  home?: ModelHome;
  /** Where the file replaced and the file written are kept, and rebuilds start from. */
  checkpoints: Checkpoints;
  /** review_db ids per batch (progress is reported between batches). @default 10000 */
  batch?: number;
  /** Report what would happen; write nothing. */
  dryRun?: boolean;
  /** Fold every accepted row, even when the check set's accuracy falls by more than `maxDrop`. */
  force?: boolean;
  /** A labelled corpus to check against instead of the check set stored in the model file. */
  checkPath?: string;
  /** Largest fall in check accuracy a batch may cause before its rows are held, as a fraction. @default 0.01 (one point) */
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
  /** Rows that became held because their batch cost check accuracy (0 with --force). */
  held: number;
  /** Why the last such batch was held, or null. */
  heldReason: string | null;
  /** Checksum of the file written, or null when nothing was written. */
  checksum: string | null;
  /** The last verdict change the folded weights reflect. */
  verdictChangesThrough: number;
}

/** Accuracy of `model` on labelled examples, or null for an empty set. */
export function checkAccuracy(model: SentimentModel, examples: readonly CheckExample[]): number | null {
  if (examples.length === 0) return null;
  let correct = 0;
  for (const { text, label } of examples) if (model.predict(text).label === labelName(label)) correct++;
  return correct / examples.length;
}

async function loadCheckSet(path: string): Promise<CheckExample[]> {
  const corpus = await openCorpus(path);
  const examples: CheckExample[] = [];
  for await (const doc of corpus.stream({ seed: 0, shuffle: false }))
    examples.push({ text: doc.text, label: doc.label });
  return examples;
}

/**
 * `npm run update`: folds the accepted review_db rows after the model file's watermark into the
 * file, with the same fold the server applies (so a server reloading the result holds the model
 * it already had), and writes it atomically with the new watermark, keeping the previous file as
 * `<name>.prev` and both as checkpoints. Running it again folds nothing.
 *
 * The check set is a verdict, not a gate: the log is folded in batches of `batch` ids, and a batch
 * after which the check set's accuracy is more than `maxDrop` below where it started is undone
 * and its accepted rows become held ("check set: ..."), for an operator to look at. Every server
 * follows that verdict change and drops those rows too, so the served model never keeps them.
 * Verdict changes since the file was written (an operator's reject) are applied first, by
 * rebuilding from a checkpoint when they touch rows the file holds.
 */
export async function updateModelFile(options: UpdateModelFileOptions): Promise<UpdateModelFileResult> {
  const { store, checkpoints, dryRun = false, force = false, maxDrop = 0.01 } = options;
  const home = options.home ?? modelFileHome(options.modelPath!);
  const batch = options.batch ?? 10_000;
  if (!Number.isSafeInteger(batch) || batch < 1) {
    throw new MovieClassifierError(`--batch must be a whole number >= 1, got ${batch}.`);
  }
  const bytes = await home.read();
  const file = decodeModel(bytes, home.name);
  await assertModelMatchesDatabase(file.header, home.name, store);
  if (!dryRun) await checkpoints.keep(bytes, file.header);
  const checkSet = options.checkPath === undefined ? file.checkSet : await loadCheckSet(options.checkPath);
  const previousWatermark = file.header.feedbackWatermark;
  const previousChanges = file.header.verdictChangesThrough ?? 0;

  // Verdicts changed since the file was written: start from what the log says the file holds.
  let state = (await advance(fromModelFile(file), store, checkpoints, previousWatermark)).state;
  const accuracyBefore = checkAccuracy(state.model.model, checkSet);

  // Fold up to the log's end as it is now; rows added meanwhile are the next run's (the server
  // replays them after reloading this file).
  const last = await store.maxReviewId();
  let folded = 0;
  let skipped = 0;
  let held = 0;
  let heldReason: string | null = null;
  while (state.appliedThrough < last) {
    const start = state.appliedThrough;
    const end = Math.min(start + batch, last);
    const snapshot = force ? null : copyOf(state.model);
    const step = await advance(state, store, checkpoints, end);
    const accuracy = checkAccuracy(step.state.model.model, checkSet);
    if (snapshot !== null && accuracyBefore !== null && accuracy !== null && accuracyBefore - accuracy > maxDrop) {
      const reason =
        `check set: accuracy would fall from ${accuracyBefore.toFixed(4)} to ${accuracy.toFixed(4)} ` +
        `(more than ${(maxDrop * 100).toFixed(1)} points) with rows ${start + 1}-${end}`;
      const ids: number[] = [];
      for await (const row of store.reviewsAfter(start, end)) if (row.verdict === 'accepted') ids.push(row.id);
      if (dryRun) {
        state = { ...state, appliedThrough: end };
        skipped += ids.length;
      } else {
        await store.changeVerdicts(ids, 'held', reason);
        // Undo the batch: back to the model before it, then fold it again under the new verdicts.
        const redo = await advance({ ...state, model: snapshot }, store, checkpoints, end);
        state = redo.state;
        folded += redo.counts.folded;
        skipped += redo.counts.skipped;
      }
      held += ids.length;
      heldReason = reason;
    } else {
      state = step.state;
      folded += step.counts.folded;
      skipped += step.counts.skipped;
    }
    options.onBatch?.({ folded, skipped, through: state.appliedThrough, last });
  }
  const result: UpdateModelFileResult = {
    folded,
    skipped,
    held,
    heldReason,
    watermark: Math.max(state.appliedThrough, previousWatermark),
    previousWatermark,
    accuracyBefore,
    accuracyAfter: checkAccuracy(state.model.model, checkSet),
    checkSize: checkSet.length,
    written: false,
    checksum: null,
    verdictChangesThrough: state.verdictChangesSeen,
  };
  const unchanged = result.watermark === previousWatermark && state.verdictChangesSeen === previousChanges;
  if (dryRun || unchanged) return result;
  const written = encodeModel({
    model: state.model.model,
    training: file.header.training,
    feedbackWatermark: result.watermark,
    verdictChangesThrough: state.verdictChangesSeen,
    // Ties the file to this log from now on (a file without the id adopts it here).
    databaseId: store.databaseId,
    checkSet: file.checkSet,
    checkSetSource: file.header.checkSetSource,
  });
  const header = decodeModel(written, home.name).header;
  // Kept as a checkpoint first: a server that loads the new model finds it there to rebuild from.
  await checkpoints.keep(written, header);
  try {
    await home.write(written, header);
  } catch (error) {
    throw cannotWriteModelFile(home.name, error);
  }
  result.written = true;
  result.checksum = header.checksum;
  return result;
}

/** Where `npm run update` reads the model and puts the new one: a file, or PostgreSQL. */
export interface ModelHome {
  /** For messages: the file's path, or where in the database. */
  readonly name: string;
  read(): Promise<Buffer>;
  write(bytes: Buffer, header: ModelHeader): Promise<void>;
}

/** A model file: replaced atomically, the previous one kept as `<path>.prev`. */
export function modelFileHome(path: string): ModelHome {
  return {
    name: path,
    read: async () => readModelFileBytes(path),
    write: async (bytes) => writeFileAtomic(path, bytes),
  };
}

/** An independent copy of a model (through its file encoding: exact to the bit). */
function copyOf(model: LoadedModelFile): LoadedModelFile {
  const bytes = encodeModel({
    model: model.model,
    training: model.header.training,
    feedbackWatermark: model.header.feedbackWatermark,
    checkSet: model.checkSet,
    checkSetSource: model.header.checkSetSource,
  });
  return decodeModel(bytes, '(copy in memory)');
}

/**
 * The one line `npm run update` ends with when the model file's folder cannot be written (the new
 * file, or the lock beside it): what failed, and what to do; anything else is thrown as it is.
 */
export function cannotWriteModelFile(modelPath: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || code.length > 8) return error;
  const what =
    code === 'EROFS'
      ? ': read-only file system'
      : code === 'EACCES' || code === 'EPERM'
        ? ': permission denied'
        : code === 'ENOSPC'
          ? ': disk full'
          : '';
  return new MovieClassifierError(
    `cannot write model file ${modelPath} (${code}${what}). Make its folder writable, or pass --model PATH; the file is unchanged.`,
    { cause: error },
  );
}
