import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readModelFile } from '../model/model-file.js';
import type { Learner } from './types.js';

/** The part of a pino logger this module writes to. */
export interface ChangeLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export interface FollowChangesOptions {
  learner: Pick<Learner, 'catchUp' | 'reload' | 'modelInfo'>;
  /** The model file to watch; a new file there (npm run update, npm run train) is loaded and served. */
  modelPath: string;
  /** How often to look for new log rows and a changed model file, in milliseconds. */
  pollMs: number;
  log: ChangeLog;
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
export function followChanges({ learner, modelPath, pollMs, log }: FollowChangesOptions): ChangeFollower {
  const poll = setInterval(() => {
    const { folded } = learner.catchUp();
    if (folded > 0) log.debug({ applied: folded, appliedThrough: learner.modelInfo().appliedThrough }, 'caught up with the log');
  }, pollMs);
  poll.unref();

  const reloadModelFile = (reason: string): void => {
    try {
      const started = performance.now();
      const counts = learner.reload(readModelFile(modelPath), modelPath);
      log.info(
        { reason, model: learner.modelInfo(), replayed: counts, ms: Math.round(performance.now() - started) },
        `reloaded model ${modelPath} (${reason})`,
      );
    } catch (error) {
      log.error({ err: error, reason }, `kept the current model: ${(error as Error).message}`);
    }
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
