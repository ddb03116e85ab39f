import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';

import { createLearner, DEFAULT_MODERATION, moderationRule, updateModelFile } from '../../src/learner/index.js';
import { readModelFile } from '../../src/model/model-file.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { miniImdbDocs } from '../helpers/model.js';
import { PROBE_TEXTS } from '../helpers/probes.js';
import { checkpointsBeside, makeServerFolder, runNodeScript, stopAllServers, type ServerPaths } from '../helpers/server-process.js';

// The CLI children are awaited in their tests; this only matters if a test is torn down early.
afterAll(stopAllServers);

type Folder = ReturnType<typeof makeServerFolder> & { store: Store };

/** A model file and a database in a temporary folder, removed when the test ends (concurrent tests too). */
function folder(prefix: string, context: Pick<TestContext, 'onTestFinished'>): Folder {
  const paths = makeServerFolder(prefix);
  // As the server writes rows: each gets its verdict from the moderation rule.
  const store = openStore(paths.dbPath, { verdictRule: moderationRule(DEFAULT_MODERATION) });
  context.onTestFinished(() => {
    store.close();
    paths.remove();
  });
  return { ...paths, store };
}

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
function seedMixedLog(store: Store): { folded: number; skipped: number; last: number } {
  store.insertReview(GOOD[0], 1, 'test'); // 1 folded
  store.insertReview(GOOD[1], 0, 'test'); // 2 folded
  store.insertReview('meh', 0, 'test'); // 3 skipped: one word
  store.insertReview(GOOD[2], 1, 'test'); // 4 folded
  store.insertReview(GOOD[0], 1, 'test'); // 5 skipped: repeats row 1
  store.insertReview(GOOD[1], 1, 'test'); // 6 skipped: repeats row 2, with the other label
  store.insertReview('    too short     ', 1, 'test'); // 7 skipped: two words
  store.insertReview(GOOD[3], 0, 'test'); // 8 folded
  store.insertReview(GOOD[2], 1, 'test'); // 9 skipped: repeats row 4
  const last = store.insertReview('The second half drags on and on, and I nearly fell asleep.', 0, 'test'); // 10 folded
  return { folded: 5, skipped: 5, last };
}

/** The mini-imdb training reviews with their labels inverted (each text once: a repeat would be rejected). */
function seedFlippedLog(store: Store): number {
  let last = 0;
  for (const { text, label } of miniImdbDocs('train')) last = store.insertReview(text, label === 1 ? 0 : 1, 'test');
  return last;
}

const FINAL_LINE =
  /^folded=(\d+) skipped=(\d+) held=(\d+) watermark=(\d+) accuracy_before=([\d.]+|none) accuracy_after=([\d.]+|none)$/;

function finalLine(stdout: string): { folded: number; skipped: number; held: number; watermark: number; before: number; after: number } {
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

function runUpdate(paths: ServerPaths, ...extra: string[]) {
  return runNodeScript(['scripts/update.ts', '--db', paths.dbPath, '--model', paths.modelPath, ...extra], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: paths.dataDir,
    CSRF_SECRET: 'x'.repeat(40),
    NODE_ENV: 'test',
  });
}

