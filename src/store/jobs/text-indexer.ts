import { DatabaseUnavailableError } from '../../errors.js';
import type { ConsoleStore } from '../console.js';

/** Review texts added to the console's full-text index per look. */
const TEXT_INDEX_BATCH = 2_000;

export interface TextIndexerLog {
  debug(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** The loop filling the console's full-text index; see {@link startTextIndexer}. */
export interface TextIndexer {
  /** Stops looking; resolves once the batch in progress (if any) is done. */
  stop(): Promise<void>;
}

/**
 * Adds new review texts to the console's full-text index every `everyMs`, in batches, off the
 * request path; the console reads rows newer than the index directly. 2,000 rows take ~60 ms under
 * SQLite's write lock (npm run console:bench, text_index_batch). On PostgreSQL every instance
 * runs it; they take turns on the index's position row.
 *
 * @example
 *   const indexer = startTextIndexer(store.console, { everyMs: 1000, log: logger });
 *   await indexer.stop();
 */
export function startTextIndexer(
  store: Pick<ConsoleStore, 'indexText'>,
  options: { everyMs: number; log: TextIndexerLog },
): TextIndexer {
  let indexing: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (indexing !== undefined) return; // PostgreSQL answers later: one batch at a time
    indexing = Promise.resolve()
      .then(async () => {
        await store.indexText(TEXT_INDEX_BATCH);
      })
      .catch((error: unknown) => {
        // "Not now" (another process holds SQLite's write lock, PostgreSQL is away) is no error of
        // the indexer's: the next look indexes the same rows, and the write gate and /healthz
        // report a database that stays away.
        const message = `could not index review texts for the console: ${(error as Error).message}`;
        if (error instanceof DatabaseUnavailableError) options.log.debug({ err: error }, message);
        else options.log.error({ err: error }, message);
      })
      .finally(() => (indexing = undefined));
  }, options.everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await indexing;
    },
  };
}
