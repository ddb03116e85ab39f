import type { ModelBundle } from '../model/model-file.js';
import type { Label } from '../model/types.js';
import type { ReviewRow, Store } from '../store/types.js';
import type { FoldCounts } from './types.js';

/** Reviews shorter than this (trimmed) are not learned from: the form refuses them too. */
export const MIN_REVIEW_LENGTH = 15;

/**
 * Why a log row is not folded into the model, or null when it is. A rule of the log alone, so
 * every process, a restart and `npm run update` skip the same rows.
 */
export function foldRefusal(row: Pick<ReviewRow, 'review' | 'sentiment' | 'duplicateOf'>): string | null {
  if (row.sentiment !== 0 && row.sentiment !== 1) return 'sentiment is not 0 or 1';
  if (typeof row.review !== 'string' || row.review.trim().length < MIN_REVIEW_LENGTH) return 'text too short';
  if (row.duplicateOf !== null) return `repeats row ${row.duplicateOf}`;
  return null;
}

/**
 * Applies review_db rows after `afterId` (up to `upTo`), in id order, to the model: the fold
 * that the server, a restart and `npm run update` all share, so they all end at the same model.
 */
export function foldLog(bundle: ModelBundle, store: Pick<Store, 'reviewsAfter'>, afterId: number, upTo?: number): FoldCounts {
  const counts: FoldCounts = { folded: 0, skipped: 0, through: afterId };
  for (const row of store.reviewsAfter(afterId, upTo)) {
    if (foldRefusal(row) === null) {
      bundle.model.learn(row.review, row.sentiment as Label);
      counts.folded++;
    } else {
      counts.skipped++;
    }
    counts.through = row.id;
  }
  return counts;
}
