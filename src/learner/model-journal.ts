import { basename } from 'node:path';

import type { ConsoleStore, ModelEvent, ModelEventLog } from '../store/index.js';
import type { Learner, ModelInfo } from './types.js';
import type { UpdateModelFileResult } from './update-model-file.js';

/** Records what happens to the served model in the timeline the console draws; see {@link modelJournal}. */
export interface ModelJournal {
  /**
   * Looks at the served model and records what changed since the last look: a model file loaded
   * (trained, or written by something other than `npm run update`) or a rebuild after a verdict
   * change. Call it after start-up, after each catch-up or reload, and after an operator's action;
   * its promise settles once the events are written (await it where the next read must see them).
   * Never rejects: a timeline that cannot be written must not stop serving.
   */
  note(): Promise<void>;
}

export interface ModelJournalOptions {
  learner: Pick<Learner, 'modelInfo' | 'checkScore'>;
  /** Where events go; undefined: a journal that records nothing. */
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
 *   await journal.note(); // at start-up: records the trained model file if the timeline does not have it
 */
export function modelJournal({
  learner,
  events,
  changes,
  onError = () => {},
  now = () => new Date(),
}: ModelJournalOptions): ModelJournal {
  let last: ModelInfo | undefined;

  const record = async (event: Omit<ModelEvent, 'id' | 'checkAccuracy' | 'checkSize'>): Promise<void> => {
    if (events === undefined || (await events.has(event.key))) return;
    const { accuracy, size } = learner.checkScore();
    await events.record({ ...event, checkAccuracy: accuracy, checkSize: size });
  };

  return {
    async note() {
      // Taken now, before the writes wait: a look that starts meanwhile compares with this one.
      const previous = last;
      let info: ModelInfo | undefined;
      try {
        info = learner.modelInfo();
        last = info;
        const common = {
          at: now().toISOString(),
          modelVersion: info.version,
          watermark: info.appliedThrough,
          verdictChanges: info.verdictChangesSeen,
        };
        if (previous === undefined || previous.fileChecksum !== info.fileChecksum) {
          const trained = info.feedbackWatermark === 0;
          await record({
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
        if (info.rebuilds > (previous?.rebuilds ?? 0)) {
          const { count, lastReason } = (await changes?.verdictChangesBetween(
            previous?.verdictChangesSeen ?? 0,
            info.verdictChangesSeen,
          )) ?? {
            count: 0,
            lastReason: null,
          };
          await record({
            ...common,
            key: `rebuild:${info.verdictChangesSeen}`,
            kind: 'rebuild',
            detail:
              `rebuilt from ${info.rebuiltFrom === null ? 'a checkpoint' : basename(info.rebuiltFrom)} after ` +
              `${count.toLocaleString('en')} verdict change${count === 1 ? '' : 's'}${lastReason === null ? '' : ` (${lastReason})`}`,
          });
        }
      } catch (error) {
        // Not written: the next look tries again.
        if (last === info) last = previous;
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
