import { RebuildRefusedError } from '../errors.js';
import type { LogStore, Verdict } from '../store/types.js';
import type { Checkpoints } from './checkpoints.js';
import { findRebuildBase, noBaseMessage, type ModelAtLog } from './log-position.js';

/** Rows whose current verdict is looked up one by one before the lowest id is taken as touched. */
const LOOKUPS = 50;

export type RebuildLog = Pick<LogStore, 'getReview' | 'firstRowChangedAfter'>;

/**
 * Refuses a verdict change the served model could not follow, before it is recorded: one that
 * changes a row the model already learned (so the model must be rebuilt without, or with, it) when
 * no readable checkpoint from before that row is kept. Recording it anyway would leave the log
 * saying one thing and every model another, and stop learning until someone puts a checkpoint back.
 *
 * The lowest row the change touches is found by reading the verdicts of the lowest ids, up to
 * {@link LOOKUPS} of them (a row already at `verdict` changes nothing); past that the next id is
 * taken as touched, which can only ask for an older checkpoint than needed, never a newer one.
 *
 * @throws RebuildRefusedError naming the row, the checkpoint folder and what to do.
 */
export async function assertRebuildable(
  state: Pick<ModelAtLog, 'appliedThrough' | 'verdictChangesSeen'>,
  log: RebuildLog,
  checkpoints: Checkpoints,
  reviewIds: readonly number[],
  verdict: Verdict,
): Promise<void> {
  let touched = (await log.firstRowChangedAfter(state.verdictChangesSeen)) ?? Number.POSITIVE_INFINITY;
  const held = reviewIds.filter((id) => id <= state.appliedThrough && id < touched).sort((a, b) => a - b);
  for (const [k, id] of held.entries()) {
    if (k >= LOOKUPS || (await log.getReview(id))?.verdict !== verdict) {
      touched = id;
      break;
    }
  }
  if (touched > state.appliedThrough) return;
  const found = await findRebuildBase(log, checkpoints, touched);
  if ('base' in found) return;
  throw new RebuildRefusedError(
    `Refused, nothing was changed: ${noBaseMessage(checkpoints, touched, found.unreadable, 'try again')}`,
    touched,
  );
}
