import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { decodeModel, readModelFileBytes } from '../model/model-file.js';
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
  /** The model file to watch; a new file there (npm run update, npm run train) is loaded and served. */
  modelPath: string;
  /** How often to look for new log rows and a changed model file, in milliseconds. */
  pollMs: number;
  log: ChangeLog;
  /** Called after each look at the log and each reload (the model timeline's journal listens). */
  afterEachLook?: () => void;
}

export interface ChangeFollower {
  /** Load the model file now (SIGHUP); a bad file is logged and the current model kept. */
  reloadModelFile(reason: string): void;
  stop(): void;
}

/**
 * Keeps a learner in step with what other processes do: log rows they append (applied at most one
 * poll interval late; a process's own feedback is applied at once, in the request) and model files
 * `npm run update` or `npm run train` write (loaded whole, the log after their watermark replayed,
 * then swapped in). Timers are unref'd: following never keeps a process alive.
 */
export function followChanges({ learner, checkpoints, modelPath, pollMs, log, afterEachLook = () => {} }: FollowChangesOptions): ChangeFollower {
  const poll = setInterval(() => {
    try {
      const rebuiltBefore = learner.modelInfo().rebuiltFrom;
      const { folded } = learner.catchUp();
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
  }, pollMs);
  poll.unref();

  const reloadModelFile = (reason: string): void => {
    try {
      const started = performance.now();
      const bytes = readModelFileBytes(modelPath);
      const next = decodeModel(bytes, modelPath);
      checkpoints.keep(bytes, next.header);
      const counts = learner.reload(next);
      log.info(
        { reason, model: learner.modelInfo(), replayed: counts, ms: Math.round(performance.now() - started) },
        `reloaded model ${modelPath} (${reason})`,
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
    if (changed && now.nlink > 0) reloadModelFile('model file changed');
  };
  watchFile(modelPath, { interval: pollMs, persistent: false }, onModelFileChange);

  return {
    reloadModelFile,
    stop() {
      clearInterval(poll);
      unwatchFile(modelPath, onModelFileChange);
    },
  };
}
