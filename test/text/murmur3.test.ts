import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt } from '../../src/corpus/random.js';
import { murmur3 } from '../../src/text/murmur3.js';

// The reference implementation (a dependency, CommonJS, without types). It returns the hash as
// an unsigned 32-bit integer; `| 0` reads it as signed, as scikit-learn's murmurhash3_32 does.
const reference = createRequire(import.meta.url)('murmurhash3js-revisited') as {
  x86: { hash32(bytes: Uint8Array, seed?: number): number };
};

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const hashOf = (text: string, seed = 0): number => murmur3(utf8(text), 0, utf8(text).length, seed);

describe('murmur3', () => {
  it('equals murmurhash3js-revisited, read as signed, on random byte strings of length 0..40 inside a larger buffer', () => {
    // Arrange
    const rng = mulberry32(7);
    const buffer = Uint8Array.from({ length: 4096 }, () => randomInt(rng, 256));
    const cases: { start: number; length: number; seed: number }[] = [];
    for (let length = 0; length <= 40; length++) {
      for (let k = 0; k < 25; k++) {
        const seed = k < 5 ? 0 : randomInt(rng, 2 ** 32);
        cases.push({ start: randomInt(rng, buffer.length - length), length, seed });
      }
    }

    // Act
    const mismatches = cases.filter(({ start, length, seed }) => {
      const expected = reference.x86.hash32(buffer.slice(start, start + length), seed) | 0;
      return murmur3(buffer, start, start + length, seed) !== expected;
    });

    // Assert
    expect(cases.length).toBe(41 * 25);
    expect(mismatches).toEqual([]);
  });

  it('reads only its range: bytes around the range do not change the hash', () => {
    // Arrange
    const word = utf8('wonderful');
    const padded = new Uint8Array(word.length + 6).fill(0xff);
    padded.set(word, 3);

    // Act
    const inside = murmur3(padded, 3, 3 + word.length);

    // Assert
    expect(inside).toBe(murmur3(word, 0, word.length));
  });

  it('gives the published values of MurmurHash3 x86 32-bit and of scikit-learn', () => {
    // Assert: murmurhash3js-revisited's README, sklearn's test_murmurhash.py, our own doc example.
    expect(hashOf('')).toBe(0);
    expect(hashOf('', 1)).toBe(1364076727);
    expect(hashOf('hello')).toBe(613153351);
    expect(hashOf('foo')).toBe(-156908512);
    expect(hashOf('foo', 42)).toBe(-1322301282);
    expect(hashOf('I will not buy this record, it is scratched.')).toBe(2832214938 - 2 ** 32);
    expect(hashOf('My hovercraft is full of eels.', 25)).toBe(2520298415 - 2 ** 32);
  });

  it('hashes UTF-8 bytes, so non-ASCII words and emoji get their reference values', () => {
    // Act
    const values = ['café', '日本語', '😀'].map((text) => hashOf(text));

    // Assert
    expect(values).toEqual(['café', '日本語', '😀'].map((text) => reference.x86.hash32(utf8(text)) | 0));
    expect(values[0]).toBe(605818632);
  });

  it('returns exactly -2^31 for the fixture token built to hash there', () => {
    // Act
    const h = hashOf('minint337000eshu');

    // Assert
    expect(h).toBe(-(2 ** 31));
  });
});
