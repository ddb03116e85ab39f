import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { openFolderCorpus } from '../../src/corpus/folder.js';
import { collect, makeTempDir, writeFiles } from './helpers.js';

const MINI_IMDB = fileURLToPath(new URL('../fixtures/mini-imdb', import.meta.url));

/** `count` positive and `count` negative reviews under `prefix` (e.g. `train/`). */
function reviews(prefix: string, count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    files[`${prefix}pos/${i}_9.txt`] = `good film number ${i}`;
    files[`${prefix}neg/${i}_2.txt`] = `bad film number ${i}`;
  }
  return files;
}

describe('openFolderCorpus', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(async () => cleanup());

  it('reads the train split of an aclImdb root, labelling pos 1 and neg 0, keyed by path inside the split', async () => {
    // Arrange
    await writeFiles(dir, { ...reviews('train/', 2), ...reviews('test/', 1) });

    // Act
    const corpus = await openFolderCorpus(dir);
    const docs = await collect(corpus.stream({ seed: 1, shuffle: false }));

    // Assert
    expect(corpus.size).toBe(4);
    expect(corpus.counts).toEqual({ pos: 2, neg: 2 });
    expect(corpus.description).toContain('4 documents');
    expect(docs).toEqual([
      { key: 'neg/0_2.txt', label: 0, text: 'bad film number 0' },
      { key: 'neg/1_2.txt', label: 0, text: 'bad film number 1' },
      { key: 'pos/0_9.txt', label: 1, text: 'good film number 0' },
      { key: 'pos/1_9.txt', label: 1, text: 'good film number 1' },
    ]);
  });

  it('reads a folder that has pos and neg directly', async () => {
    // Arrange
    await writeFiles(dir, reviews('', 3));

    // Act
    const corpus = await openFolderCorpus(dir);
    const docs = await collect(corpus.stream({ seed: 1, shuffle: false }));

    // Assert
    expect(docs.map((d) => d.key)).toEqual([
      'neg/0_2.txt',
      'neg/1_2.txt',
      'neg/2_2.txt',
      'pos/0_9.txt',
      'pos/1_9.txt',
      'pos/2_9.txt',
    ]);
  });

  it('with split test, reads the test folder of the root', async () => {
    // Arrange
    await writeFiles(dir, {
      ...reviews('train/', 3),
      'test/pos/7_10.txt': 'a test review',
      'test/neg/8_1.txt': 'another',
    });

    // Act
    const corpus = await openFolderCorpus(dir, { split: 'test' });
    const docs = await collect(corpus.stream({ seed: 1, shuffle: false }));

    // Assert
    expect(docs).toEqual([
      { key: 'neg/8_1.txt', label: 0, text: 'another' },
      { key: 'pos/7_10.txt', label: 1, text: 'a test review' },
    ]);
  });

  it('refuses split test when the root has no test folder, naming what is missing', async () => {
    // Arrange
    await writeFiles(dir, reviews('train/', 1));

    // Act
    const opening = openFolderCorpus(dir, { split: 'test' });

    // Assert
    await expect(opening).rejects.toThrow(InvalidInputError);
    await expect(opening).rejects.toThrow(/no complete test split \(missing test\/pos and test\/neg\)/);
  });

  it('refuses split test for a folder with pos and neg directly unless it is named test', async () => {
    // Arrange
    await writeFiles(dir, { ...reviews('alone/', 1), ...reviews('test/', 1) });

    // Act / Assert
    await expect(openFolderCorpus(`${dir}/alone`, { split: 'test' })).rejects.toThrow(/single split/);
    await expect(openFolderCorpus(`${dir}/test`, { split: 'test' })).resolves.toMatchObject({ size: 2 });
  });

  it('refuses a folder without pos and neg, saying what it needs', async () => {
    // Arrange
    await writeFiles(dir, { 'notes.txt': 'not a corpus', 'pos/1_9.txt': 'only positive' });

    // Act
    const opening = openFolderCorpus(dir);

    // Assert
    await expect(opening).rejects.toThrow(InvalidInputError);
    await expect(opening).rejects.toThrow(`corpus folder ${dir} has only pos; it needs both pos and neg`);
  });

  it('refuses a folder that does not exist', async () => {
    await expect(openFolderCorpus(`${dir}/missing`)).rejects.toThrow(/does not exist or is not a folder/);
  });

  it('refuses pos and neg folders without any .txt file', async () => {
    // Arrange
    await writeFiles(dir, { 'pos/readme.md': 'x', 'neg/data.csv': 'y' });

    // Act / Assert
    await expect(openFolderCorpus(dir)).rejects.toThrow(/no \.txt files/);
  });

  it('counts only .txt files and ignores other files and folders', async () => {
    // Arrange
    await writeFiles(dir, {
      ...reviews('train/', 1),
      'train/pos/urls.lst': 'http://example.com',
      'train/neg/nested/3_1.txt': 'inside a subfolder',
      'train/unsup/0_0.txt': 'unlabelled',
      'train/labeledBow.feat': '0:1',
    });

    // Act
    const corpus = await openFolderCorpus(dir);

    // Assert
    expect(corpus.size).toBe(2);
  });

  it('gives the same order for the same seed and another order for another seed', async () => {
    // Arrange
    await writeFiles(dir, reviews('', 20));
    const corpus = await openFolderCorpus(dir);
    const keysFor = async (seed: number): Promise<string[]> =>
      (await collect(corpus.stream({ seed, shuffle: true }))).map((d) => d.key);

    // Act
    const first = await keysFor(5);
    const again = await keysFor(5);
    const other = await keysFor(6);

    // Assert
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first).not.toEqual([...first].sort());
  });

  it('with shuffle false gives documents sorted by key, whatever the seed', async () => {
    // Arrange
    await writeFiles(dir, reviews('', 12));
    const corpus = await openFolderCorpus(dir);

    // Act
    const a = (await collect(corpus.stream({ seed: 1, shuffle: false }))).map((d) => d.key);
    const b = (await collect(corpus.stream({ seed: 99, shuffle: false }))).map((d) => d.key);

    // Assert
    expect(a).toEqual([...a].sort());
    expect(b).toEqual(a);
  });

  it('streams every document exactly once, with its own text', async () => {
    // Arrange: 2 x 50 files in one shuffled pass
    await writeFiles(dir, reviews('', 50));
    const corpus = await openFolderCorpus(dir);

    // Act
    const docs = await collect(corpus.stream({ seed: 123, shuffle: true }));

    // Assert
    expect(docs).toHaveLength(100);
    expect(new Set(docs.map((d) => d.key)).size).toBe(100);
    for (const doc of docs) {
      const [, id] = /^(?:pos|neg)\/(\d+)_/.exec(doc.key) ?? [];
      expect(doc.text).toBe(`${doc.label === 1 ? 'good' : 'bad'} film number ${id}`);
    }
  });

  it('lets a consumer stop early without reading the rest', async () => {
    // Arrange
    await writeFiles(dir, reviews('', 30));
    const corpus = await openFolderCorpus(dir);

    // Act
    const firstThree: string[] = [];
    for await (const doc of corpus.stream({ seed: 1, shuffle: true })) {
      firstThree.push(doc.key);
      if (firstThree.length === 3) break;
    }

    // Assert
    expect(firstThree).toHaveLength(3);
  });

  it('reads the mini-imdb fixture: 120 training and 40 test reviews, half of them positive', async () => {
    // Act
    const train = await openFolderCorpus(MINI_IMDB);
    const test = await openFolderCorpus(MINI_IMDB, { split: 'test' });
    const docs = await collect(test.stream({ seed: 1, shuffle: true }));

    // Assert
    expect(train.counts).toEqual({ pos: 60, neg: 60 });
    expect(test.counts).toEqual({ pos: 20, neg: 20 });
    expect(docs.filter((d) => d.label === 1)).toHaveLength(20);
    expect(docs.every((d) => d.text.length > 50)).toBe(true);
  });
});
