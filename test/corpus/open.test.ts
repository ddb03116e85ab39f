import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { openCorpus } from '../../src/corpus/index.js';
import { collect, makeTempDir, writeFiles } from './helpers.js';

describe('openCorpus', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(async () => cleanup());

  it('opens a folder as an aclImdb corpus, honouring the split', async () => {
    // Arrange
    await writeFiles(dir, {
      'train/pos/0_9.txt': 'good',
      'train/neg/0_1.txt': 'bad',
      'test/pos/1_8.txt': 'fine',
      'test/neg/1_2.txt': 'poor',
    });

    // Act
    const corpus = await openCorpus(dir, { split: 'test' });
    const docs = await collect(corpus.stream({ seed: 1, shuffle: false }));

    // Assert
    expect(corpus.description).toMatch(/^aclImdb folder .*test \(2 documents/);
    expect(corpus.size).toBe(2);
    expect(docs.map((d) => d.text)).toEqual(['poor', 'fine']);
  });

  it('opens .csv and .csv.gz files as CSV corpora', async () => {
    // Arrange
    const content = 'review,sentiment\ngood,1\nbad,0\n';
    await writeFiles(dir, { 'a.csv': content, 'b.csv.gz': gzipSync(content) });

    // Act
    const plain = await openCorpus(`${dir}/a.csv`);
    const packed = await openCorpus(`${dir}/b.csv.gz`, { split: 'train' });

    // Assert
    expect(plain.description).toMatch(/^CSV file .*a\.csv/);
    expect(plain.size).toBeUndefined();
    expect(await collect(packed.stream({ seed: 1, shuffle: false }))).toEqual(
      await collect(plain.stream({ seed: 1, shuffle: false })),
    );
  });

  it('refuses a path that does not exist, saying what it accepts', async () => {
    const opening = openCorpus(`${dir}/nothing-here`);

    await expect(opening).rejects.toThrow(InvalidInputError);
    await expect(opening).rejects.toThrow(/no corpus at .*nothing-here \(ENOENT\); pass an aclImdb-style folder/);
  });

  it('refuses a file that is neither CSV nor gzip', async () => {
    await writeFiles(dir, { 'model.bin': 'not a corpus' });

    await expect(openCorpus(`${dir}/model.bin`)).rejects.toThrow(
      /unsupported corpus file .*model\.bin: expected a \.csv/,
    );
  });

  it('refuses split test for a CSV file, which has no splits', async () => {
    await writeFiles(dir, { 'a.csv': 'review,sentiment\ngood,1\n' });

    await expect(openCorpus(`${dir}/a.csv`, { split: 'test' })).rejects.toThrow(
      /no test split inside; pass the test CSV file itself/,
    );
  });
});
