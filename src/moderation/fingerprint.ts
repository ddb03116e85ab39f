import { createHash } from 'node:crypto';
import { hashBytes } from '../text/murmurhash3js.js';
import { ENGLISH_STOP_WORDS } from '../text/stop-words.js';

/** Hash functions in a MinHash signature. */
export const SIGNATURE_SIZE = 64;
/** LSH bands the signature is cut into; SIGNATURE_SIZE / BANDS values each. */
export const BANDS = 16;
const ROWS_PER_BAND = SIGNATURE_SIZE / BANDS;
/** Words per shingle: three keeps "not good at" apart from "good at all". */
const SHINGLE_WORDS = 3;

/** What the near-duplicate rule knows of a review; computed once, when its row is written. */
export interface Fingerprint {
  /** sha256 (hex, 32 characters) of the normalized text: equal for texts that differ only in case, spacing, punctuation, repeats or digits. */
  normalizedHash: string;
  /** Words in the normalized text (runs holding at least one letter). */
  words: number;
  /** MinHash over word 3-shingles: the share of equal positions estimates Jaccard similarity. */
  signature: Uint32Array;
  /** One key per LSH band (band number in the high bits): rows sharing a key are candidates. */
  bandKeys: number[];
  /**
   * The distinct word 3-shingles themselves (32-bit hashes, in order of first appearance) that
   * hold a word other than a filler word: the phrases the correction budget counts, since wrapping
   * a sentence in other words changes its signature but keeps these.
   */
  phraseKeys: number[];
}

// Per-position hash parameters, fixed: signatures are stored, so they must never change.
const MULTIPLIERS = new Uint32Array(SIGNATURE_SIZE);
const OFFSETS = new Uint32Array(SIGNATURE_SIZE);
{
  let state = 0x9e3779b9;
  const next = (): number => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return (state ^ (state >>> 13)) >>> 0;
  };
  for (let i = 0; i < SIGNATURE_SIZE; i++) {
    MULTIPLIERS[i] = next() | 1; // odd: a bijection on 32-bit words
    OFFSETS[i] = next();
  }
}

/**
 * The form two reviews are compared in: Unicode-compatibility decomposed, lower-case, invisible
 * format characters, combining marks (accents) and HTML tags dropped, control characters spaces, every run of digits one `0`, punctuation and symbols
 * spaces, every run of one repeated character that character once, whitespace single spaces.
 * "GREAT!!!  Loved it 10/10" and "great! loved it 9/10" both become "great loved it 0 0".
 */
export function normalizeReview(text: string): string {
  return collapseRepeats(readableForm(text));
}

/** normalizeReview's steps but the last: repeated characters kept ("good", not "god"). */
function readableForm(text: string): string {
  return (
    text
      .normalize('NFKD')
      .toLowerCase()
      .replace(/<[^>]*>/g, ' ')
      // Invisible format characters (zero-width space, soft hyphen, joiners) and combining marks
      // (accents, U+034F) are dropped, not made spaces: "gr\u200beat" must stay "great".
      .replace(/[\p{Cf}\p{M}]/gu, '')
      .replace(/\p{Cc}/gu, ' ')
      .replace(/\p{N}+/gu, '0')
      .replace(/[\p{P}\p{S}]/gu, ' ')
      .replace(/\s+/gu, ' ')
      .trim()
  );
}

