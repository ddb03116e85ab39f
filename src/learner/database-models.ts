import { readModelFileBytes } from '../model/model-file.js';
import type { PostgresStore, StoredCheckpoint } from '../store/postgres/log-store.js';
import type { CheckpointInfo, Checkpoints } from './checkpoints.js';
import type { ModelHome } from './update-model-file.js';

/**
 * Checkpoints kept in the database (PostgreSQL): every instance reads the same ones, with no
 * shared folder. A checkpoint's `path` is `postgres:<checksum>`.
 */
const PREFIX = 'postgres:';

export function databaseCheckpoints(store: PostgresStore): Checkpoints {
  const info = (c: StoredCheckpoint): CheckpointInfo => ({
    path: `${PREFIX}${c.checksum}`,
    watermark: c.watermark,
    verdictChangesThrough: c.verdictChangesThrough,
    bytes: c.bytes,
    keptAt: c.keptAt,
  });
  const checksumOf = (checkpoint: CheckpointInfo): string => checkpoint.path.slice(PREFIX.length);
  return {
    dir: `the model_checkpoints table of ${store.path}`,
    keep: async (bytes, header) => info(await store.keepCheckpoint(bytes, header)),
    list: async () => (await store.listCheckpoints()).map(info),
    load: (checkpoint) => store.loadCheckpoint(checksumOf(checkpoint)),
    // Published, every instance loads it (NOTIFY, or its next poll), and so does a new one.
    publish: (checkpoint) => store.publishModel(checksumOf(checkpoint)),
  };
}

/**
 * The model with PostgreSQL: the newest one published in the database, or, before anything is
 * published, the shipped model file. `npm run update` writes by keeping the new model as a
 * checkpoint and publishing it, which tells every instance to load it.
 */
export function publishedModelHome(store: PostgresStore, shippedModelPath: string): ModelHome {
  return {
    name: `the newest model published in ${store.path}`,
    read: async () => (await store.latestPublishedModel())?.bytes ?? readModelFileBytes(shippedModelPath),
    write: async (bytes, header) => {
      await store.keepCheckpoint(bytes, header);
      await store.publishModel(header.checksum);
    },
  };
}
