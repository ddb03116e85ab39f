import {
  databaseCheckpoints,
  lockModelFile,
  lockPostgresUpdate,
  openCheckpoints,
  publishedModelHome,
  updateEvent,
  updateModelFile,
  type UpdateLock,
  type UpdateModelFileOptions,
} from '../src/learner/index.js';
import { readModelFileBytes } from '../src/model/model-file.js';
import { openStore, type LogStore } from '../src/store/index.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { parseUpdateArgs, UPDATE_USAGE, type UpdateArgs } from './args.js';
import { runCli } from './cli.js';

const fixed = (value: number | null): string => (value === null ? 'none' : value.toFixed(4));

/** The log and where the model is read and written: SQLite and the model file, or PostgreSQL. */
interface Target {
  store: LogStore;
  /** Taken before the model is read, released after it is written: a second update refuses meanwhile. */
  lock(): Promise<UpdateLock>;
  where: Pick<UpdateModelFileOptions, 'modelPath' | 'home' | 'checkpoints'>;
  name: string;
  written: string;
}

function fileTarget(args: UpdateArgs): Target {
  // The model first, then a database that must already exist: a mistyped path is refused with
  // nothing created (no empty database, no folders).
  readModelFileBytes(args.modelPath);
  return {
    store: openStore(args.dbPath, { mustExist: true }),
    lock: async () => lockModelFile(args.modelPath),
    where: { modelPath: args.modelPath, checkpoints: openCheckpoints(args.checkpointDir) },
    name: args.modelPath,
    written: `wrote ${args.modelPath} (previous kept as ${args.modelPath}.prev)`,
  };
}

/**
 * With DATABASE_URL the model lives in PostgreSQL: the newest published one (or the shipped file)
 * is read, and the new one published; every instance loads it when told.
 */
async function databaseTarget(args: UpdateArgs, url: string): Promise<Target> {
  const store = await openPostgresStore(url);
  const home = publishedModelHome(store, args.modelPath);
  return {
    store,
    lock: () => lockPostgresUpdate(url),
    where: { home, checkpoints: databaseCheckpoints(store) },
    name: home.name,
    written: `published a new model in ${store.path}`,
  };
}

runCli(async (argv) => {
  const args = parseUpdateArgs(argv);
  const target = args.databaseUrl === undefined ? fileTarget(args) : await databaseTarget(args, args.databaseUrl);
  let lock: UpdateLock | undefined;
  try {
    // A dry run writes nothing, so it takes no lock.
    if (!args.dryRun) lock = await target.lock();
    const result = await updateModelFile({
      store: target.store,
      ...target.where,
      batch: args.batch,
      dryRun: args.dryRun,
      force: args.force,
      ...(args.checkPath === undefined ? {} : { checkPath: args.checkPath }),
      onBatch: (p) => process.stderr.write(`progress folded=${p.folded} skipped=${p.skipped} through=${p.through}/${p.last}\n`),
    });
    // The console's model timeline; servers that load the file find this event and add none.
    const event = updateEvent(result);
    if (event !== null) target.store.modelEvents?.record(event);
    if (result.held > 0) {
      process.stderr.write(
        `${args.dryRun ? 'would hold' : 'held'} ${result.held} rows: ${result.heldReason}. ` +
          `List them with GET /api/v1/admin/feedback?verdict=held; accept the good ones, or run again with --force to fold them all.\n`,
      );
    }
    if (args.dryRun) process.stdout.write(`dry run: ${target.name} not written\n`);
    else if (result.written) process.stdout.write(`${target.written}\n`);
    else process.stdout.write(`nothing to fold: ${target.name} already holds the log through id ${result.watermark}\n`);
    process.stdout.write(
      `folded=${result.folded} skipped=${result.skipped} held=${result.held} watermark=${result.watermark} ` +
        `accuracy_before=${fixed(result.accuracyBefore)} accuracy_after=${fixed(result.accuracyAfter)}\n`,
    );
  } finally {
    await lock?.release();
    await target.store.close();
  }
}, { usage: UPDATE_USAGE });
