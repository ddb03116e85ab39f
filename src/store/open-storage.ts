import { databaseCheckpoints, publishedModelHome } from '../learner/database-models.js';
import { openCheckpoints, type Checkpoints } from '../learner/checkpoints.js';
import type { FollowChangesOptions } from '../learner/follow-changes.js';
import { lockModelFile, lockPostgresUpdate, type UpdateLock } from '../learner/update-lock.js';
import { modelFileHome, type ModelHome } from '../learner/update-model-file.js';
import { readModelFileBytes } from '../model/model-file.js';
import { openPostgresStore } from './postgres/log-store.js';
import { openStore } from './sqlite/log-store.js';
import type { LogStore, VerdictRule } from './types.js';

/** Where the log and the model are: the settings of src/config.ts that choose the engine. */
export interface StorageSettings {
  /** PostgreSQL's address; unset, the log is the SQLite file at `dbPath`. */
  databaseUrl?: string;
  dbPath: string;
  /** The model file: served on SQLite; on PostgreSQL, the one served until a model is published. */
  modelPath: string;
  /** SQLite's checkpoint folder (PostgreSQL keeps checkpoints in the database). */
  checkpointDir: string;
}

export interface OpenStorageOptions {
  /** Decides each new row's verdict. @default every row accepted (tools, imports) */
  verdictRule?: VerdictRule;
  /** SQLite: refuse a database that does not exist instead of creating it (`npm run update`). */
  mustExist?: boolean;
  /** SQLite: how long a statement waits for another connection's write lock. */
  busyTimeoutMs?: number;
  /** SQLite: WAL pages at which a commit checkpoints by itself. */
  autoCheckpointPages?: number;
  /** PostgreSQL: most connections of the pool (DB_POOL_SIZE). */
  poolSize?: number;
  /** PREDICTION_MAX_PER_CLIENT: unanswered predictions kept per client, the oldest going first; 0: no bound. @default 0 */
  maxUnansweredPerClient?: number;
}

export type Engine = 'SQLite' | 'PostgreSQL';

/** The log, its checkpoints and the model's home, on one engine; see {@link openStorage}. */
export interface Storage {
  readonly engine: Engine;
  readonly store: LogStore;
  readonly checkpoints: Checkpoints;
  /**
   * Where the served model is read and a new one written: the model file, or (PostgreSQL) the
   * newest model published in the database, the model file until one is.
   */
  readonly model: ModelHome;
  /** What a process follows to pick up a new model: the file to watch, or the database's publications. */
  readonly follow: Pick<FollowChangesOptions, 'modelPath' | 'store' | 'published'>;
  /** The SQLite file whose WAL a background job checkpoints; null for PostgreSQL. */
  readonly sqlitePath: string | null;
  /** What `npm run update` says it wrote. */
  readonly writtenMessage: string;
  /**
   * Takes the lock `npm run update` holds from reading the model to writing the new one (a lock
   * file beside the model file, or a PostgreSQL advisory lock): a second update refuses meanwhile.
   */
  lockForUpdate(): Promise<UpdateLock>;
}

/**
 * The one place that chooses the engine: SQLite at DB_PATH (checkpoints in a folder, the model
 * in MODEL_PATH), or PostgreSQL at DATABASE_URL (checkpoints and published models in the
 * database, so instances on several machines share them). The server and `npm run update` both
 * open their storage here.
 *
 * @example
 *   const storage = await openStorage(config, { verdictRule: moderationRule(config.moderation) });
 *   const bytes = await storage.model.read();
 */
export async function openStorage(settings: StorageSettings, options: OpenStorageOptions = {}): Promise<Storage> {
  const { databaseUrl } = settings;
  if (databaseUrl !== undefined) return openPostgresStorage(databaseUrl, settings.modelPath, options);
  // The model file before the database: a mistyped path is refused with nothing created.
  let firstRead: Buffer | undefined = readModelFileBytes(settings.modelPath);
  const file = modelFileHome(settings.modelPath);
  const store = openStore(settings.dbPath, options);
  return {
    engine: 'SQLite',
    store,
    checkpoints: openCheckpoints(settings.checkpointDir),
    model: {
      ...file,
      read: async () => {
        const bytes = firstRead ?? (await file.read());
        firstRead = undefined;
        return bytes;
      },
    },
    follow: { modelPath: settings.modelPath },
    sqlitePath: settings.dbPath,
    writtenMessage: `wrote ${settings.modelPath} (previous kept as ${settings.modelPath}.prev)`,
    lockForUpdate: async () => lockModelFile(settings.modelPath),
  };
}

async function openPostgresStorage(
  url: string,
  shippedModelPath: string,
  options: OpenStorageOptions,
): Promise<Storage> {
  const store = await openPostgresStore(url, {
    verdictRule: options.verdictRule,
    poolSize: options.poolSize,
    maxUnansweredPerClient: options.maxUnansweredPerClient,
  });
  const model = publishedModelHome(store, shippedModelPath);
  let startedFrom: string | null = null;
  return {
    engine: 'PostgreSQL',
    store,
    checkpoints: databaseCheckpoints(store),
    model: {
      name: model.name,
      // The checksum of the published model read first is where the follower starts from.
      read: async () => {
        const published = await store.latestPublishedModel();
        startedFrom ??= published?.checksum ?? null;
        return published?.bytes ?? model.read();
      },
      write: model.write,
    },
    follow: {
      modelPath: null,
      store,
      published: {
        subscribe: (listener) => store.onModelPublished(listener),
        latest: async (loaded) => (await store.latestPublishedModel(loaded))?.bytes ?? null,
        get startedFrom() {
          return startedFrom;
        },
      },
    },
    sqlitePath: null,
    writtenMessage: `published a new model in ${store.path}`,
    lockForUpdate: () => lockPostgresUpdate(url),
  };
}