/** Every run of one repeated character that character once; whitespace single spaces. */
function collapseRepeats(form: string): string {
  return form
    .replace(/(.)\1+/gu, '$1')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Words of a normalized text: space-separated runs that hold at least one letter. */
function wordsOf(normalized: string): string[] {
  return normalized === '' ? [] : normalized.split(' ').filter((word) => /\p{L}/u.test(word));
}

/**
 * Words that make a phrase no one's opinion: the stop words, and what every review here is
 * about, as the normalization writes them ("all" is "al"). A phrase of only these ("in this
 * movie", "it is a") is left out of the phrase budget: honest corrections of a day lean one way
 * on such phrases by chance of what the model gets wrong (the feedback loop held 42 of 472 truthful
 * corrections at 2 standard deviations, 16 without these phrases), while a sentence that is confidently positive or negative always has a
 * phrase with a word of its own ("movie was great").
 */
const FILLER_WORDS: ReadonlySet<string> = new Set(
  [...ENGLISH_STOP_WORDS, 'movie', 'movies', 'film', 'films', 's', 't'].map((word) => normalizeReview(word)),
);

/** Whether a shingle counts as a phrase for the budget: it holds a word other than a filler word. */
function isPhrase(shingle: string): boolean {
  return shingle.split(' ').some((word) => !FILLER_WORDS.has(word));
}

/** Each shingle of the words (3 words, or all of them when fewer) with its hash, in text order. */
function* shinglesOf(words: readonly string[]): Generator<{ text: string; key: number }> {
  const encoder = new TextEncoder();
  const width = Math.min(SHINGLE_WORDS, words.length);
  for (let i = 0; width > 0 && i + width <= words.length; i++) {
    const text = words.slice(i, i + width).join(' ');
    yield { text, key: hashBytes(encoder.encode(text), 0) };
  }
}

/** Fingerprint of a review for the near-duplicate, minimum-words and phrase-budget rules. */
export function fingerprint(text: string): Fingerprint {
  const normalized = normalizeReview(text);
  const words = wordsOf(normalized);
  const shingles = new Set<number>();
  const phrases = new Set<number>();
  for (const { text, key } of shinglesOf(words)) {
    shingles.add(key);
    if (isPhrase(text)) phrases.add(key);
  }
  const signature = new Uint32Array(SIGNATURE_SIZE).fill(0xffffffff);
  for (const shingle of shingles) {
    for (let i = 0; i < SIGNATURE_SIZE; i++) {
      const value = (Math.imul(shingle, MULTIPLIERS[i]) + OFFSETS[i]) >>> 0;
      if (value < signature[i]) signature[i] = value;
    }
  }
  const bandKeys: number[] = [];
  if (shingles.size > 0) {
    const bytes = new Uint8Array(signature.buffer);
    for (let band = 0; band < BANDS; band++) {
      const start = band * ROWS_PER_BAND * 4;
      // 2^32 * band + hash: distinct bands never collide, and the key stays a safe integer.
      bandKeys.push(band * 2 ** 32 + hashBytes(bytes.subarray(start, start + ROWS_PER_BAND * 4), band));
    }
  }
  return {
    normalizedHash: createHash('sha256').update(normalized).digest('hex').slice(0, 32),
    words: words.length,
    signature,
    bandKeys,
    phraseKeys: [...phrases],
  };
}

/**
 * The words of the phrase `key` of {@link Fingerprint.phraseKeys} in `text` (normalized, as
 * "movie was great"), or null when the text has no such phrase: for the reason an operator reads.
 */
export function phraseText(text: string, key: number): string | null {
  for (const shingle of shinglesOf(wordsOf(normalizeReview(text)))) if (shingle.key === key) return shingle.text;
  return null;
}

/**
 * Each phrase of {@link Fingerprint.phraseKeys}, in that order, with its words as a reader (and
 * the model) reads them: repeated letters kept, so "good" is not "god". Collapsing repeats never
 * joins or drops a word, so the two forms have the same words at the same places.
 */
export function phrasesOf(text: string): Array<{ key: number; words: string }> {
  const readable = wordsOf(readableForm(text));
  const found = new Map<number, string>();
  let i = 0;
  for (const { text: shingle, key } of shinglesOf(wordsOf(normalizeReview(text)))) {
    // Every shingle of a text of three words or more has three; a shorter text's one has them all.
    if (!found.has(key) && isPhrase(shingle)) found.set(key, readable.slice(i, i + SHINGLE_WORDS).join(' '));
    i++;
  }
  return [...found].map(([key, words]) => ({ key, words }));
}

/** Estimated Jaccard similarity of the shingle sets behind two signatures, in [0, 1]. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let equal = 0;
  for (let i = 0; i < SIGNATURE_SIZE; i++) if (a[i] === b[i]) equal++;
  return equal / SIGNATURE_SIZE;
}
