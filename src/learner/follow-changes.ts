import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { decodeModel, readModelFileBytes } from '../model/model-file.js';
import type { LogStore } from '../store/types.js';
import type { Checkpoints } from './checkpoints.js';
import type { Learner } from './types.js';

/** The part of a pino logger this module writes to. */
export interface ChangeLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export interface FollowChangesOptions {
  learner: Pick<Learner, 'catchUp' | 'reload' | 'modelInfo'>;
  /** Where each model file loaded is kept, before it is served. */
  checkpoints: Checkpoints;
  /**
   * The model file to watch; a new file there (npm run update, npm run train) is loaded and
   * served. Null when models are published elsewhere (PostgreSQL: see `published`).
   */
  modelPath: string | null;
  /** How often to look for new log rows and a changed model file, in milliseconds. */
  pollMs: number;
  log: ChangeLog;
  /** A store that says when the log changed (PostgreSQL NOTIFY): caught up at once, not at the next poll. */
  store?: Pick<LogStore, 'onChange'>;
  /**
   * Models published in the database (PostgreSQL): `subscribe` calls back when one is published;
   * `latest` loads the newest one's bytes, or null when its checksum is `loadedChecksum` (the
   * one this process last loaded: the served model may differ, rebuilt from a checkpoint).
   */
  published?: {
    subscribe(listener: () => void): () => void;
    latest(loadedChecksum: string | null): Promise<Uint8Array | null>;
    /** Checksum of the published model the server started from, or null. */
    startedFrom: string | null;
  };
  /** Called after each look at the log and each reload (the model timeline's journal listens). */
  afterEachLook?: () => void;
}

export interface ChangeFollower {
  /** Load the model file (or the newest published model) now; a bad one is logged and the current model kept. */
  reloadModelFile(reason: string): Promise<void>;
  stop(): void;
}

/**
 * Keeps a learner in step with what other processes do: log rows they append and verdicts they
 * change (applied at most one poll interval late, or at once when the store notifies; a
 * process's own feedback is applied in the request) and model files `npm run update` or
 * `npm run train` write (loaded whole, the log after their watermark replayed, then swapped in).
 * Timers are unref'd: following never keeps a process alive.
 */
export function followChanges({
  learner,
  checkpoints,
  modelPath,
  pollMs,
  log,
  store,
  published,
  afterEachLook = () => {},
}: FollowChangesOptions): ChangeFollower {
  const catchUp = async (): Promise<void> => {
    try {
      const rebuiltBefore = learner.modelInfo().rebuiltFrom;
      const { folded } = await learner.catchUp();
      const info = learner.modelInfo();
      if (info.rebuiltFrom !== rebuiltBefore && info.rebuiltFrom !== null) {
        log.info({ model: info }, `rebuilt the model from ${info.rebuiltFrom} after a verdict change`);
      } else if (folded > 0) {
        log.debug({ applied: folded, appliedThrough: info.appliedThrough }, 'caught up with the log');
      }
    } catch (error) {
      log.error({ err: error }, `could not catch up with the log: ${(error as Error).message}`);
    }
    afterEachLook();
  };
  const poll = setInterval(() => void catchUp(), pollMs);
  poll.unref();
  const stopListening = store?.onChange?.(() => void catchUp());

  let loadedChecksum = published?.startedFrom ?? null;
  const reloadModelFile = async (reason: string): Promise<void> => {
    const source = modelPath ?? 'the newest published model';
    try {
      const started = performance.now();
      let bytes: Uint8Array | null;
      if (published !== undefined) bytes = await published.latest(loadedChecksum);
      else bytes = readModelFileBytes(modelPath!);
      if (bytes === null) return;
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const next = decodeModel(buffer, source);
      loadedChecksum = next.header.checksum;
      await checkpoints.keep(buffer, next.header);
      const counts = await learner.reload(next, source);
      log.info(
        { reason, model: learner.modelInfo(), replayed: counts, ms: Math.round(performance.now() - started) },
        `reloaded model ${source} (${reason})`,
      );
    } catch (error) {
      log.error({ err: error, reason }, `kept the current model: ${(error as Error).message}`);
    }
    afterEachLook();
  };

  // stat polling, not fs.watch: a rename over the file (how model files are written) is seen
  // the same way on every filesystem, and a missing file is not an error.
  const onModelFileChange = (now: Stats, before: Stats): void => {
    const changed = now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size;
    if (changed && now.nlink > 0) void reloadModelFile('model file changed');
  };
  if (modelPath !== null) watchFile(modelPath, { interval: pollMs, persistent: false }, onModelFileChange);
  const stopPublished = published?.subscribe(() => void reloadModelFile('a new model was published'));
  // Published models are also looked for on the poll: a notification missed while the
  // connection was down must not leave this instance on an old model.
  const publishedPoll = published === undefined ? undefined : setInterval(() => void reloadModelFile('poll'), pollMs);
  publishedPoll?.unref();

  return {
    reloadModelFile,
    stop() {
      clearInterval(poll);
      if (publishedPoll !== undefined) clearInterval(publishedPoll);
      stopListening?.();
      stopPublished?.();
      if (modelPath !== null) unwatchFile(modelPath, onModelFileChange);
    },
  };
}
