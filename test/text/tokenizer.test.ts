import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt, type Rng } from '../../src/corpus/random.js';
import { murmur3 } from '../../src/text/murmur3.js';
import { scanTokens, TokenBuffer } from '../../src/text/token-scanner.js';
import { tokenize } from '../../src/text/tokenizer.js';
import { miniImdbDocs } from '../helpers/model.js';

const KEEP = { removeStopWords: false };
const REMOVE = { removeStopWords: true };

/** The tokens `scanTokens` leaves in a buffer, as strings. */
function scanned(text: string, removeStopWords: boolean, buffer = new TokenBuffer()): string[] {
  scanTokens(text, removeStopWords, buffer);
  return Array.from({ length: buffer.count }, (_, k) => buffer.token(k));
}

function fixtureTexts(): string[] {
  const texts: string[] = [];
  for (const file of ['vectors.jsonl', 'vectors-ngrams.jsonl']) {
    const path = fileURLToPath(new URL(`../fixtures/sklearn-hashing/${file}`, import.meta.url));
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0);
    for (const line of lines.slice(1)) texts.push((JSON.parse(line) as { text: string }).text);
  }
  for (const doc of [...miniImdbDocs('train'), ...miniImdbDocs('test')]) texts.push(doc.text);
  const csv = fileURLToPath(new URL('../fixtures/mini-reviews.csv', import.meta.url));
  texts.push(readFileSync(csv, 'utf8'));
  return texts;
}

// Pieces the random texts are made of: each one exercises a branch of the scanner (ASCII word,
// stop word, tag, emoticon and near-emoticon, non-ASCII word and separator, astral character,
// combining mark, lone surrogate, characters whose lower case is longer).
const PIECES = [
  'film',
  'Great',
  'NOT',
  'the',
  'and',
  'a',
  'i',
  'never',
  'x_y',
  '_',
  '42',
  '3.5',
  "don't",
  ' ',
  ' ',
  ' ',
  '  ',
  '\n',
  '\t',
  '.',
  ',',
  '!',
  '?',
  '"',
  "'",
  '-',
  '--',
  ':',
  ';',
  '=',
  '(',
  ')',
  '<br />',
  '<b>',
  '</b>',
  '<',
  '>',
  '< 5 >',
  '<a href="x">',
  '<br/><br/>',
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
  ':P',
  '=D',
  ';P',
  ':-',
  ':--)',
  '::)',
  '=:(',
  'café',
  'naïve',
  'ÜBER',
  '日本語',
  'Ελληνικά',
  'ΟΔΟΣ',
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
  '😀',
  '🎬',
  '𝐁𝐨𝐥𝐝',
  '\ud800',
  '\udc00',
];

function randomText(rng: Rng): string {
  const pieces = randomInt(rng, 25);
  let text = '';
  for (let k = 0; k < pieces; k++) text += PIECES[randomInt(rng, PIECES.length)];
  return text;
}

