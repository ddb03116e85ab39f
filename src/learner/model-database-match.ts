import { ModelFileError } from '../errors.js';
import type { ModelHeader } from '../model/model-file.js';
import type { LogStore } from '../store/types.js';

const WHAT_TO_DO =
  'Point MODEL_PATH and DB_PATH at a model file and the database it was folded from, ' +
  'or use a freshly trained model (npm run train), which any database takes.';

/**
 * Refuses a model file that does not belong to the database: one folded from another database's
 * log (its `databaseId` is not this one's), or one whose watermark is past the end of this log
 * (an old file without `databaseId` from elsewhere, or a database restored from an older copy).
 * Either would silently learn nothing: new rows get ids the model counts as already folded.
 *
 * @throws ModelFileError naming both files, what is wrong and what to do.
 * @example
 *   assertModelMatchesDatabase(bundle.header, 'data/model.bin', store);
 */
export async function assertModelMatchesDatabase(
  header: Pick<ModelHeader, 'databaseId' | 'feedbackWatermark'>,
  modelPath: string,
  store: Pick<LogStore, 'databaseId' | 'maxReviewId' | 'path'>,
): Promise<void> {
  if (header.databaseId !== undefined && header.databaseId !== store.databaseId) {
    throw new ModelFileError(
      `model file ${modelPath} was folded from database ${header.databaseId}, but ${store.path} is database ` +
        `${store.databaseId}: they do not belong together. ${WHAT_TO_DO}`,
      modelPath,
    );
  }
  const last = await store.maxReviewId();
  if (header.feedbackWatermark > last) {
    throw new ModelFileError(
      `model file ${modelPath} already holds the feedback log through row ${header.feedbackWatermark}, but ` +
        `database ${store.path} ends at row ${last}: new feedback would be taken as already learnt. ${WHAT_TO_DO}`,
      modelPath,
    );
  }
}
