import { basename } from 'node:path';

import type { ConsoleStore, ModelEvent, ModelEventLog } from '../store/index.js';
import type { Learner, ModelInfo } from './types.js';
import type { UpdateModelFileResult } from './update-model-file.js';

/** Records what happens to the served model in the timeline the console draws; see {@link modelJournal}. */
export interface ModelJournal {
  /**
   * Looks at the served model and records what changed since the last look: a model file loaded
   * (trained, or written by something other than `npm run update`) or a rebuild after a verdict
   * change. Call it after start-up, after each catch-up or reload, and after an operator's action.
   * Never throws: a timeline that cannot be written must not stop serving.
   */
  note(): void;
}

export interface ModelJournalOptions {
  learner: Pick<Learner, 'modelInfo' | 'checkScore'>;
  /** Where events go; undefined where the store keeps no timeline (PostgreSQL, for now): a journal that records nothing. */
  events: ModelEventLog | undefined;
  /** For the detail of a rebuild: which verdict changes caused it. */
  changes: Pick<ConsoleStore, 'verdictChangesBetween'> | undefined;
  /** Where a failure to write is reported. */
  onError?: (error: unknown) => void;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * The model's timeline, written by every process that serves it. An event's key says what it is
 * (`file:<checksum>` for a model file, `rebuild:<verdict change id>` for a rebuild), so when every
 * worker sees the same thing it is recorded once. The check-set accuracy is measured only by the
 * process that records the event.
 *
 * @example
 *   const journal = modelJournal({ learner, events: store.modelEvents, changes: store.console });
 *   journal.note(); // at start-up: records the trained model file if the timeline does not have it
 */
export function modelJournal({ learner, events, changes, onError = () => {}, now = () => new Date() }: ModelJournalOptions): ModelJournal {
  let last: ModelInfo | undefined;

  const record = (event: Omit<ModelEvent, 'id' | 'checkAccuracy' | 'checkSize'>): void => {
    if (events === undefined || events.has(event.key)) return;
    const { accuracy, size } = learner.checkScore();
    events.record({ ...event, checkAccuracy: accuracy, checkSize: size });
  };

  return {
    note() {
      try {
        const info = learner.modelInfo();
        const common = {
          at: now().toISOString(),
          modelVersion: info.version,
          watermark: info.appliedThrough,
          verdictChanges: info.verdictChangesSeen,
        };
        if (last === undefined || last.fileChecksum !== info.fileChecksum) {
          const trained = info.feedbackWatermark === 0;
          record({
            ...common,
            key: fileKey(info.fileChecksum),
            kind: trained ? 'trained' : 'reload',
            // A trained model's place in time is when it was trained.
            at: trained && !Number.isNaN(Date.parse(info.trainedAt)) ? info.trainedAt : common.at,
            detail: trained
              ? `${info.preset} model trained on ${info.documents.toLocaleString('en')} reviews` +
                (info.heldOutAccuracy === null ? '' : `, held-out accuracy ${info.heldOutAccuracy.toFixed(4)}`)
              : `model file holding the log through row ${info.feedbackWatermark} loaded`,
          });
        }
        // Not `else`: a first look, or a look after a reload, may come after a rebuild too.
        if (info.rebuilds > (last?.rebuilds ?? 0)) {
          const { count, lastReason } = changes?.verdictChangesBetween(last?.verdictChangesSeen ?? 0, info.verdictChangesSeen) ?? {
            count: 0,
            lastReason: null,
          };
          record({
            ...common,
            key: `rebuild:${info.verdictChangesSeen}`,
            kind: 'rebuild',
            detail:
              `rebuilt from ${info.rebuiltFrom === null ? 'a checkpoint' : basename(info.rebuiltFrom)} after ` +
              `${count.toLocaleString('en')} verdict change${count === 1 ? '' : 's'}${lastReason === null ? '' : ` (${lastReason})`}`,
          });
        }
        last = info;
      } catch (error) {
        onError(error);
      }
    },
  };
}

const fileKey = (checksum: string): string => `file:${checksum}`;

/**
 * The timeline event of a model file `npm run update` wrote, or null when it wrote none. Servers
 * loading that file then find its key and record nothing more.
 */
export function updateEvent(result: UpdateModelFileResult, at: Date = new Date()): Omit<ModelEvent, 'id'> | null {
  if (!result.written || result.checksum === null) return null;
  const accuracy = (value: number | null) => (value === null ? 'none' : value.toFixed(4));
  return {
    key: fileKey(result.checksum),
    kind: 'update',
    at: at.toISOString(),
    modelVersion: `${result.checksum.slice(0, 12)}+${result.watermark}.${result.verdictChangesThrough}`,
    watermark: result.watermark,
    verdictChanges: result.verdictChangesThrough,
    checkAccuracy: result.accuracyAfter,
    checkSize: result.checkSize,
    detail:
      `folded ${result.folded.toLocaleString('en')} rows (log through row ${result.watermark}), ` +
      `check accuracy ${accuracy(result.accuracyBefore)} before` +
      (result.held > 0 ? `; held ${result.held.toLocaleString('en')}: ${result.heldReason}` : ''),
  };
}