describe('tokenize', () => {
  it('removes HTML tags with nothing in their place', () => {
    // Arrange
    const text = 'Good.<br /><br />Film<b>ic</b> <a href="http://x.y/">link</a> text<br/>after';

    // Act
    const tokens = tokenize(text, KEEP);

    // Assert
    expect(tokens).toEqual(['good', 'filmic', 'link', 'textafter']);
  });

  it('removes what looks like a tag across line breaks and keeps an unclosed one as text', () => {
    // Arrange
    const spanning = '3 < 5 and\n7 > 2';
    const unclosed = 'unclosed <b tag';

    // Act
    const spanned = tokenize(spanning, KEEP);
    const kept = tokenize(unclosed, KEEP);

    // Assert
    expect(spanned).toEqual(['3', '2']);
    expect(kept).toEqual(['unclosed', 'b', 'tag']);
  });

  it('lower-cases and splits on runs of non-word characters, keeping digits and underscores', () => {
    // Act
    const tokens = tokenize('GREAT Movie, TERRIBLE   Ending!!! 10/10 snake_case', KEEP);

    // Assert
    expect(tokens).toEqual(['great', 'movie', 'terrible', 'ending', '10', '10', 'snake_case']);
  });

  it('appends emoticons at the end, in order, with the dash removed', () => {
    // Act
    const tokens = tokenize('Great :-) movie ;-( and =) fun =( !', KEEP);

    // Assert
    expect(tokens).toEqual(['great', 'movie', 'and', 'fun', ':)', ';(', '=)', '=(']);
  });

  it('never treats :D or :P as emoticons, because the pattern runs on lower-cased text', () => {
    // Act
    const tokens = tokenize('Ha :D and :P =D ;P', KEEP);

    // Assert
    expect(tokens).toEqual(['ha', 'd', 'and', 'p', 'd', 'p']);
  });

  it('glues the first emoticon to the last word when the text ends in a word, as the classic recipe does', () => {
    // Act
    const glued = tokenize(':) starts with a smile and ends with words', REMOVE);
    const notGlued = tokenize('ends with a smile :) !', REMOVE);

    // Assert
    expect(glued).toEqual(['starts', 'smile', 'ends', 'words:)']);
    expect(notGlued).toEqual(['ends', 'smile', ':)']);
  });

  it('keeps a stop word that has an emoticon glued to it, since "it:)" is not a stop word', () => {
    // Act
    const tokens = tokenize(':) loved it', REMOVE);

    // Assert
    expect(tokens).toEqual(['loved', 'it:)']);
  });

  it('treats Unicode letters and numbers as word characters and combining marks, emoji and odd spaces as separators', () => {
    // Arrange
    const text = 'Naïve CAFÉ 日本語 straße ΟΔΟΣ ½ 𝐁𝐨𝐥𝐝 cafe\u0301s emoji😀🎬film nbsp\u00a0thin\u2009zero\u200bend';

    // Act
    const tokens = tokenize(text, KEEP);

    // Assert
    expect(tokens).toEqual([
      'naïve',
      'café',
      '日本語',
      'straße',
      'οδος',
      '½',
      '𝐁𝐨𝐥𝐝',
      'cafe',
      's',
      'emoji',
      'film',
      'nbsp',
      'thin',
      'zero',
      'end',
    ]);
  });

  it('returns no tokens for empty text, blank text, or text that is only tags', () => {
    // Act
    const results = ['', '   \n\t', '<br /><br />', '<p> </p><div class="x"></div>'].map((t) => tokenize(t, REMOVE));

    // Assert
    expect(results).toEqual([[], [], [], []]);
  });

  it('drops English stop words when asked, but keeps negations such as "not" and "no"', () => {
    // Arrange
    const text = 'This is not a good film, and there is no plot';

    // Act
    const removed = tokenize(text, REMOVE);
    const kept = tokenize(text, KEEP);

    // Assert
    expect(removed).toEqual(['not', 'good', 'film', 'no', 'plot']);
    expect(kept).toEqual(['this', 'is', 'not', 'a', 'good', 'film', 'and', 'there', 'is', 'no', 'plot']);
  });

  it('splits contractions at the apostrophe, so "don\'t" gives "don" and "t"', () => {
    // Act
    const tokens = tokenize("I don't like it", KEEP);

    // Assert
    expect(tokens).toEqual(['i', 'don', 't', 'like', 'it']);
  });
});

