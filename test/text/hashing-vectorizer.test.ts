import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt } from '../../src/corpus/random.js';
import type { FeatureSettings } from '../../src/text/feature-settings.js';
import { columnOf, HashingVectorizer, maskedColumnOf, normalizeL2 } from '../../src/text/hashing-vectorizer.js';
import { murmur3 } from '../../src/text/murmur3.js';
import { rowOf, type SparseRow } from '../../src/text/sparse-row.js';
import { tokenize } from '../../src/text/tokenizer.js';

interface FixtureRecord {
  text: string;
  tokens: string[];
  stopWordsRemoved: boolean;
  indices: number[];
  values: number[];
}

interface FixtureMeta {
  params: {
    n_features: number;
    norm: string | null;
    alternate_sign: boolean;
    binary: boolean;
    ngram_range: [number, number];
  };
  stopWordsRemoved: boolean;
  specialTokens: { minInt32Hash: string; cancelsGreat: string; doublesGreat: string };
}

function readFixture(file: string): { meta: FixtureMeta; records: FixtureRecord[] } {
  const path = fileURLToPath(new URL(`../fixtures/sklearn-hashing/${file}`, import.meta.url));
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const meta = (JSON.parse(lines[0]) as { meta: FixtureMeta }).meta;
  return { meta, records: lines.slice(1).map((line) => JSON.parse(line) as FixtureRecord) };
}

/** Our FeatureSettings for the scikit-learn parameters a fixture was made with. */
function settingsOf(meta: FixtureMeta): FeatureSettings {
  const { params } = meta;
  return {
    nFeatures: params.n_features,
    ngramMin: params.ngram_range[0],
    ngramMax: params.ngram_range[1],
    removeStopWords: meta.stopWordsRemoved,
    binary: params.binary,
    alternateSign: params.alternate_sign,
    l2Normalize: params.norm === 'l2',
  };
}

/** The row as scikit-learn stores it: explicit zeros dropped, indices ascending. */
function canonical(row: SparseRow): { indices: number[]; values: number[] } {
  const pairs: [number, number][] = [];
  for (let k = 0; k < row.length; k++) if (row.values[k] !== 0) pairs.push([row.indices[k], row.values[k]]);
  pairs.sort((a, b) => a[0] - b[0]);
  return { indices: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) };
}

/** Differences between our vector and scikit-learn's for one record (empty when they agree). */
function differences(vectorizer: HashingVectorizer, record: FixtureRecord): string[] {
  const ours = canonical(vectorizer.transform(record.text));
  if (JSON.stringify(ours.indices) !== JSON.stringify(record.indices)) {
    return [`indices differ for ${JSON.stringify(record.text.slice(0, 60))}`];
  }
  return ours.values.flatMap((value, k) =>
    Math.abs(value - record.values[k]) <= 1e-6
      ? []
      : [
          `value at ${record.indices[k]}: ${value} vs ${record.values[k]} for ${JSON.stringify(record.text.slice(0, 60))}`,
        ],
  );
}

const UNNORMALIZED: FeatureSettings = {
  nFeatures: 2 ** 21,
  ngramMin: 1,
  ngramMax: 1,
  removeStopWords: false,
  binary: false,
  alternateSign: true,
  l2Normalize: false,
};

describe('HashingVectorizer against scikit-learn 1.2', () => {
  for (const file of ['vectors.jsonl', 'vectors-ngrams.jsonl']) {
    describe(file, () => {
      const { meta, records } = readFixture(file);

      it('tokenizes every record into the tokens scikit-learn saw', () => {
        // Arrange
        const vectorizer = new HashingVectorizer(settingsOf(meta));

        // Act
        const mismatched = records.filter(
          (r) =>
            JSON.stringify(tokenize(r.text, { removeStopWords: r.stopWordsRemoved })) !== JSON.stringify(r.tokens) ||
            JSON.stringify(vectorizer.tokenize(r.text)) !== JSON.stringify(r.tokens),
        );

        // Assert
        expect(records.length).toBeGreaterThan(30);
        expect(mismatched.map((r) => r.text.slice(0, 60))).toEqual([]);
      });

      it('gives every record the sparse vector scikit-learn gave it: indices exactly, values to 1e-6', () => {
        // Arrange
        const vectorizer = new HashingVectorizer(settingsOf(meta));

        // Act
        const problems = records.flatMap((record) => differences(vectorizer, record));

        // Assert
        expect(problems).toEqual([]);
      });
    });
  }

  it('covers at least 200 real reviews and the edge cases in the main fixture', () => {
    // Arrange
    const { meta, records } = readFixture('vectors.jsonl');

    // Assert
    expect(records.length).toBeGreaterThanOrEqual(250);
    expect(meta.params).toMatchObject({ n_features: 2 ** 21, norm: 'l2', alternate_sign: true, binary: false });
  });
});

