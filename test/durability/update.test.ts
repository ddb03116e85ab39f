import { copyFileSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';

import { createLearner, updateModelFile } from '../../src/learner/index.js';
import { readModelFile, type LoadedModelFile } from '../../src/model/model-file.js';
import type { LogStore } from '../../src/store/types.js';
import { miniImdbDocs } from '../helpers/model.js';
import { PROBE_TEXTS } from '../helpers/probes.js';
import { useServerLogs, type ServerLog } from '../helpers/server-logs.js';
import {
  checkpointsBeside,
  makeServerFolder,
  runNodeScript,
  stopAllServers,
  type ServerPaths,
} from '../helpers/server-process.js';
import { logRows, STORE_KINDS } from '../helpers/stores.js';

// The CLI children are awaited in their tests; this only matters if a test is torn down early.
afterAll(stopAllServers);

const GOOD = [
  'A wonderful film with a brilliant cast and a moving story.',
  'A boring, awful mess: the plot was dull and the acting terrible.',
  'The soundtrack was lovely and the ending surprised me.',
  'Wooden dialogue and a villain nobody could ever fear.',
];

/**
 * Ten rows: five to fold and five the moderation rule rejects when they are written (two with
 * too few words, three repeats of an earlier text: a text counts once, whatever its label).
 */
async function seedMixedLog(store: LogStore): Promise<{ folded: number; skipped: number; last: number }> {
  await store.insertReview(GOOD[0], 1, 'test'); // 1 folded
  await store.insertReview(GOOD[1], 0, 'test'); // 2 folded
  await store.insertReview('meh', 0, 'test'); // 3 skipped: one word
  await store.insertReview(GOOD[2], 1, 'test'); // 4 folded
  await store.insertReview(GOOD[0], 1, 'test'); // 5 skipped: repeats row 1
  await store.insertReview(GOOD[1], 1, 'test'); // 6 skipped: repeats row 2, with the other label
  await store.insertReview('    too short     ', 1, 'test'); // 7 skipped: two words
  await store.insertReview(GOOD[3], 0, 'test'); // 8 folded
  await store.insertReview(GOOD[2], 1, 'test'); // 9 skipped: repeats row 4
  const last = await store.insertReview('The second half drags on and on, and I nearly fell asleep.', 0, 'test'); // 10 folded
  return { folded: 5, skipped: 5, last };
}

/** The mini-imdb training reviews with their labels inverted (each text once: a repeat would be rejected). */
async function seedFlippedLog(store: LogStore): Promise<number> {
  let last = 0;
  for (const { text, label } of miniImdbDocs('train'))
    last = await store.insertReview(text, label === 1 ? 0 : 1, 'test');
  return last;
}

const FINAL_LINE =
  /^folded=(\d+) skipped=(\d+) held=(\d+) watermark=(\d+) accuracy_before=([\d.]+|none) accuracy_after=([\d.]+|none)$/;

function finalLine(stdout: string): {
  folded: number;
  skipped: number;
  held: number;
  watermark: number;
  before: number;
  after: number;
} {
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  const match = FINAL_LINE.exec(last);
  if (match === null) throw new Error(`no final key=value line in:\n${stdout}`);
  return {
    folded: Number(match[1]),
    skipped: Number(match[2]),
    held: Number(match[3]),
    watermark: Number(match[4]),
    before: Number(match[5]),
    after: Number(match[6]),
  };
}

/** `npm run update` on a folder's model and log (with DATABASE_URL on PostgreSQL, which refuses --db). */
function runUpdate(paths: ServerPaths & { log: ServerLog }, ...extra: string[]) {
  const db = 'DATABASE_URL' in paths.log.env ? [] : ['--db', paths.dbPath];
  return runNodeScript(['scripts/update.ts', ...db, '--model', paths.modelPath, ...extra], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: paths.dataDir,
    CSRF_SECRET: 'x'.repeat(40),
    NODE_ENV: 'test',
    ...paths.log.env,
  });
}

/** P(positive) of the probes from a model alone. */
const probabilitiesOf = (file: LoadedModelFile): number[] =>
  PROBE_TEXTS.map((text) => file.model.predict(text).positiveProbability);

/** The watermarks of the kept checkpoints, in order. */
const keptWatermarks = async (log: ServerLog): Promise<number[]> =>
  (await (await log.checkpoints()).list()).map((c) => c.watermark).sort((a, b) => a - b);