describe('scanTokens', () => {
  it('gives the same tokens as tokenize on every fixture text, with and without stop words', () => {
    // Arrange
    const texts = fixtureTexts();
    const buffer = new TokenBuffer();

    // Act
    const mismatches = texts.flatMap((text) =>
      [true, false]
        .filter((remove) => {
          const expected = tokenize(text, { removeStopWords: remove });
          return JSON.stringify(scanned(text, remove, buffer)) !== JSON.stringify(expected);
        })
        .map((remove) => ({ text: text.slice(0, 80), remove })),
    );

    // Assert
    expect(texts.length).toBeGreaterThan(400);
    expect(mismatches).toEqual([]);
  });

  it('gives the same tokens as tokenize on 600 random texts of ASCII, punctuation, tags, emoticons and non-ASCII', () => {
    // Arrange
    const rng = mulberry32(20240607);
    const texts = Array.from({ length: 600 }, () => randomText(rng));
    const buffer = new TokenBuffer();

    // Act
    const mismatches = texts.flatMap((text, k) => {
      const remove = k % 2 === 0;
      const expected = tokenize(text, { removeStopWords: remove });
      const actual = scanned(text, remove, buffer);
      return JSON.stringify(actual) === JSON.stringify(expected) ? [] : [{ text, remove, expected, actual }];
    });

    // Assert
    expect(mismatches).toEqual([]);
  });

  it('ends a non-ASCII word cleanly at an emoji or other character outside the BMP', () => {
    // Arrange: the emoji is two UTF-16 units; the word before it must not take the first.
    const text = 'café😀 naïve🎬film ǅ𝄞 日本😀';

    // Act
    const tokens = scanned(text, false);

    // Assert
    expect(tokens).toEqual(['café', 'naïve', 'film', 'ǆ', '日本']);
    expect(tokens).toEqual(tokenize(text, KEEP));
  });

  it('lays tokens out one space apart with their MurmurHash3, so an n-gram is one contiguous byte range', () => {
    // Arrange
    const buffer = new TokenBuffer();
    const text = 'The <b>naïve</b> 日本語 critic :-) loved it, the end';

    // Act
    scanTokens(text, true, buffer);

    // Assert
    expect(buffer.count).toBe(5);
    expect(buffer.token(4)).toBe('end:)');
    for (let k = 0; k < buffer.count; k++) {
      expect(buffer.hashes[k]).toBe(
        murmur3(new TextEncoder().encode(buffer.token(k)), 0, Buffer.byteLength(buffer.token(k))),
      );
      if (k + 1 < buffer.count) {
        expect(buffer.bytes[buffer.ends[k]]).toBe(0x20);
        expect(buffer.starts[k + 1]).toBe(buffer.ends[k] + 1);
      }
    }
    const trigram = new TextDecoder().decode(buffer.bytes.subarray(buffer.starts[0], buffer.ends[2]));
    expect(trigram).toBe('naïve 日本語 critic');
  });

  it('starts afresh on each call when one buffer is reused for a long then a short text', () => {
    // Arrange
    const buffer = new TokenBuffer();
    scanTokens('word '.repeat(10_000), false, buffer);

    // Act
    const tokens = scanned('just two', false, buffer);

    // Assert
    expect(tokens).toEqual(['just', 'two']);
  });
});

