import { describe, expect, it } from 'vitest';

import {
  BANDS,
  fingerprint,
  normalizeReview,
  phrasesOf,
  SIGNATURE_SIZE,
  similarity,
} from '../../src/moderation/fingerprint.js';

/** A long review (49 words): long enough that one changed word leaves most 3-shingles intact. */
const LONG_REVIEW =
  'The film opens on a quiet harbour town where an old fisherman remembers the storm that took his brother, ' +
  'and the director lets every scene breathe with patient long takes, warm light and a score that never tells ' +
  'you what to feel until the final moments on the pier.';
const UNRELATED_REVIEW = 'A boring, awful mess. The plot was dull and the acting was terrible and nobody cared at all.';

/** The near-duplicate attack of issue 9: the same sentence with 0 to 49 exclamation marks. */
const ATTACK = Array.from({ length: 50 }, (_, i) => `This movie was great, I really loved it. ${'!'.repeat(i)}`);

describe('normalizeReview', () => {
  it.each([
    ['case', 'GREAT Film', 'great film'],
    ['whitespace runs, tabs and newlines', '  great \t\n  film  ', 'great film'],
    ['punctuation and symbols', 'great, film! (truly?) *****', 'great film truly'],
    ['repeated characters', 'Goooood fiiiilm!!!', 'god film'],
    ['digits: every run is one 0', 'loved it 10/10, 9/10 in 2024', 'loved it 0 0 0 0 in 0'],
    ['HTML tags', 'I <b>loved</b> it<br /><br />so much', 'i loved it so much'],
    ['full-width letters (compatibility folding)', 'Ｇｒｅａｔ ＦＩＬＭ', 'great film'],
    ['a combining accent, dropped', 'cafe\u0301 noir', 'cafe noir'],
    ['a precomposed accent, dropped', 'caf\u00e9 noir', 'cafe noir'],
    ['a zero-width space inside a word, dropped', 'gr\u200beat film', 'great film'],
    ['a soft hyphen and a zero-width joiner inside words, dropped', 'gr\u00adeat fi\u200dlm', 'great film'],
    ['a combining grapheme joiner inside a word, dropped', 'gr\u034feat film', 'great film'],
    ['control characters between words', 'great\u0000film\u0007here', 'great film here'],
  ])('folds %s', (_case, text, expected) => {
    expect(normalizeReview(text)).toBe(expected);
  });

  it('gives the example of its documentation', () => {
    expect(normalizeReview('GREAT!!!  Loved it 10/10')).toBe('great loved it 0 0');
    expect(normalizeReview('great! loved it 9/10')).toBe('great loved it 0 0');
  });

  it('drops an invisible format character inside a word, so the word reads as it looks', () => {
    // A zero-width space, a soft hyphen or a zero-width joiner cannot be seen: "gr\u200beat" looks
    // like "great", so it must not become a different text (the documentation says "dropped").
    expect(normalizeReview('This movie was gr\u200beat')).toBe('this movie was great');
    expect(normalizeReview('This movie was gre\u00adat')).toBe('this movie was great');
    expect(normalizeReview('This movie was gre\u200dat')).toBe('this movie was great');
  });
});