describe.each(STORE_KINDS)('on %s', (kind) => {
  const serverLog = useServerLogs(kind);

  /** A model file and a log (a database file beside it, or a PostgreSQL database), removed when the test ends. */
  async function folder(prefix: string, context: Pick<TestContext, 'onTestFinished'>) {
    const paths = makeServerFolder(prefix);
    context.onTestFinished(paths.remove);
    const log = await serverLog(paths);
    return { ...paths, log, store: await log.open({ write: true }) };
  }

  describe('updateModelFile (npm run update)', () => {
    it('folds the rows after the watermark, skips too-short and repeated rows, advances the watermark and keeps the previous model', async (context) => {
      // Arrange
      const { store, log, modelPath } = await folder('update-fold', context);
      const expected = await seedMixedLog(store);
      const original = readFileSync(modelPath);

      // Act
      const result = await log.update();

      // Assert
      expect(result).toMatchObject({
        folded: expected.folded,
        skipped: expected.skipped,
        watermark: expected.last,
        previousWatermark: 0,
        written: true,
        held: 0,
      });
      expect((await log.model()).header.feedbackWatermark).toBe(expected.last);
      expect(await keptWatermarks(log)).toEqual([0, expected.last]);
      // The model file itself is SQLite's; on PostgreSQL the shipped file is only read.
      if (kind === 'SQLite') expect(readFileSync(`${modelPath}.prev`).equals(original)).toBe(true);
      else expect(readFileSync(modelPath).equals(original)).toBe(true);
    });

    it('folds nothing and writes nothing when run a second time', async (context) => {
      // Arrange
      const { store, log, modelPath } = await folder('update-twice', context);
      await seedMixedLog(store);
      await log.update();
      const afterFirst = {
        model: (await log.model()).header.checksum,
        kept: await keptWatermarks(log),
        file: readFileSync(modelPath),
      };

      // Act
      const second = await log.update();

      // Assert
      expect(second).toMatchObject({ folded: 0, skipped: 0, watermark: 10, previousWatermark: 10, written: false });
      expect((await log.model()).header.checksum).toBe(afterFirst.model);
      expect(await keptWatermarks(log)).toEqual(afterFirst.kept);
      expect(readFileSync(modelPath).equals(afterFirst.file)).toBe(true);
    });

    it('writes a model that gives exactly the probabilities of the old one with the same rows replayed online', async (context) => {
      // Arrange
      const { store, log, modelPath } = await folder('update-online-batch', context);
      await seedMixedLog(store);
      const before = probabilitiesOf(readModelFile(modelPath));

      // Act
      await log.update({ batch: 3 });
      const online = await createLearner({
        model: readModelFile(kind === 'SQLite' ? `${modelPath}.prev` : modelPath),
        store,
      });
      const batch = await createLearner({ model: await log.model(), store });

      // Assert
      expect(online.replayed).toMatchObject({ folded: 5, skipped: 5, through: 10 });
      expect(batch.replayed).toMatchObject({ folded: 0, skipped: 0, through: 10 });
      for (const text of PROBE_TEXTS) {
        const [a, b] = [online.positiveProbability(text), batch.positiveProbability(text)];
        expect(a === b, `${text}: online ${a} !== batch ${b}`).toBe(true);
      }
      expect(online.positiveProbability(PROBE_TEXTS[0])).not.toBe(before[0]);
    });

    it('holds the rows of a batch that costs check accuracy, with the reason, and writes a model that never learned them', async (context) => {
      // Arrange: good rows folded by a first update; flipped ones after.
      const { store, log } = await folder('update-flipped', context);
      const good = await seedMixedLog(store);
      await log.update();
      const afterGood = await log.model();
      const last = await seedFlippedLog(store);

      // Act
      const result = await log.update();

      // Assert
      expect(result).toMatchObject({ folded: 0, held: last - good.last, watermark: last, written: true });
      expect(result.heldReason).toMatch(
        /^check set: accuracy would fall from [\d.]+ to [\d.]+ \(more than 1\.0 points\)/,
      );
      const rows = await logRows(store, good.last);
      expect(new Set(rows.map((row) => row.verdict))).toEqual(new Set(['held']));
      expect(rows[0].verdictReason).toBe(result.heldReason);
      // The written model is the good rows' model: replaying the log on the one before gives it exactly.
      const written = await log.model();
      const replayed = await createLearner({ model: afterGood, store });
      expect(probabilitiesOf(written)).toEqual(PROBE_TEXTS.map((text) => replayed.positiveProbability(text)));
      expect(written.header.verdictChangesThrough).toBe(last - good.last);
      expect(result.accuracyAfter).toBe(result.accuracyBefore);
      expect(probabilitiesOf(written)).toEqual(probabilitiesOf(afterGood));
    });
  });

  // Two CLI runs in a test, each a process that compiles the scripts: give a busy machine room.
  describe('scripts/update.ts', { timeout: 40_000 }, () => {
    it('prints the folded, skipped and watermark counts; --dry-run writes nothing, a plain run writes', async (context) => {
      // Arrange
      const paths = await folder('update-cli', context);
      const expected = await seedMixedLog(paths.store);
      const original = readFileSync(paths.modelPath);
      const originalChecksum = readModelFile(paths.modelPath).header.checksum;

      // Act
      const dryRun = await runUpdate(paths, '--dry-run');
      const afterDryRun = { file: readFileSync(paths.modelPath), model: (await paths.log.model()).header.checksum };
      const run = await runUpdate(paths);

      // Assert
      expect(dryRun.code, dryRun.stderr).toBe(0);
      expect(finalLine(dryRun.stdout)).toMatchObject({
        folded: expected.folded,
        skipped: expected.skipped,
        watermark: expected.last,
      });
      expect(afterDryRun.file.equals(original)).toBe(true);
      expect(afterDryRun.model).toBe(originalChecksum);
      expect(run.code, run.stderr).toBe(0);
      expect(finalLine(run.stdout)).toMatchObject({
        folded: expected.folded,
        skipped: expected.skipped,
        watermark: expected.last,
      });
      expect((await paths.log.model()).header.feedbackWatermark).toBe(expected.last);
      expect(await keptWatermarks(paths.log)).toEqual([0, expected.last]);
    });

    it('holds flipped labels and says so, exit 0; with --force it folds them all', async (context) => {
      // Arrange
      const [plain, forcedFolder] = [
        await folder('update-cli-flipped', context),
        await folder('update-cli-forced', context),
      ];
      const last = await seedFlippedLog(plain.store);
      await seedFlippedLog(forcedFolder.store);
      const original = readModelFile(plain.modelPath);

      // Act
      const [held, forced] = await Promise.all([runUpdate(plain), runUpdate(forcedFolder, '--force')]);

      // Assert
      expect(held.code, held.stderr).toBe(0);
      expect(held.stderr).toMatch(/held \d+ rows: check set: accuracy would fall .*verdict=held.*--force/);
      expect(finalLine(held.stdout)).toMatchObject({ folded: 0, held: last, watermark: last });
      expect(probabilitiesOf(await plain.log.model())).toEqual(probabilitiesOf(original));
      expect(forced.code, forced.stderr).toBe(0);
      const forcedLine = finalLine(forced.stdout);
      expect(forcedLine).toMatchObject({ folded: last, held: 0, watermark: last });
      expect(forcedLine.before - forcedLine.after).toBeGreaterThan(0.01);
      expect((await forcedFolder.log.model()).header.feedbackWatermark).toBe(last);
    });
  });
});

// SQLite only: two model files folded from one log. (PostgreSQL has one published model per
// database; the batching itself is the same code on both.)
describe('updateModelFile on model files', () => {
  const serverLog = useServerLogs('SQLite');

  it('writes the same file in one batch or many', async (context) => {
    // Arrange
    const paths = makeServerFolder('update-batches');
    context.onTestFinished(paths.remove);
    const log = await serverLog(paths);
    const store = await log.open({ write: true });
    await seedMixedLog(store);
    const smallBatches = `${paths.dir}/small-batches.bin`;
    copyFileSync(paths.modelPath, smallBatches);

    // Act
    await log.update();
    await updateModelFile({ store, checkpoints: checkpointsBeside(smallBatches), modelPath: smallBatches, batch: 3 });

    // Assert
    expect(readFileSync(smallBatches).equals(readFileSync(paths.modelPath))).toBe(true);
    expect(readModelFile(smallBatches).header.feedbackWatermark).toBe(10);
  });
});