describe('TokenBuffer.textSpans', () => {
  /** Each token of `text` with the stretch of the text its span covers, or null without a span. */
  function spansOf(text: string, removeStopWords: boolean): { token: string; typed: string | null }[] {
    const buffer = new TokenBuffer();
    scanTokens(text, removeStopWords, buffer);
    const { starts, ends } = buffer.textSpans();
    return Array.from({ length: buffer.count }, (_, k) => ({
      token: buffer.token(k),
      typed: starts[k] < 0 ? null : text.slice(starts[k], ends[k]),
    }));
  }

  it('places each token where it was typed, across tags, emoji and text whose lower case is longer', () => {
    // Arrange
    const text = 'The <b>naïve</b> 日本語 critic, İstanbul 😀 and R<br /><br />Hey: fun :-) FILM';

    // Act
    const spans = spansOf(text, false);

    // Assert
    expect(spans).toEqual([
      { token: 'the', typed: 'The' },
      { token: 'naïve', typed: 'naïve' },
      { token: '日本語', typed: '日本語' },
      { token: 'critic', typed: 'critic' },
      // "İ" lower-cases to "i" and a combining dot, which ends the token: no stretch of the text is "i".
      { token: 'i', typed: null },
      { token: 'stanbul', typed: 'stanbul' },
      { token: 'and', typed: 'and' },
      // The tag goes and the two words become one token, which the text does not hold as typed.
      { token: 'rhey', typed: null },
      { token: 'fun', typed: 'fun' },
      // The emoticon is glued to the last word (the classic recipe's quirk).
      { token: 'film:)', typed: null },
    ]);
  });

  it('gives emoticons no place and skips removed stop words', () => {
    // Act
    const spans = spansOf('I loved the film :) and the end!', true);

    // Assert
    expect(spans).toEqual([
      { token: 'loved', typed: 'loved' },
      { token: 'film', typed: 'film' },
      { token: 'end', typed: 'end' },
      { token: ':)', typed: null },
    ]);
  });

  it('on 600 random texts and the fixtures, gives every placed token a stretch that lower-cases to it', () => {
    // Arrange
    const rng = mulberry32(7);
    const texts = [...Array.from({ length: 600 }, () => randomText(rng)), ...fixtureTexts()];
    // Lower-cased alone, a stretch ending in "Σ" gets a final "ς"; in its text, a letter may follow.
    const sigma = (word: string): string => word.replaceAll('ς', 'σ');

    // Act
    const wrong = texts.flatMap((text, k) =>
      spansOf(text, k % 2 === 0).filter(
        ({ token, typed }) => typed !== null && sigma(typed.toLowerCase()) !== sigma(token),
      ),
    );

    // Assert
    expect(wrong).toEqual([]);
  });

  it('places every word token of texts with no tags, emoticons or "İ"', () => {
    // Arrange
    const rng = mulberry32(8);
    const plain = PIECES.filter((piece) => !/[<>()İ]/.test(piece));
    const texts = Array.from({ length: 600 }, () => {
      let text = '';
      for (let k = randomInt(rng, 25); k > 0; k--) text += plain[randomInt(rng, plain.length)];
      return text;
    });

    // Act
    const unplaced = texts.flatMap((text) => spansOf(text, false).filter(({ typed }) => typed === null));

    // Assert
    expect(texts.some((text) => tokenize(text, KEEP).length > 5)).toBe(true);
    expect(unplaced).toEqual([]);
  });
});

describe('long texts', () => {
  it('tokenizes a 1 MB review in well under a second, and scanTokens agrees', () => {
    // Arrange
    const review =
      'This movie was <b>great</b> :-) but the ending, sadly, was not good :( Café naïve 日本語.<br /><br /> ';
    const text = review.repeat(Math.ceil(1_000_000 / review.length));

    // Act
    const started = performance.now();
    const reference = tokenize(text, REMOVE);
    const fast = scanned(text, true);
    const seconds = (performance.now() - started) / 1000;

    // Assert
    expect(text.length).toBeGreaterThanOrEqual(1_000_000);
    expect(fast).toEqual(reference);
    expect(reference.length).toBeGreaterThan(100_000);
    // Both passes take ~0.4 s here; the bound is loose on purpose (busy CI), it catches
    // super-linear behaviour, not small slow-downs.
    expect(seconds).toBeLessThan(4);
  });

  it('tokenizes a text with many "<" and no ">" after them in linear time (e.g. "I <3 it" hearts)', () => {
    // Arrange: 60 KB. Each unclosed "<" makes the tag regex /<[^>]*>/ scan to the end of the
    // text, so the cost is quadratic: ~1 s per call here, and minutes for 1 MB.
    const text = 'I <3 it '.repeat(7_500);

    // Act
    const started = performance.now();
    const reference = tokenize(text, KEEP);
    const fast = scanned(text, false);
    const seconds = (performance.now() - started) / 1000;

    // Assert
    expect(fast).toEqual(reference);
    expect(reference.length).toBe(3 * 7_500);
    // Linear work on 60 KB takes a few milliseconds.
    expect(seconds).toBeLessThan(0.5);
  });
});
