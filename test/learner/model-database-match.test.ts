import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ModelFileError } from '../../src/errors.js';
import { createLearner, updateModelFile } from '../../src/learner/index.js';
import { readModelFile, writeModelFile } from '../../src/model/model-file.js';
import { openStore, type LogStore } from '../../src/store/index.js';
import { feedbackReview } from '../helpers/probes.js';
import { checkpointsBeside, makeServerFolder, runServerToExit, stopAllServers } from '../helpers/server-process.js';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function folder(prefix: string) {
  const paths = makeServerFolder(prefix);
  cleanups.push(paths.remove);
  const open = (file = paths.dbPath): LogStore => {
    const store = openStore(file);
    cleanups.push(() => store.close());
    return store;
  };
  return { ...paths, open };
}

/** Writes the model file again with another watermark (and database id), as an old or foreign file would be. */
function rewriteModel(modelPath: string, feedbackWatermark: number, databaseId?: string): void {
  const bundle = readModelFile(modelPath);
  writeModelFile(modelPath, {
    model: bundle.model,
    training: bundle.header.training,
    feedbackWatermark,
    databaseId,
    checkSet: bundle.checkSet,
    checkSetSource: bundle.header.checkSetSource,
  });
}

async function addRows(store: LogStore, count: number): Promise<void> {
  for (let k = 0; k < count; k++) await store.insertReview(feedbackReview(k), (k % 2) as 0 | 1, 'test');
}

describe('a model file and its database', () => {
  it('refuses a model whose watermark is past the end of the log (a copy from elsewhere next to a fresh database), naming both files', async () => {
    // Arrange: the case: a model holding the log through row 200, a database of 30 rows.
    const { modelPath, dbPath, open } = folder('ahead');
    rewriteModel(modelPath, 200);
    const store = open();
    await addRows(store, 30);

    // Act
    const start = () => createLearner({ model: readModelFile(modelPath), store, modelPath });

    // Assert
    await expect(start()).rejects.toThrow(ModelFileError);
    await expect(start()).rejects.toThrow(
      `model file ${modelPath} already holds the feedback log through row 200, but database ${dbPath} ends at row 30`,
    );
    await expect(start()).rejects.toThrow(
      /Point MODEL_PATH and DB_PATH at a model file and the database it was folded from/,
    );
  });

  it('update records the database in the file; another database then refuses it, even with a log long enough', async () => {
    // Arrange
    const { modelPath, dir, open } = folder('foreign');
    const first = open();
    await addRows(first, 3);
    await updateModelFile({ store: first, checkpoints: checkpointsBeside(modelPath), modelPath });
    const other = open(path.join(dir, 'other.sqlite'));
    await addRows(other, 10);

    // Act
    const start = () => createLearner({ model: readModelFile(modelPath), store: other, modelPath });

    // Assert
    expect(readModelFile(modelPath).header.databaseId).toBe(first.databaseId);
    await expect(start()).rejects.toThrow(
      `model file ${modelPath} was folded from database ${first.databaseId}, but ${other.path} is database ${other.databaseId}`,
    );
    await expect(createLearner({ model: readModelFile(modelPath), store: first, modelPath })).resolves.toBeDefined();
  });

  it('takes a file without a database id (trained, or written before the id existed) and update adopts the database', async () => {
    // Arrange: an old file that folded rows 1-3 of this very log.
    const { modelPath, open } = folder('adopt');
    const store = open();
    await addRows(store, 5);
    rewriteModel(modelPath, 3);
    expect(readModelFile(modelPath).header).not.toHaveProperty('databaseId');

    // Act
    const learner = await createLearner({ model: readModelFile(modelPath), store, modelPath });
    const result = await updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath });

    // Assert
    expect(learner.replayed).toMatchObject({ folded: 2, through: 5 });
    expect(result).toMatchObject({ written: true, watermark: 5 });
    expect(readModelFile(modelPath).header.databaseId).toBe(store.databaseId);
  });

  it('update refuses a foreign file and leaves it unchanged', async () => {
    const { modelPath, open } = folder('update-foreign');
    const store = open();
    await addRows(store, 3);
    rewriteModel(modelPath, 1, 'another-database');
    const before = readFileSync(modelPath);

    await expect(updateModelFile({ store, checkpoints: checkpointsBeside(modelPath), modelPath })).rejects.toThrow(
      /was folded from database another-database/,
    );
    expect(readFileSync(modelPath).equals(before)).toBe(true);
  });

  it('a reload keeps the served model when the new file belongs to another database', async () => {
    const { modelPath, open } = folder('reload');
    const store = open();
    const learner = await createLearner({ model: readModelFile(modelPath), store, modelPath });
    rewriteModel(modelPath, 0, 'another-database');

    await expect(learner.reload(readModelFile(modelPath), modelPath)).rejects.toThrow(ModelFileError);
    expect(learner.modelInfo().feedbackWatermark).toBe(0);
  });

  it('the server refuses to start on a mismatch, with one line that says what happened and what to do', async () => {
    const paths = folder('server');
    rewriteModel(paths.modelPath, 200);

    const exit = await runServerToExit(paths);

    expect(exit.code).toBe(1);
    expect(exit.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^movieclassifier: model file .* already holds the feedback log through row 200, but database .* ends at row 0: .* Point MODEL_PATH/,
      ),
    ]);
  });
});
