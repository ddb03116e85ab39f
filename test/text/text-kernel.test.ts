import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt } from '../../src/corpus/random.js';
import { columnOf } from '../../src/text/hashing-vectorizer.js';
import { murmur3 } from '../../src/text/murmur3.js';
import { SparseAccumulator, type FeatureSums } from '../../src/text/sparse-accumulator.js';
import { TextKernel } from '../../src/text/text-kernel.js';
import { scanTextTokens, scanTokens, TokenBuffer } from '../../src/text/token-scanner.js';
import { compileKernel, kernelModuleText } from '../../scripts/build-wasm.js';

/** Everything a scan leaves in a token buffer that the vectorizer and explanations read. */
function snapshot(buffer: TokenBuffer) {
  const { count, length } = buffer;
  return {
    count,
    length,
    bytes: Array.from(buffer.bytes.subarray(0, length)),
    starts: Array.from(buffer.starts.subarray(0, count)),
    ends: Array.from(buffer.ends.subarray(0, count)),
    hashes: Array.from(buffer.hashes.subarray(0, count)),
    scanStarts: Array.from(buffer.scanStarts.subarray(0, count)),
    scanEnds: Array.from(buffer.scanEnds.subarray(0, count)),
    spans: (({ starts, ends }) => ({ starts: Array.from(starts), ends: Array.from(ends) }))(buffer.textSpans()),
  };
}

/** What the TypeScript scanner leaves for `text`, without stop-word removal. */
function reference(text: string) {
  const buffer = new TokenBuffer();
  scanTextTokens(text, false, buffer);
  return snapshot(buffer);
}

// ASCII pieces that exercise each branch of the kernel: words in both cases, digits, "_", tags
// (closed, unclosed, nested "<"), emoticons with and without the dash and their near misses,
// emoticons right before a tag, separators of every kind.
const PIECES = [
  'film',
  'Great',
  'NOT',
  'x_y',
  '_',
  '42',
  'A',
  'z',
  'Zz9',
  ' ',
  '  ',
  '\n',
  '\t',
  '\r',
  '\0',
  '\x7f',
  '.',
  ',',
  '!',
  '"',
  "'",
  '-',
  '--',
  '(',
  ')',
  '[',
  '@',
  '`',
  '{',
  '~',
  '<br />',
  '<b>',
  '</b>',
  '<',
  '>',
  '< 5 >',
  '<a href="x">',
  '<br/><br/>',
  '<<b>',
  'a<b>c',
  '<3',
  ':)',
  ':(',
  ';)',
  ';(',
  '=)',
  '=(',
  ':-)',
  ':-(',
  ';-)',
  '=-(',
  ':D',
  ':-',
  ':--)',
  '::)',
  '=:(',
  ':-:)',
  ':<b>)',
  ':-<i>(',
  ';<',
  ':-<',
  '=<br />(',
];
// Non-ASCII pieces: letters and numbers of other scripts, separators, characters whose lower case
// is longer ("İ") or depends on context (final "Σ"), astral characters, lone surrogates.
const UNICODE_PIECES = [
  'café',
  'naïve',
  'ÜBER',
  '日本語',
  'Ελληνικά',
  'ΟΔΟΣ',
  'ΣΑΣ ',
  'straße',
  'ẞ',
  'İstanbul',
  'ǅ',
  'ı',
  'cafe\u0301',
  'हिन्दी',
  '½',
  '²',
  '٣',
  'ⅻ',
  '\u00a0',
  '\u2009',
  '\u200b',
  '\u2028',
  '’',
  '“',
  '…',
  '–',
  '\u0096',
  '\ufffd',
  '😀',
  '🎬',
  '𝐁𝐨𝐥𝐝',
  '\ud800',
  '\udc00',
];
const pieceText = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((pieces) => pieces.join(''));
const asciiText = fc.string({ unit: 'binary-ascii', maxLength: 200 });
const unicodePieceText = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.constantFrom(...UNICODE_PIECES)), { maxLength: 40 })
  .map((pieces) => pieces.join(''));
const unicodeText = fc.string({ unit: 'binary', maxLength: 100 });

/** The decision's dot product as the plain loop computes it: what the kernel's `score` must give. */
function referenceScore(sums: FeatureSums, table: Float32Array, offset: number, binary: boolean) {
  let dot = 0;
  let sumSquares = 0;
  const shares: number[] = [];
  for (let k = 0; k < sums.size; k++) {
    const at = sums.order[k] * 2;
    const value = binary ? Math.sign(sums.sums[k]) : sums.sums[k];
    const scaled = value * (table[at] + offset);
    const term = scaled * table[at + 1];
    shares.push(term);
    dot += term;
    sumSquares += scaled * scaled;
  }
  return { dot, sumSquares, shares };
}

