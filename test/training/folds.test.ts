import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDocs, openCorpus } from '../../src/corpus/index.js';
import { aclImdbId, assignFolds } from '../../src/training/folds.js';
import { MINI_IMDB } from '../helpers/model.js';

const MINI_CSV = join(import.meta.dirname, '..', 'fixtures', 'mini-reviews.csv');
const dir = mkdtempSync(join(tmpdir(), 'movieclassifier-folds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('assignFolds', () => {
  it('keeps each aclImdb id in one fold, folds being contiguous id ranges of equal size', async () => {
    // Arrange
    const docs = await loadDocs(await openCorpus(join(MINI_IMDB, 'train')));

    // Act
    const folds = assignFolds(docs, 4, 1);

    // Assert
    expect(folds.grouping).toBe('id-ranges');
    const foldOfId = new Map<number, Set<number>>();
    docs.forEach((doc, i) => {
      const id = aclImdbId(doc.key) as number;
      foldOfId.set(id, (foldOfId.get(id) ?? new Set()).add(folds.fold[i]));
    });
    for (const set of foldOfId.values()) expect(set.size).toBe(1);
    const ranges = [0, 1, 2, 3].map((f) => {
      const ids = docs.filter((_, i) => folds.fold[i] === f).map((doc) => aclImdbId(doc.key) as number);
      return { min: Math.min(...ids), max: Math.max(...ids), size: ids.length };
    });
    // 60 ids (0..59) in each of pos and neg: 15 ids, 30 reviews a fold, in increasing ranges.
    expect(ranges).toEqual([
      { min: 0, max: 14, size: 30 },
      { min: 15, max: 29, size: 30 },
      { min: 30, max: 44, size: 30 },
      { min: 45, max: 59, size: 30 },
    ]);
  });

  it('does not move aclImdb folds with the seed, and deals random folds the same way for the same seed', async () => {
    // Arrange
    const imdb = await loadDocs(await openCorpus(join(MINI_IMDB, 'train')));
    const csv = await loadDocs(await openCorpus(MINI_CSV));

    // Act
    const [imdb1, imdb2] = [assignFolds(imdb, 5, 1), assignFolds(imdb, 5, 2)];
    const [csv1, csv1Again, csv2] = [assignFolds(csv, 5, 1), assignFolds(csv, 5, 1), assignFolds(csv, 5, 2)];

    // Assert
    expect(imdb1.fold).toEqual(imdb2.fold);
    expect(csv1.grouping).toBe('random');
    expect(csv1.fold).toEqual(csv1Again.fold);
    expect(csv1.fold).not.toEqual(csv2.fold);
    expect([0, 1, 2, 3, 4].map((f) => csv1.fold.filter((x) => x === f).length)).toEqual([8, 8, 8, 8, 8]);
  });

  it("keeps each group of a CSV's movie column whole in one fold", async () => {
    // Arrange: the mini CSV with a movie column, 10 movies of 4 rows, rows of a movie far apart.
    const rows = await loadDocs(await openCorpus(MINI_CSV));
    const path = join(dir, 'movies.csv');
    const quote = (text: string): string => `"${text.replaceAll('"', '""')}"`;
    writeFileSync(
      path,
      ['review,sentiment,movie', ...rows.map((doc, i) => `${quote(doc.text)},${doc.label},m${i % 10}`)].join('\n'),
    );
    const docs = await loadDocs(await openCorpus(path));

    // Act
    const folds = assignFolds(docs, 5, 3);

    // Assert
    expect(docs.every((doc) => doc.group !== undefined)).toBe(true);
    expect(folds.grouping).toBe('group-column');
    for (let m = 0; m < 10; m++) {
      const inFolds = new Set(docs.flatMap((doc, i) => (doc.group === `m${m}` ? [folds.fold[i]] : [])));
      expect(inFolds.size).toBe(1);
    }
    expect([0, 1, 2, 3, 4].map((f) => folds.fold.filter((x) => x === f).length)).toEqual([8, 8, 8, 8, 8]);
  });

  it('refuses more folds than groups, saying what to do', () => {
    // Arrange
    const docs = [
      { key: 'line:2', group: 'a' },
      { key: 'line:3', group: 'b' },
    ];

    // Act / Assert
    expect(() => assignFolds(docs, 3, 1)).toThrow(/fold 3 of 3 is empty .*use fewer folds/);
    expect(() => assignFolds(docs, 1, 1)).toThrow(/k >= 2/);
  });
});
