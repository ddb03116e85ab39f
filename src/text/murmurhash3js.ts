import { createRequire } from 'node:module';

/** murmurhash3js-revisited: CommonJS, without types. */
interface MurmurHash3js {
  x86: { hash32(bytes: Uint8Array, seed?: number): number };
}

const library = createRequire(import.meta.url)('murmurhash3js-revisited') as MurmurHash3js;

/**
 * MurmurHash3 x86 32-bit of a whole byte array, unsigned: murmurhash3js-revisited's
 * `x86.hash32`, where its API fits (the MinHash shingles and band keys hash whole arrays). The
 * vectorizer keeps src/text/murmur3.ts, which hashes a range of a shared buffer without an array
 * per token; both give the same hash (test/text/murmur3.test.ts).
 */
export function hashBytes(bytes: Uint8Array, seed: number): number {
  return library.x86.hash32(bytes, seed);
}
