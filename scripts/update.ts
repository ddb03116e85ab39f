import { updateEvent, updateModelFile, type UpdateLock } from '../src/learner/index.js';
import { openStorage } from '../src/store/open-storage.js';
import { parseUpdateArgs, UPDATE_USAGE } from './args.js';
import { runCli } from './cli.js';

const fixed = (value: number | null): string => (value === null ? 'none' : value.toFixed(4));

runCli(
  async (argv) => {
    const args = parseUpdateArgs(argv);
    // A database that does not exist is refused rather than created empty (a mistyped --db).
    const target = await openStorage(args, { mustExist: true });
    let lock: UpdateLock | undefined;
    try {
      // A dry run writes nothing, so it takes no lock.
      if (!args.dryRun) lock = await target.lockForUpdate();
      const result = await updateModelFile({
        store: target.store,
        home: target.model,
        checkpoints: target.checkpoints,
        batch: args.batch,
        dryRun: args.dryRun,
        force: args.force,
        ...(args.checkPath === undefined ? {} : { checkPath: args.checkPath }),
        onBatch: (p) =>
          process.stderr.write(`progress folded=${p.folded} skipped=${p.skipped} through=${p.through}/${p.last}\n`),
      });
      // The console's model timeline; servers that load the file find this event and add none.
      const event = updateEvent(result);
      if (event !== null) await target.store.modelEvents.record(event);
      if (result.held > 0) {
        process.stderr.write(
          `${args.dryRun ? 'would hold' : 'held'} ${result.held} rows: ${result.heldReason}. ` +
            `List them with GET /api/v1/admin/feedback?verdict=held; accept the good ones, or run again with --force to fold them all.\n`,
        );
      }
      if (args.dryRun) process.stdout.write(`dry run: ${target.model.name} not written\n`);
      else if (result.written) process.stdout.write(`${target.writtenMessage}\n`);
      else
        process.stdout.write(
          `nothing to fold: ${target.model.name} already holds the log through id ${result.watermark}\n`,
        );
      process.stdout.write(
        `folded=${result.folded} skipped=${result.skipped} held=${result.held} watermark=${result.watermark} ` +
          `accuracy_before=${fixed(result.accuracyBefore)} accuracy_after=${fixed(result.accuracyAfter)}\n`,
      );
    } finally {
      await lock?.release();
      await target.store.close();
    }
  },
  { usage: UPDATE_USAGE },
);
