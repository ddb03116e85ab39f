/**
 * MurmurHash3 x86 32-bit of `bytes[start, end)`, as a signed 32-bit integer.
 *
 * The same function as `murmurhash3js-revisited`'s `x86.hash32` (which the MinHash fingerprints
 * use, and the tests compare against) and as scikit-learn's `murmurhash3_32(positive=False)`, but it hashes a range of a
 * shared buffer instead of an array per token and multiplies with Math.imul: the vectorizer
 * hashes every n-gram of every review, so this is the innermost loop of training and prediction.
 *
 * @example murmur3(new TextEncoder().encode('hello'), 0, 5, 0) // 613153351
 */
export function murmur3(bytes: Uint8Array, start: number, end: number, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = end - start;
  const blocksEnd = start + (length & ~3);
  let h1 = seed | 0;
  let i = start;
  for (; i < blocksEnd; i += 4) {
    let k1 = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k1 = Math.imul(k1, c1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }
  // Tail: the last 1-3 bytes, little-endian, as in the reference's fall-through switch.
  const tail = length & 3;
  if (tail !== 0) {
    let k1 = bytes[i];
    if (tail >= 2) k1 ^= bytes[i + 1] << 8;
    if (tail === 3) k1 ^= bytes[i + 2] << 16;
    k1 = Math.imul(k1, c1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
  }
  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 | 0;
}
