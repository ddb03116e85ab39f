import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MovieClassifierError } from '../errors.js';
import type { ModelHeader } from '../model/model-file.js';
import type { Awaitable } from '../store/types.js';

/** A kept model file: what the rebuild after a verdict change starts from. */
export interface CheckpointInfo {
  /** Where it is kept: a file path, or `postgres:<id>` for one published in the database. */
  path: string;
  /** Highest log id folded into it. */
  watermark: number;
  /** Last verdict change its weights reflect. */
  verdictChangesThrough: number;
  bytes: number;
  /** When it was kept, or null when that is not known. */
  keptAt: Date | null;
}

/** The folder of kept model files; see {@link openCheckpoints}. */
export interface Checkpoints {
  readonly dir: string;
  /** Keeps a model file's bytes (whose header is `header`) as a checkpoint, once per file content. */
  keep(bytes: Uint8Array, header: CheckpointHeader): Awaitable<CheckpointInfo>;
  /** Every checkpoint, the one holding the most of the log first. */
  list(): Awaitable<CheckpointInfo[]>;
  /** A checkpoint's model file bytes. */
  load(checkpoint: CheckpointInfo): Awaitable<Uint8Array>;
  /**
   * Makes a kept checkpoint the model every instance loads and starts from: what a rollback does
   * with PostgreSQL (the database's published model). Absent where each process reads its model
   * file (SQLite): there the log's verdicts alone bring every process to the same model.
   */
  publish?(checkpoint: CheckpointInfo): Awaitable<void>;
}

export type CheckpointHeader = Pick<ModelHeader, 'feedbackWatermark' | 'verdictChangesThrough' | 'checksum'>;

/** No checkpoints at all: for learners that only replay (tests, probes); a rebuild then fails clearly. */
export const NO_CHECKPOINTS: Checkpoints = {
  dir: '(no checkpoint folder)',
  keep() {
    throw new MovieClassifierError('NO_CHECKPOINTS keeps nothing; open a checkpoint folder with openCheckpoints(dir)');
  },
  list: () => [],
  load() {
    throw new MovieClassifierError(
      'NO_CHECKPOINTS holds nothing to load: open a checkpoint folder with openCheckpoints(dir)',
    );
  },
};

const NAME = /^model-w(\d+)-v(\d+)-([0-9a-f]{16})\.bin$/;

/**
 * Checkpoints: every model file the app serves or `npm run update` writes is kept here, named by
 * how much of the log it holds (`model-w<watermark>-v<verdict changes>-<checksum>.bin`), so that
 * rejecting a row the model already learned can rebuild the model from the newest checkpoint
 * from before that row, without it. The trained base model (watermark 0) is the first one kept.
 *
 * @example
 *   const checkpoints = openCheckpoints('data/checkpoints');
 *   const bytes = readModelFileBytes('data/model.bin');
 *   checkpoints.keep(bytes, decodeModel(bytes, 'data/model.bin').header);
 */
export function openCheckpoints(dir: string): Checkpoints {
  return {
    dir,
    keep(bytes, header) {
      const name = `model-w${header.feedbackWatermark}-v${header.verdictChangesThrough ?? 0}-${header.checksum.slice(0, 16)}.bin`;
      const path = join(dir, name);
      if (!existsSync(path)) {
        mkdirSync(dir, { recursive: true });
        // Copied under a temporary name, then renamed: a reader never sees half a checkpoint.
        const temp = join(dir, `.${name}.${process.pid}.tmp`);
        writeFileSync(temp, bytes, { mode: 0o644 });
        renameSync(temp, path);
      }
      return infoOf(path, name)!;
    },
    list() {
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .map((name) => infoOf(join(dir, name), name))
        .filter((info): info is CheckpointInfo => info !== undefined)
        .sort((a, b) => b.watermark - a.watermark || b.verdictChangesThrough - a.verdictChangesThrough);
    },
    load: (checkpoint) => readFileSync(checkpoint.path),
  };
}

function infoOf(path: string, name: string): CheckpointInfo | undefined {
  const match = NAME.exec(name);
  if (match === null) return undefined;
  const stat = statSync(path);
  return {
    path,
    watermark: Number(match[1]),
    verdictChangesThrough: Number(match[2]),
    bytes: stat.size,
    keptAt: stat.mtime,
  };
}
