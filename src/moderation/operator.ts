import { basename } from 'node:path';

import { MovieClassifierError } from '../errors.js';
import type { CheckpointInfo, Checkpoints } from '../learner/checkpoints.js';
import type { Learner } from '../learner/types.js';
import { isLabel } from '../model/types.js';
import type { ConsoleFilter, ConsolePage, ConsoleRow, ConsoleStore } from '../store/console.js';
import type { FeedbackListRow, LogStore } from '../store/types.js';
import { reasonWords } from './reasons.js';

/** No log row has the id an operator named. */
export class NoSuchRowError extends MovieClassifierError {
  override name = 'NoSuchRowError' as const;
  constructor(readonly id: number) {
    super(`there is no log row with id ${id}`);
  }
}

/** An operator asked to accept a row whose label is not 0 or 1 (a classic import's): nothing learns from it. */
export class UnlearnableRowError extends MovieClassifierError {
  override name = 'UnlearnableRowError' as const;
  constructor(readonly row: FeedbackListRow) {
    super(`row ${row.id} has the sentiment ${JSON.stringify(row.sentiment)}, not 0 or 1: it cannot be learned from`);
  }
}

/** What an operator's verdict change did. */
export interface VerdictChangeResult {
  /** The verdict asked for. */
  verdict: 'accepted' | 'rejected';
  /** Ids whose verdict changed (rows that already had it are left alone). */
  changed: number[];
  /** The model's version before the change, and after it in this process. */
  versionBefore: string;
  modelVersion: string;
  /** The checkpoint this process rebuilt its model from, when the change rebuilt it. */
  rebuiltFrom: string | null;
}

export interface OperatorDeps {
  learner: Pick<Learner, 'changeVerdicts' | 'modelInfo'>;
  store: Pick<LogStore, 'getReview' | 'reviewIdsOfClient'> & {
    console: Pick<ConsoleStore, 'feedbackPage' | 'acceptedIdsAfter'>;
  };
  checkpoints: Pick<Checkpoints, 'publish'>;
  /** Runs after every change that reached the learner (the model timeline's journal notes it). */
  afterChange?: () => Promise<void>;
}

/** The operator's verbs on the feedback log, the same for the admin API and the console. */
export interface Operator {
  /** Log rows matching `filter`, newest first, a page at a time (the console's indexed query). */
  list(filter: ConsoleFilter, page: ConsolePage): Promise<ConsoleRow[]>;
  /** Accepts or rejects one row. Throws NoSuchRowError, or UnlearnableRowError to accept a row without a 0/1 label. */
  setVerdict(id: number, verdict: 'accepted' | 'rejected'): Promise<VerdictChangeResult>;
  /** Rejects every row a client sent. */
  rejectClient(client: string): Promise<VerdictChangeResult & { rows: number }>;
  /**
   * Rejects every accepted row after `checkpoint`, so the model is rebuilt from it; with
   * PostgreSQL it is also published, so every instance (and every new one) starts from it.
   */
  rollBack(checkpoint: CheckpointInfo): Promise<VerdictChangeResult & { published: boolean }>;
}

/**
 * The operator's verbs: each checks what it is asked, records the verdict change through the
 * learner (which rebuilds this process's model; the others follow within their poll interval),
 * and says what changed.
 *
 * @example
 *   const operator = createOperator({ learner, store, checkpoints, afterChange: journal.note });
 *   await operator.setVerdict(12, 'rejected'); // -> { changed: [12], versionBefore, modelVersion, rebuiltFrom }
 */
export function createOperator({ learner, store, checkpoints, afterChange }: OperatorDeps): Operator {
  const change = async (
    ids: readonly number[],
    verdict: 'accepted' | 'rejected',
    reason: string,
  ): Promise<VerdictChangeResult> => {
    const versionBefore = learner.modelInfo().version;
    const { changed, modelVersion } = await learner.changeVerdicts(ids, verdict, reason);
    await afterChange?.();
    const info = learner.modelInfo();
    const rebuilt = modelVersion !== versionBefore && info.rebuiltFrom !== null && info.rebuilds > 0;
    return { verdict, changed, versionBefore, modelVersion, rebuiltFrom: rebuilt ? info.rebuiltFrom : null };
  };

  return {
    list: async (filter, page) => store.console.feedbackPage(filter, page),

    async setVerdict(id, verdict) {
      const row = await store.getReview(id);
      if (row === undefined) throw new NoSuchRowError(id);
      if (verdict === 'accepted' && !isLabel(row.sentiment)) throw new UnlearnableRowError(row);
      return change([id], verdict, reasonWords.byOperator(verdict));
    },

    async rejectClient(client) {
      const ids = await store.reviewIdsOfClient(client);
      return { ...(await change(ids, 'rejected', reasonWords.clientByOperator(client))), rows: ids.length };
    },

    async rollBack(checkpoint) {
      const ids = await store.console.acceptedIdsAfter(checkpoint.watermark);
      const result = await change(ids, 'rejected', reasonWords.rollback(basename(checkpoint.path)));
      // After the rows are rejected: an instance that loads the published checkpoint folds the log
      // after it with their verdicts as they are now.
      if (checkpoints.publish === undefined) return { ...result, published: false };
      await checkpoints.publish(checkpoint);
      return { ...result, published: true };
    },
  };
}