describe('fingerprint', () => {
  it.each([
    ['15 NUL characters', '\u0000'.repeat(15)],
    ['15 zero-width spaces', '\u200b'.repeat(15)],
    ['15 byte-order marks', '\ufeff'.repeat(15)],
    ['punctuation and digits only', '!!! 12345 ??? ... 67890 ***'],
    ['an HTML tag only', '<img src="x" onerror="y">'],
  ])('counts no words in %s, and gives it no band keys', (_case, text) => {
    const print = fingerprint(text);

    expect(print.words).toBe(0);
    expect(print.bandKeys).toEqual([]);
  });

  it('counts words as runs holding a letter, not digits', () => {
    expect(fingerprint('I loved it 10/10').words).toBe(3);
    expect(fingerprint('Great film, really great.').words).toBe(4);
  });

  it('gives every variant of the exclamation-mark attack the same normalized hash', () => {
    const hashes = new Set(ATTACK.map((text) => fingerprint(text).normalizedHash));

    expect(hashes.size).toBe(1);
    expect([...hashes][0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives texts that differ in case, spacing and repeats the same normalized hash and signature', () => {
    const a = fingerprint('This movie was great, I really loved it.');
    const b = fingerprint('  THIS   movie was greeeat!!! I really LOVED it  ');

    expect(b.normalizedHash).toBe(a.normalizedHash);
    expect(Array.from(b.signature)).toEqual(Array.from(a.signature));
    expect(b.bandKeys).toEqual(a.bandKeys);
  });

  it('gives different texts different normalized hashes', () => {
    expect(fingerprint('This movie was great').normalizedHash).not.toBe(
      fingerprint('This movie was awful').normalizedHash,
    );
  });

  it(`has a signature of ${SIGNATURE_SIZE} values and ${BANDS} band keys, one per band, each tagged with its band`, () => {
    const print = fingerprint(LONG_REVIEW);

    expect(print.signature).toBeInstanceOf(Uint32Array);
    expect(print.signature.length).toBe(SIGNATURE_SIZE);
    expect(print.bandKeys).toHaveLength(BANDS);
    print.bandKeys.forEach((key, band) => {
      expect(Number.isSafeInteger(key)).toBe(true);
      expect(Math.floor(key / 2 ** 32)).toBe(band);
    });
  });

  it('keeps a signature stable: the values stored in databases never change', () => {
    // Regression fixture, computed once from this implementation. Signatures, band keys and
    // normalized hashes are written into review_db and review_bands; if this test fails, rows
    // already stored would no longer be compared with new ones correctly.
    const print = fingerprint('This movie was great, I really loved it.');

    expect(print.normalizedHash).toBe('0f75cd99add944e2a590359d4ad5350f');
    expect(print.words).toBe(8);
    expect(Array.from(print.signature.slice(0, 8))).toEqual([
      759926707, 351085347, 119028088, 48349892, 624144819, 462269112, 133254738, 454645349,
    ]);
    expect(print.bandKeys.slice(0, 3)).toEqual([1853999267, 7033818517, 11454217911]);
  });

  it('keeps the long review fixture stable as well', () => {
    const print = fingerprint(LONG_REVIEW);

    expect(print.normalizedHash).toBe('b5d4dd02c5b32565e66cd5646a412b5a');
    expect(print.words).toBe(49);
    expect(Array.from(print.signature.slice(0, 8))).toEqual([
      240849149, 144149959, 102689694, 156520054, 34690, 190150716, 386312, 35491246,
    ]);
    expect(print.bandKeys.slice(0, 4)).toEqual([292066571, 4500596165, 10530974719, 15895189043]);
  });

  it('gives the same fingerprint on every call', () => {
    const first = fingerprint(LONG_REVIEW);
    const second = fingerprint(LONG_REVIEW);

    expect(Array.from(second.signature)).toEqual(Array.from(first.signature));
    expect(second.bandKeys).toEqual(first.bandKeys);
  });
});

describe('phrasesOf', () => {
  it("gives each of the fingerprint's phrases, in its order, with the words as written: repeated letters kept", () => {
    const text = 'Sooo GOOD!!! I really loved it, 10/10... in this movie.';

    const phrases = phrasesOf(text);

    expect(phrases.map(({ key }) => key)).toEqual(fingerprint(text).phraseKeys);
    expect(phrases.map(({ words }) => words)).toEqual([
      'sooo good i',
      'good i really',
      'i really loved',
      'really loved it',
      'loved it in', // numbers are no words; "it in this", "in this movie" are filler only
    ]);
  });
});

describe('similarity', () => {
  it('is 1 for identical texts', () => {
    expect(similarity(fingerprint(LONG_REVIEW).signature, fingerprint(LONG_REVIEW).signature)).toBe(1);
  });

  it('is 1 for the variants of the exclamation-mark attack', () => {
    const first = fingerprint(ATTACK[0]).signature;

    for (const text of ATTACK) expect(similarity(first, fingerprint(text).signature)).toBe(1);
  });

  it('is low for unrelated texts, and they share no band key', () => {
    const a = fingerprint(LONG_REVIEW);
    const b = fingerprint(UNRELATED_REVIEW);

    expect(similarity(a.signature, b.signature)).toBeLessThan(0.2);
    expect(a.bandKeys.filter((key) => b.bandKeys.includes(key))).toEqual([]);
  });

  it('is high (>= 0.7) for a long review with one word changed, and they share band keys', () => {
    const a = fingerprint(LONG_REVIEW);
    const b = fingerprint(LONG_REVIEW.replace('warm light', 'cold light'));

    expect(b.normalizedHash).not.toBe(a.normalizedHash);
    expect(similarity(a.signature, b.signature)).toBeGreaterThanOrEqual(0.7);
    expect(a.bandKeys.filter((key) => b.bandKeys.includes(key)).length).toBeGreaterThan(0);
  });

  it('is symmetric and in [0, 1]', () => {
    const a = fingerprint(LONG_REVIEW).signature;
    const b = fingerprint(LONG_REVIEW.replace('pier', 'beach')).signature;

    const ab = similarity(a, b);
    expect(similarity(b, a)).toBe(ab);
    expect(ab).toBeGreaterThanOrEqual(0);
    expect(ab).toBeLessThanOrEqual(1);
  });
});