describe('HashingVectorizer hashing edge cases', () => {
  const { meta } = readFixture('vectors.jsonl');
  const { minInt32Hash, cancelsGreat, doublesGreat } = meta.specialTokens;

  it('maps the token hashing to -2^31 to column 2^31 mod n_features, with a negative sign', () => {
    // Arrange
    const vectorizer = new HashingVectorizer(UNNORMALIZED);
    const odd = new HashingVectorizer({ ...UNNORMALIZED, nFeatures: 3 });

    // Act
    const row = canonical(vectorizer.transform(minInt32Hash));
    const oddRow = canonical(odd.transform(minInt32Hash));

    // Assert
    expect(row).toEqual({ indices: [0], values: [-1] });
    // 2^31 mod 3 = 2; an int32 abs() overflow would give -2^31 and a negative column.
    expect(oddRow).toEqual({ indices: [2], values: [-1] });
    expect(columnOf(-(2 ** 31), 3)).toBe(2);
    expect(columnOf(-(2 ** 31), 2 ** 21)).toBe(0);
  });

  it('gives the column of columnOf with a mask for every power-of-two hash space, -2^31 included', () => {
    // Arrange
    const hashes = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.constantFrom(-(2 ** 31), -1, 0, 2 ** 31 - 1),
    );
    const sizes = fc.integer({ min: 1, max: 28 }).map((bits) => 2 ** bits);

    // Act / Assert
    fc.assert(
      fc.property(hashes, sizes, (hash, n) => maskedColumnOf(hash, n - 1) === columnOf(hash, n)),
      { numRuns: 5000 },
    );
    expect(maskedColumnOf(-(2 ** 31), 2 ** 21 - 1)).toBe(0);
  });

  it('cancels two tokens that share a column with opposite signs, and adds two with the same sign', () => {
    // Arrange
    const signed = new HashingVectorizer(UNNORMALIZED);
    const unsigned = new HashingVectorizer({ ...UNNORMALIZED, alternateSign: false });
    const great = columnOf(murmur3(new TextEncoder().encode('great'), 0, 5), 2 ** 21);

    // Act
    const cancelled = canonical(signed.transform(`great ${cancelsGreat}`));
    const notCancelled = canonical(unsigned.transform(`great ${cancelsGreat}`));
    const doubled = canonical(signed.transform(`great ${doublesGreat}`));

    // Assert
    expect(cancelled).toEqual({ indices: [], values: [] });
    expect(notCancelled).toEqual({ indices: [great], values: [2] });
    expect(doubled).toEqual({ indices: [great], values: [2] });
  });

  it('counts repeated words, or marks them present once when binary', () => {
    // Arrange
    const counts = new HashingVectorizer({ ...UNNORMALIZED, alternateSign: false });
    const binary = new HashingVectorizer({ ...UNNORMALIZED, alternateSign: false, binary: true });

    // Act
    const counted = canonical(counts.transform('wow wow wow film'));
    const marked = canonical(binary.transform('wow wow wow film'));

    // Assert
    expect(counted.values.sort()).toEqual([1, 3]);
    expect(marked.values).toEqual([1, 1]);
  });

  it('hashes an n-gram as its tokens joined by one space, whatever separated them in the text', () => {
    // Arrange
    const bigrams = new HashingVectorizer({ ...UNNORMALIZED, ngramMin: 2, ngramMax: 2, alternateSign: false });
    const columnOfText = (g: string): number => columnOf(murmur3(new TextEncoder().encode(g), 0, g.length), 2 ** 21);

    // Act
    const fromText = canonical(bigrams.transform('Not <b>GOOD</b>!!  at\n all'));

    // Assert
    const expected = ['not good', 'good at', 'at all'].map(columnOfText).sort((a, b) => a - b);
    expect(fromText).toEqual({ indices: expected, values: [1, 1, 1] });
  });

  it('gives an empty row for empty text and a unit-length row otherwise when normalizing', () => {
    // Arrange
    const vectorizer = new HashingVectorizer({ ...UNNORMALIZED, l2Normalize: true });

    // Act
    const empty = vectorizer.transform('').length;
    const row = vectorizer.transform('a great great film, truly great :)');
    let sumSquares = 0;
    for (let k = 0; k < row.length; k++) sumSquares += row.values[k] ** 2;

    // Assert
    expect(empty).toBe(0);
    expect(sumSquares).toBeCloseTo(1, 12);
  });

  it('equals a naive Map-based vectorizer on a text with thousands of distinct n-grams, and on the text after it', () => {
    // Arrange: more distinct columns than the accumulator's initial table, so it must grow.
    const rng = mulberry32(3);
    const words = Array.from({ length: 6000 }, () => `w${randomInt(rng, 50_000)}`);
    const settings: FeatureSettings = { ...UNNORMALIZED, nFeatures: 2 ** 16, ngramMax: 2 };
    const vectorizer = new HashingVectorizer(settings);
    const naive = (text: string): { indices: number[]; values: number[] } => {
      const tokens = tokenize(text, { removeStopWords: false });
      const sums = new Map<number, number>();
      for (let n = 1; n <= 2; n++) {
        for (let i = 0; i + n <= tokens.length; i++) {
          const bytes = new TextEncoder().encode(tokens.slice(i, i + n).join(' '));
          const h = murmur3(bytes, 0, bytes.length);
          const j = columnOf(h, settings.nFeatures);
          sums.set(j, (sums.get(j) ?? 0) + (h < 0 ? -1 : 1));
        }
      }
      const indices = [...sums.keys()].filter((j) => sums.get(j) !== 0).sort((a, b) => a - b);
      return { indices, values: indices.map((j) => sums.get(j) as number) };
    };

    // Act
    const big = canonical(vectorizer.transform(words.join(' ')));
    const small = canonical(vectorizer.transform('a small text after a big one'));

    // Assert
    expect(big.indices.length).toBeGreaterThan(5000);
    expect(big).toEqual(naive(words.join(' ')));
    expect(small).toEqual(naive('a small text after a big one'));
  });
});

describe('normalizeL2', () => {
  it('scales a row to unit length in place and leaves an all-zero row alone', () => {
    // Arrange
    const row = rowOf([5, 9], [3, -4]);
    const zero = rowOf([1, 2], [0, 0]);

    // Act
    normalizeL2(row);
    normalizeL2(zero);

    // Assert
    expect(row.values[0]).toBeCloseTo(0.6, 15);
    expect(row.values[1]).toBeCloseTo(-0.8, 15);
    expect(Array.from(zero.values)).toEqual([0, 0]);
  });
});

describe('HashingVectorizer settings', () => {
  it('refuses a hash space or n-gram range it cannot use, naming the setting', () => {
    // Act + Assert
    expect(() => new HashingVectorizer({ ...UNNORMALIZED, nFeatures: 1 })).toThrow(/nFeatures/);
    expect(() => new HashingVectorizer({ ...UNNORMALIZED, nFeatures: 1000.5 })).toThrow(/nFeatures/);
    expect(() => new HashingVectorizer({ ...UNNORMALIZED, ngramMin: 2, ngramMax: 1 })).toThrow(/n-gram/);
    expect(() => new HashingVectorizer({ ...UNNORMALIZED, ngramMax: 4 })).toThrow(/n-gram/);
  });
});
