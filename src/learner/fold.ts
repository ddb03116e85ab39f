import type { LoadedModelFile } from '../model/model-file.js';
import { isLabel } from '../model/types.js';
import { reasonWords } from '../moderation/reasons.js';
import type { LogStore, ReviewRow } from '../store/types.js';
import type { FoldCounts } from './types.js';

/**
 * Why a log row is not folded into the model, or null when it is: only accepted rows with a
 * 0/1 sentiment fold. The verdict is decided once when the row is written (src/moderation/verdict-rule.ts),
 * so every process, a restart and `npm run update` fold the same rows.
 */
export function foldRefusal(row: Pick<ReviewRow, 'sentiment' | 'verdict' | 'verdictReason'>): string | null {
  if (row.verdict !== 'accepted')
    return row.verdictReason === null ? row.verdict : `${row.verdict}: ${row.verdictReason}`;
  if (!isLabel(row.sentiment)) return reasonWords.notALabel();
  return null;
}

/**
 * Applies review_db rows after `afterId` (up to `upTo`), in id order, to the model: the fold
 * that the server, a restart and `npm run update` all share, so they all end at the same model.
 */
export async function foldLog(
  file: LoadedModelFile,
  store: Pick<LogStore, 'reviewsAfter'>,
  afterId: number,
  upTo?: number,
): Promise<FoldCounts> {
  const counts: FoldCounts = { folded: 0, skipped: 0, through: afterId };
  for await (const row of store.reviewsAfter(afterId, upTo)) {
    if (foldRefusal(row) === null && isLabel(row.sentiment)) {
      file.model.learn(row.review, row.sentiment);
      counts.folded++;
    } else {
      counts.skipped++;
    }
    counts.through = row.id;
  }
  return counts;
}
