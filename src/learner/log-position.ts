import { RebuildRefusedError } from '../errors.js';
import { decodeModel, type LoadedModelFile } from '../model/model-file.js';
import type { LogStore } from '../store/types.js';
import type { Checkpoints } from './checkpoints.js';
import { foldLog } from './fold.js';
import type { FoldCounts } from './types.js';

/** A model and how much of the log it holds: what the learner serves and `npm run update` writes. */
export interface ModelAtLog {
  model: LoadedModelFile;
  /** Highest log id folded (or skipped) into the weights. */
  appliedThrough: number;
  /** Last verdict change the weights reflect. */
  verdictChangesSeen: number;
  /** The checkpoint the weights were rebuilt from, when a verdict change forced a rebuild. */
  rebuiltFrom: string | null;
}

export type LogReader = Pick<LogStore, 'reviewsAfter' | 'lastVerdictChangeId' | 'firstRowChangedAfter'>;

/** The state of a model file just loaded: its header says what it holds. */
export function fromModelFile(model: LoadedModelFile): ModelAtLog {
  return {
    model,
    appliedThrough: model.header.feedbackWatermark,
    verdictChangesSeen: model.header.verdictChangesThrough ?? 0,
    rebuiltFrom: null,
  };
}

/**
 * Brings a model up to date with the log, up to `upTo` (default: its end): first verdict changes
 * since the model's last look — a change to a row it already holds (rejected after it was
 * learned, or accepted after it was held) means rebuilding from the newest checkpoint that no
 * change touches, with the rows after it folded under their verdicts now — then new rows.
 * Only accepted rows fold, in id order, so the result is bit-identical to a model that never saw
 * the rows that are not accepted, in every process.
 *
 * @throws RebuildRefusedError when a rebuild is needed and no usable checkpoint is kept.
 */
export async function advance(
  state: ModelAtLog,
  log: LogReader,
  checkpoints: Checkpoints,
  upTo?: number,
): Promise<{ state: ModelAtLog; counts: FoldCounts }> {
  let current = state;
  const lastChange = await log.lastVerdictChangeId();
  if (lastChange > current.verdictChangesSeen) {
    // The lowest row touched, asked of SQLite: a rollback or a client's rejection can change
    // hundreds of thousands of rows at once, and Math.min(...ids) over that many arguments
    // overflows the call stack (~120,000 on Node 20).
    const touched = (await log.firstRowChangedAfter(current.verdictChangesSeen)) ?? Number.POSITIVE_INFINITY;
    if (touched <= current.appliedThrough) {
      current = await rebuildBase(log, checkpoints, touched);
    }
    // Changes to rows not folded yet need nothing: the fold reads their verdicts as they are now.
    current = { ...current, verdictChangesSeen: Math.max(lastChange, current.verdictChangesSeen) };
  }
  const counts = await foldLog(current.model, log, current.appliedThrough, upTo);
  return { state: { ...current, appliedThrough: counts.through }, counts };
}

/**
 * The newest checkpoint that no verdict change after it touches at or below its watermark: the
 * weights it holds are still what the log says. Returned as a model at its place in the log.
 *
 * @throws RebuildRefusedError when no such checkpoint is kept, or none of them can be read.
 */
async function rebuildBase(log: LogReader, checkpoints: Checkpoints, touched: number): Promise<ModelAtLog> {
  const found = await findRebuildBase(log, checkpoints, touched);
  if ('base' in found) return found.base;
  throw new RebuildRefusedError(noBaseMessage(checkpoints, touched, found.unreadable), touched);
}

/**
 * What {@link rebuildBase} would start from, without throwing: the base, or the checkpoints that
 * would have served but could not be read (truncated, corrupt, gone). An unreadable one is passed
 * over for the next older one: an older checkpoint holds less of the log, and the fold after it
 * reads the rest, so the result is the same model, only slower to reach.
 */
export async function findRebuildBase(
  log: Pick<LogReader, 'firstRowChangedAfter'>,
  checkpoints: Checkpoints,
  touched: number,
): Promise<{ base: ModelAtLog } | { unreadable: string[] }> {
  const unreadable: string[] = [];
  for (const checkpoint of await checkpoints.list()) {
    if (checkpoint.watermark >= touched) continue;
    const firstChanged = await log.firstRowChangedAfter(checkpoint.verdictChangesThrough);
    if (firstChanged !== null && firstChanged <= checkpoint.watermark) continue;
    let model: LoadedModelFile;
    try {
      const bytes = await checkpoints.load(checkpoint);
      model = decodeModel(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), checkpoint.path);
    } catch (error) {
      unreadable.push(`${checkpoint.path} (${(error as Error).message})`);
      continue;
    }
    return {
      base: {
        model,
        appliedThrough: checkpoint.watermark,
        verdictChangesSeen: checkpoint.verdictChangesThrough,
        rebuiltFrom: checkpoint.path,
      },
    };
  }
  return { unreadable };
}

/** Why no rebuild is possible, and what to do: put a checkpoint back, then `afterwards`. */
export function noBaseMessage(
  checkpoints: Checkpoints,
  touched: number,
  unreadable: string[],
  afterwards = 'restart',
): string {
  return (
    `the verdict of log row ${touched} changes after the model learned it, and no readable checkpoint in ` +
    `${checkpoints.dir} is from before that row (one holding the log through row ${touched - 1} or less), so the model ` +
    `cannot be rebuilt without it` +
    (unreadable.length === 0 ? '' : `; unreadable: ${unreadable.join('; ')}`) +
    `. Put back the trained model file's checkpoint (or retrain with \`npm run train\`) and ${afterwards}.`
  );
}
