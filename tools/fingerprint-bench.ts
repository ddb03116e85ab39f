// How long the moderation rule's fingerprint (normalization, word 3-shingles hashed with
// MurmurHash3, a 64-value MinHash signature, 16 LSH band keys) takes per review:
// `npx tsx tools/fingerprint-bench.ts [FILE]` (default test/fixtures/bench-review.txt). Prints
// the median of 7 rounds; then the hashing alone (the review's shingles and 16 band slices), by
// murmurhash3js-revisited (what fingerprint uses) and by src/text/murmur3.ts, in alternating rounds.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { fingerprint, normalizeReview } from '../src/moderation/fingerprint.js';
import { murmur3 } from '../src/text/murmur3.js';
import { hashBytes } from '../src/text/murmurhash3js.js';

const file = process.argv[2] ?? path.join(import.meta.dirname, '..', 'test/fixtures/bench-review.txt');
const review = readFileSync(file, 'utf8');
const ROUNDS = 7;
const PER_ROUND = 3000;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

let sink = 0;
for (let i = 0; i < 1000; i++) sink += fingerprint(review).words; // warm-up: JIT
const perReview: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const started = performance.now();
  for (let i = 0; i < PER_ROUND; i++) sink += fingerprint(review).bandKeys.length;
  perReview.push(((performance.now() - started) * 1000) / PER_ROUND);
}
const wordCount = fingerprint(review).words;
process.stdout.write(
  `fingerprint_us_per_review=${median(perReview).toFixed(2)} (min ${Math.min(...perReview).toFixed(2)}, max ${Math.max(...perReview).toFixed(2)}) ` +
    `words=${wordCount} review_chars=${review.length} rounds=${ROUNDS}x${PER_ROUND} (${sink > 0 ? 'ok' : ''})\n`,
);

// The byte arrays fingerprint hashes for this review: each 3-word shingle, then 16 slices of 16 bytes.
const encoder = new TextEncoder();
const words = normalizeReview(review)
  .split(' ')
  .filter((word) => /\p{L}/u.test(word));
const arrays = words.slice(0, -2).map((_, i) => encoder.encode(words.slice(i, i + 3).join(' ')));
const signature = new Uint8Array(256);
for (let band = 0; band < 16; band++) arrays.push(signature.subarray(band * 16, band * 16 + 16));
const timeHashing = (hash: (bytes: Uint8Array) => number): number => {
  const started = performance.now();
  for (let i = 0; i < PER_ROUND; i++) for (const bytes of arrays) sink ^= hash(bytes);
  return ((performance.now() - started) * 1000) / PER_ROUND;
};
const library = (bytes: Uint8Array): number => hashBytes(bytes, 0);
const own = (bytes: Uint8Array): number => murmur3(bytes, 0, bytes.length, 0) >>> 0;
for (let i = 0; i < 3; i++) {
  timeHashing(library);
  timeHashing(own);
}
const byLibrary: number[] = [];
const byOwn: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  byLibrary.push(timeHashing(library));
  byOwn.push(timeHashing(own));
}
process.stdout.write(
  `hashing_us_per_review murmurhash3js_revisited=${median(byLibrary).toFixed(2)} src_text_murmur3=${median(byOwn).toFixed(2)} ` +
    `arrays=${arrays.length} (${sink === 0.5 ? '' : 'ok'})\n`,
);