describe('updateModelFile (npm run update)', () => {
  it('folds the rows after the watermark, skips too-short and repeated rows, advances the watermark and keeps the previous file as .prev', async (context) => {
    // Arrange
    const { store, modelPath } = folder('update-fold', context);
    const expected = seedMixedLog(store);
    const original = readFileSync(modelPath);

    // Act
    const result = await updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath });

    // Assert
    expect(result).toMatchObject({
      folded: expected.folded,
      skipped: expected.skipped,
      watermark: expected.last,
      previousWatermark: 0,
      written: true,
      held: 0,
    });
    expect(readModelFile(modelPath).header.feedbackWatermark).toBe(expected.last);
    expect(readFileSync(`${modelPath}.prev`).equals(original)).toBe(true);
  });

  it('folds nothing and writes nothing when run a second time', async (context) => {
    // Arrange
    const { store, modelPath } = folder('update-twice', context);
    seedMixedLog(store);
    await updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath });
    const afterFirst = readFileSync(modelPath);
    const prevAfterFirst = readFileSync(`${modelPath}.prev`);

    // Act
    const second = await updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath });

    // Assert
    expect(second).toMatchObject({ folded: 0, skipped: 0, watermark: 10, previousWatermark: 10, written: false });
    expect(readFileSync(modelPath).equals(afterFirst)).toBe(true);
    expect(readFileSync(`${modelPath}.prev`).equals(prevAfterFirst)).toBe(true);
  });

  it('writes a model that gives exactly the probabilities of the old file with the same rows replayed online, in one batch or many', async (context) => {
    // Arrange
    const { store, modelPath, dir } = folder('update-online-batch', context);
    seedMixedLog(store);
    const smallBatches = `${dir}/small-batches.bin`;
    copyFileSync(modelPath, smallBatches);

    // Act
    await updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath });
    await updateModelFile({ store, checkpoints: checkpointsBeside(smallBatches), modelPath: smallBatches, batch: 3 });
    const online = await createLearner({ model: readModelFile(`${modelPath}.prev`), store });
    const batch = await createLearner({ model: readModelFile(modelPath), store });

    // Assert
    expect(online.replayed).toMatchObject({ folded: 5, skipped: 5, through: 10 });
    expect(batch.replayed).toMatchObject({ folded: 0, skipped: 0, through: 10 });
    for (const text of PROBE_TEXTS) {
      const [a, b] = [online.positiveProbability(text), batch.positiveProbability(text)];
      expect(a === b, `${text}: online ${a} !== batch ${b}`).toBe(true);
    }
    expect(readFileSync(smallBatches).equals(readFileSync(modelPath))).toBe(true);
    expect(online.positiveProbability(PROBE_TEXTS[0])).not.toBe(
      readModelFile(`${modelPath}.prev`).model.predict(PROBE_TEXTS[0]).positiveProbability,
    );
  });

  it('holds the rows of a batch that costs check accuracy, with the reason, and writes a model that never learned them', async (context) => {
    // Arrange: good rows folded by a first update; flipped ones after.
    const { store, modelPath } = folder('update-flipped', context);
    const good = seedMixedLog(store);
    await updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath });
    const last = seedFlippedLog(store);
    const before = PROBE_TEXTS.map((text) => readModelFile(modelPath).model.predict(text).positiveProbability);

    // Act
    const result = await updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath });

    // Assert
    expect(result).toMatchObject({ folded: 0, held: last - good.last, watermark: last, written: true });
    expect(result.heldReason).toMatch(/^check set: accuracy would fall from [\d.]+ to [\d.]+ \(more than 1\.0 points\)/);
    const rows = [...store.reviewsAfter(good.last)];
    expect(new Set(rows.map((row) => row.verdict))).toEqual(new Set(['held']));
    expect(rows[0]!.verdictReason).toBe(result.heldReason);
    // The written model is the good rows' model: replaying the log on the old file gives it exactly.
    const written = readModelFile(modelPath);
    const replayed = await createLearner({ model: readModelFile(`${modelPath}.prev`), store });
    expect(PROBE_TEXTS.map((text) => written.model.predict(text).positiveProbability)).toEqual(
      PROBE_TEXTS.map((text) => replayed.positiveProbability(text)),
    );
    expect(written.header.verdictChangesThrough).toBe(last - good.last);
    expect(result.accuracyAfter).toBe(result.accuracyBefore);
    expect(PROBE_TEXTS.map((text) => written.model.predict(text).positiveProbability)).toEqual(before);
  });
});

describe('scripts/update.ts', () => {
  it.concurrent('prints the folded, skipped and watermark counts; --dry-run writes nothing, a plain run writes', async (context) => {
    // Arrange
    const paths = folder('update-cli', context);
    const expected = seedMixedLog(paths.store);
    const original = readFileSync(paths.modelPath);

    // Act
    const dryRun = await runUpdate(paths, '--dry-run');
    const afterDryRun = readFileSync(paths.modelPath);
    const run = await runUpdate(paths);

    // Assert
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(finalLine(dryRun.stdout)).toMatchObject({ folded: expected.folded, skipped: expected.skipped, watermark: expected.last });
    expect(afterDryRun.equals(original)).toBe(true);
    expect(run.code, run.stderr).toBe(0);
    expect(finalLine(run.stdout)).toMatchObject({ folded: expected.folded, skipped: expected.skipped, watermark: expected.last });
    expect(readModelFile(paths.modelPath).header.feedbackWatermark).toBe(expected.last);
    expect(readFileSync(`${paths.modelPath}.prev`).equals(original)).toBe(true);
  });

  it.concurrent('holds flipped labels and says so, exit 0; with --force it folds them all', async (context) => {
    // Arrange
    const plain = folder('update-cli-flipped', context);
    const forcedFolder = folder('update-cli-forced', context);
    const last = seedFlippedLog(plain.store);
    seedFlippedLog(forcedFolder.store);
    const original = readModelFile(plain.modelPath);

    // Act
    const held = await runUpdate(plain);
    const forced = await runUpdate(forcedFolder, '--force');

    // Assert
    expect(held.code, held.stderr).toBe(0);
    expect(held.stderr).toMatch(/held \d+ rows: check set: accuracy would fall .*verdict=held.*--force/);
    expect(finalLine(held.stdout)).toMatchObject({ folded: 0, held: last, watermark: last });
    const heldModel = readModelFile(plain.modelPath);
    expect(PROBE_TEXTS.map((t) => heldModel.model.predict(t).positiveProbability)).toEqual(
      PROBE_TEXTS.map((t) => original.model.predict(t).positiveProbability),
    );
    expect(forced.code, forced.stderr).toBe(0);
    const forcedLine = finalLine(forced.stdout);
    expect(forcedLine).toMatchObject({ folded: last, held: 0, watermark: last });
    expect(forcedLine.before - forcedLine.after).toBeGreaterThan(0.01);
    expect(readModelFile(forcedFolder.modelPath).header.feedbackWatermark).toBe(last);
  });
});
