import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';

import { foldIntoFile } from '../../src/fold-into-file.js';
import { createLearner } from '../../src/learner.js';
import { readModelFile } from '../../src/model/model-file.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { miniImdbDocs } from '../helpers/model.js';
import { PROBE_TEXTS } from '../helpers/probes.js';
import { makeServerFolder, runNodeScript, stopAllServers, type ServerPaths } from '../helpers/server-process.js';

// The CLI children are awaited in their tests; this only matters if a test is torn down early.
afterAll(stopAllServers);

type Folder = ReturnType<typeof makeServerFolder> & { store: Store };

/** A model file and a database in a temporary folder, removed when the test ends (concurrent tests too). */
function folder(prefix: string, context: Pick<TestContext, 'onTestFinished'>): Folder {
  const paths = makeServerFolder(prefix);
  const store = openStore(paths.dbPath);
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
 * Ten rows: six to fold and four the fold rule skips (two too short once trimmed, two exact
 * repeats of an earlier row). The same text with the other label is not a repeat.
 */
function seedMixedLog(store: Store): { folded: number; skipped: number; last: number } {
  store.insertReview(GOOD[0], 1, 'test'); // 1 folded
  store.insertReview(GOOD[1], 0, 'test'); // 2 folded
  store.insertReview('meh', 0, 'test'); // 3 skipped: too short
  store.insertReview(GOOD[2], 1, 'test'); // 4 folded
  store.insertReview(GOOD[0], 1, 'test'); // 5 skipped: repeats row 1
  store.insertReview(GOOD[1], 1, 'test'); // 6 folded: same text as row 2, other label
  store.insertReview('    too short     ', 1, 'test'); // 7 skipped: 9 characters once trimmed
  store.insertReview(GOOD[3], 0, 'test'); // 8 folded
  store.insertReview(GOOD[2], 1, 'test'); // 9 skipped: repeats row 4
  const last = store.insertReview(`${GOOD[3]} Twice.`, 0, 'test'); // 10 folded
  return { folded: 6, skipped: 4, last };
}

/** The mini-imdb training reviews with their labels inverted, twice over (the second copy made distinct). */
function seedFlippedLog(store: Store): number {
  let last = 0;
  for (const pass of [0, 1]) {
    for (const { text, label } of miniImdbDocs('train')) {
      last = store.insertReview(pass === 0 ? text : `${text} Seen again.`, label === 1 ? 0 : 1, 'test');
    }
  }
  return last;
}

const FINAL_LINE = /^folded=(\d+) skipped=(\d+) watermark=(\d+) accuracy_before=([\d.]+|none) accuracy_after=([\d.]+|none)$/;

function finalLine(stdout: string): { folded: number; skipped: number; watermark: number; before: number; after: number } {
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  const match = FINAL_LINE.exec(last);
  if (match === null) throw new Error(`no final key=value line in:\n${stdout}`);
  return {
    folded: Number(match[1]),
    skipped: Number(match[2]),
    watermark: Number(match[3]),
    before: Number(match[4]),
    after: Number(match[5]),
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

describe('foldIntoFile (npm run update)', () => {
  it('folds the rows after the watermark, skips too-short and repeated rows, advances the watermark and keeps the previous file as .prev', async (context) => {
    // Arrange
    const { store, modelPath } = folder('update-fold', context);
    const expected = seedMixedLog(store);
    const original = readFileSync(modelPath);

    // Act
    const result = await foldIntoFile({ store, modelPath });

    // Assert
    expect(result).toMatchObject({
      folded: expected.folded,
      skipped: expected.skipped,
      watermark: expected.last,
      previousWatermark: 0,
      written: true,
      refusal: null,
    });
    expect(readModelFile(modelPath).header.feedbackWatermark).toBe(expected.last);
    expect(readFileSync(`${modelPath}.prev`).equals(original)).toBe(true);
  });

  it('folds nothing and writes nothing when run a second time', async (context) => {
    // Arrange
    const { store, modelPath } = folder('update-twice', context);
    seedMixedLog(store);
    await foldIntoFile({ store, modelPath });
    const afterFirst = readFileSync(modelPath);
    const prevAfterFirst = readFileSync(`${modelPath}.prev`);

    // Act
    const second = await foldIntoFile({ store, modelPath });

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
    await foldIntoFile({ store, modelPath });
    await foldIntoFile({ store, modelPath: smallBatches, batch: 3 });
    const online = createLearner({ bundle: readModelFile(`${modelPath}.prev`), store });
    const batch = createLearner({ bundle: readModelFile(modelPath), store });

    // Assert
    expect(online.replayed).toMatchObject({ folded: 6, skipped: 4, through: 10 });
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

  it('refuses a model that learned deliberately flipped labels and leaves the file untouched', async (context) => {
    // Arrange
    const { store, modelPath } = folder('update-flipped', context);
    seedFlippedLog(store);
    const original = readFileSync(modelPath);

    // Act
    const result = await foldIntoFile({ store, modelPath });

    // Assert
    expect(result.written).toBe(false);
    expect(result.refusal).toMatch(/check accuracy would fall/);
    expect(result.refusal).toContain('--force');
    expect(result.accuracyBefore! - result.accuracyAfter!).toBeGreaterThan(0.01);
    expect(readFileSync(modelPath).equals(original)).toBe(true);
    expect(existsSync(`${modelPath}.prev`)).toBe(false);
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

  it.concurrent('exits 1 with a message and an unchanged file on flipped labels, and --force writes it anyway', async (context) => {
    // Arrange
    const paths = folder('update-cli-flipped', context);
    const last = seedFlippedLog(paths.store);
    const original = readFileSync(paths.modelPath);

    // Act
    const refused = await runUpdate(paths);
    const afterRefusal = readFileSync(paths.modelPath);
    const prevAfterRefusal = existsSync(`${paths.modelPath}.prev`);
    const forced = await runUpdate(paths, '--force');

    // Assert
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/refused: check accuracy would fall .* --force/);
    const refusedLine = finalLine(refused.stdout);
    expect(refusedLine).toMatchObject({ folded: last, skipped: 0, watermark: last });
    expect(refusedLine.before - refusedLine.after).toBeGreaterThan(0.01);
    expect(afterRefusal.equals(original)).toBe(true);
    expect(prevAfterRefusal).toBe(false);
    expect(forced.code, forced.stderr).toBe(0);
    expect(finalLine(forced.stdout)).toMatchObject({ folded: last, watermark: last });
    expect(readModelFile(paths.modelPath).header.feedbackWatermark).toBe(last);
    expect(readFileSync(`${paths.modelPath}.prev`).equals(original)).toBe(true);
  });
});