/** A kernel holding a table of `nFeatures` (scale, weight) pairs of random float32s. */
function kernelWithTable(nFeatures: number, seed: number): TextKernel {
  const kernel = new TextKernel();
  const table = kernel.holdTable(2 * nFeatures);
  const random = mulberry32(seed);
  for (let j = 0; j < table.length; j++) table[j] = (random() - 0.5) * 8;
  return kernel;
}

describe('TextKernel', () => {
  it('hashes like murmur3 on random byte strings of length 0..40, and on the fixed vector "hello"', () => {
    // Arrange
    const kernel = new TextKernel();
    const rng = mulberry32(11);
    const strings = Array.from({ length: 41 * 20 }, (_, k) =>
      Uint8Array.from({ length: k % 41 }, () => randomInt(rng, 256)),
    );

    // Act
    const mismatches = strings.filter((bytes) => kernel.hash(bytes) !== murmur3(bytes, 0, bytes.length));

    // Assert
    expect(mismatches).toEqual([]);
    expect(kernel.hash(new TextEncoder().encode('hello'))).toBe(613153351);
  });

  it('leaves the same tokens, bytes, hashes and spans as the TypeScript scanner on random texts, ASCII or not', () => {
    // Arrange
    const buffer = new TokenBuffer();

    // Act / Assert: a text the kernel declines goes to the TypeScript scanner, so scanTokens must
    // agree either way; most texts must be the kernel's (checked by the count below).
    let byKernel = 0;
    fc.assert(
      fc.property(fc.oneof(pieceText, asciiText, unicodePieceText, unicodeText), (text) => {
        if (buffer.scanWithKernel(text)) byKernel++;
        scanTokens(text, false, buffer);
        expect(snapshot(buffer)).toEqual(reference(text));
      }),
      { numRuns: 4000 },
    );
    expect(byKernel).toBeGreaterThan(2500);
  });

  it('sums n-grams by column as a Map over murmur3 and columnOf does, in first-seen order, for any settings', () => {
    // Arrange
    const buffer = new TokenBuffer();
    const settings = fc.record({
      ngramMin: fc.integer({ min: 1, max: 3 }),
      extra: fc.integer({ min: 0, max: 2 }),
      nFeatures: fc.oneof(fc.constantFrom(2, 3, 1000, 2 ** 20, 2 ** 21, 2 ** 28), fc.integer({ min: 2, max: 2 ** 28 })),
      alternateSign: fc.boolean(),
    });

    // Act / Assert
    fc.assert(
      fc.property(fc.oneof(pieceText, asciiText), settings, (text, { ngramMin, extra, nFeatures, alternateSign }) => {
        const ngramMax = Math.min(3, ngramMin + extra);
        fc.pre(buffer.scanWithKernel(text));
        const sums = new Map<number, number>();
        const entries: number[] = [];
        for (let n = ngramMin; n <= ngramMax; n++) {
          for (let i = 0; i + n <= buffer.count; i++) {
            const h = murmur3(buffer.bytes, buffer.starts[i], buffer.ends[i + n - 1]);
            const column = columnOf(h, nFeatures);
            sums.set(column, (sums.get(column) ?? 0) + (alternateSign && h < 0 ? -1 : 1));
            entries.push([...sums.keys()].indexOf(column));
          }
        }
        const kernel = buffer.kernelOfLastScan() as TextKernel;
        const actual = kernel.accumulate(ngramMin, ngramMax, nFeatures, alternateSign);
        expect(Array.from(actual.order.subarray(0, actual.size))).toEqual([...sums.keys()]);
        expect(Array.from(actual.sums.subarray(0, actual.size))).toEqual([...sums.values()]);
        expect(Array.from(kernel.gramEntries())).toEqual(entries);
      }),
      { numRuns: 1500 },
    );
  });

  it('declines a text with a character outside the BMP, and one with an emoticon character right before a tag', () => {
    // Arrange
    const kernel = new TextKernel();

    // Act / Assert
    expect(kernel.scan('café')).toBe(true);
    expect(kernel.scan('a 😀 b')).toBe(false);
    expect(kernel.scan('\ud800')).toBe(true); // a lone surrogate is a separator, as U+FFFD
    expect(kernel.scan('wow :<b>)')).toBe(false);
    expect(kernel.scan('wów :<b>)')).toBe(true); // tags are gone before a non-ASCII text's scan
    expect(kernel.scan('wow :-<b>)')).toBe(false);
    expect(kernel.scan('wow :) <b>')).toBe(true);
    expect(kernel.scan('3 < 4 :<')).toBe(true); // no ">" after the "<": no tag, the kernel goes on
  });

  it('grows its memory for a text longer than any before, and still scans short ones after it', () => {
    // Arrange
    const buffer = new TokenBuffer();
    const long = 'This <b>movie</b> was GREAT :-) but_not good;( '.repeat(5_000);

    // Act
    const scannedLong = buffer.scanWithKernel(long);
    const longTokens = snapshot(buffer);
    const scannedShort = buffer.scanWithKernel('just two');

    // Assert
    expect(scannedLong).toBe(true);
    expect(longTokens.count).toBe(40_000);
    // Compared as text: a diff of two 200 KB snapshots would take vitest minutes to print.
    expect(JSON.stringify(longTokens) === JSON.stringify(reference(long))).toBe(true);
    expect(scannedShort).toBe(true);
    expect(Array.from({ length: buffer.count }, (_, k) => buffer.token(k))).toEqual(['just', 'two']);
  });

  it('leaves the tokens in the kernel until asked when told not to copy, then gives what a copying scan gives', () => {
    // Arrange
    const lazy = new TokenBuffer();
    const eager = new TokenBuffer();
    const text = 'A <b>great</b> film, naïve and ΟΔΟΣ-long :-) Loved it';
    lazy.scanWithKernel('something else entirely, longer than the text after it to leave stale bytes behind');

    // Act
    const scanned = lazy.scanWithKernel(text, false);
    const tokens = Array.from({ length: lazy.count }, (_, k) => lazy.token(k));
    eager.scanWithKernel(text);

    // Assert
    expect(scanned).toBe(true);
    expect(tokens).toEqual(['a', 'great', 'film', 'naïve', 'and', 'οδος', 'long', 'loved', 'it:)']);
    expect(snapshot(lazy)).toEqual(snapshot(eager));
    expect(snapshot(eager)).toEqual(reference(text));
  });

  it('scores its own sums against the table as the plain loop does, to the last bit, binary or not, with and without shares', () => {
    // Arrange
    const nFeatures = 5000;
    const kernel = kernelWithTable(nFeatures, 7);
    const cases = fc.record({
      text: fc.oneof(pieceText, asciiText),
      offset: fc.double({ min: -3, max: 3, noNaN: true }),
      binary: fc.boolean(),
      withShares: fc.boolean(),
    });

    // Act / Assert
    fc.assert(
      fc.property(cases, ({ text, offset, binary, withShares }) => {
        fc.pre(kernel.scan(text));
        const sums = kernel.accumulate(1, 2, nFeatures, true);
        const expected = referenceScore(sums, kernel.table, offset, binary);
        const dot = kernel.score(sums, offset, binary, withShares);
        expect(dot).toBe(expected.dot);
        expect(kernel.sumSquares).toBe(expected.sumSquares);
        if (withShares) expect(Array.from(kernel.shares(sums.size))).toEqual(expected.shares);
      }),
      { numRuns: 500 },
    );
  });

  it("scores the TypeScript accumulator's sums too, copying them in, however many columns they have", () => {
    // Arrange
    const nFeatures = 1 << 16;
    const kernel = kernelWithTable(nFeatures, 11);
    const random = mulberry32(3);
    const accumulator = new SparseAccumulator();

    // Act / Assert: from a few columns to more than the kernel's regions held at first
    for (const columns of [0, 1, 17, 5000, 40_000]) {
      accumulator.clear();
      for (let k = 0; k < columns; k++) accumulator.add(randomInt(random, nFeatures), randomInt(random, 5) - 2);
      const expected = referenceScore(accumulator, kernel.table, 0.25, false);
      expect(kernel.score(accumulator, 0.25, false, true)).toBe(expected.dot);
      expect(kernel.sumSquares).toBe(expected.sumSquares);
      expect(Array.from(kernel.shares(accumulator.size))).toEqual(expected.shares);
    }
  });

  it('keeps its table where it was when a long text grows the memory, and holds only one', () => {
    // Arrange
    const kernel = kernelWithTable(1000, 5);
    const before = Array.from(kernel.table);

    // Act
    kernel.scan('a long review '.repeat(20_000));

    // Assert
    expect(Array.from(kernel.table)).toEqual(before);
    expect(() => kernel.holdTable(2000)).toThrow(/already holds a serving table/);
    expect(() => new TextKernel().score(new SparseAccumulator(), 0, false, false)).toThrow(/holds no serving table/);
  });

  it('is what the committed src/text/text-kernel.wasm.ts embeds (run `npm run build:wasm` after changing the kernel)', async () => {
    // Arrange
    const committed = readFileSync(
      fileURLToPath(new URL('../../src/text/text-kernel.wasm.ts', import.meta.url)),
      'utf8',
    );

    // Act
    const built = kernelModuleText(await compileKernel());

    // Assert
    expect(built).toBe(committed);
  });
});
