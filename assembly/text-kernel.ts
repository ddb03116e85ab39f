// The tokenizer and hasher's hot loops for ASCII text, and the scoring loop over a model's serving
// table, in AssemblyScript compiled to WebAssembly (`npm run build:wasm` writes
// src/text/text-kernel.wasm.ts). It computes exactly what the TypeScript scanner
// (src/text/token-scanner.ts) and `murmur3` (src/text/murmur3.ts) compute; the tests hold it to
// them. The JavaScript side owns the memory layout and passes every region as a
// pointer; nothing here allocates.

/** For each byte: its lower-case form if it is an ASCII word character ([A-Za-z0-9_]), else 0. */
const WORD_LOWER: usize = memory.data(256);
for (let c: u32 = 0; c < 128; c++) {
  let lower: u32 = 0;
  if (c >= 0x61 && c <= 0x7a) lower = c;
  else if (c >= 0x41 && c <= 0x5a) lower = c | 0x20;
  else if ((c >= 0x30 && c <= 0x39) || c == 0x5f) lower = c;
  store<u8>(WORD_LOWER + c, <u8>lower);
}

/**
 * Which non-ASCII characters of the Basic Multilingual Plane are word characters (\p{L}, \p{N}):
 * one bit each in WORD, valid where the bit in KNOWN is set. The JavaScript side, which has the
 * Unicode tables, fills them in as texts show new characters (`classify`).
 */
const KNOWN: usize = memory.data(8192);
const WORD: usize = memory.data(8192);

/** Records whether code point `cp` (0x80..0xFFFF) is a word character. */
export function classify(cp: u32, word: bool): void {
  const byte = <usize>(cp >>> 3);
  const bit = <u8>(<u32>1 << (cp & 7));
  store<u8>(KNOWN + byte, load<u8>(KNOWN + byte) | bit);
  if (word) store<u8>(WORD + byte, load<u8>(WORD + byte) | bit);
}

/** Where the JavaScript side may put its regions: after this module's own data. */
export function dataEnd(): usize {
  return __heap_base;
}

/** Bytes written to `out` by the last `scan`, the space after its last token included. */
export let outLength: i32 = 0;

/**
 * MurmurHash3 x86 32-bit, seed 0, of `length` bytes at `p`, as a signed integer. Reads up to 3
 * bytes past the end (masked off), so the caller leaves that much memory after every range.
 */
// @ts-ignore: decorator
@inline
function murmur3(p: usize, length: i32): i32 {
  let h: u32 = 0;
  const blocksEnd = p + <usize>(length & ~3);
  while (p < blocksEnd) {
    let k = load<u32>(p);
    k *= 0xcc9e2d51;
    k = rotl<u32>(k, 15);
    k *= 0x1b873593;
    h ^= k;
    h = rotl<u32>(h, 13);
    h = h * 5 + 0xe6546b64;
    p += 4;
  }
  // The 0-3 tail bytes, little-endian: with none, k is 0 and leaves h as it is, as in the
  // reference's switch, which skips this step.
  const tailBits = <u32>(length & 3) << 3;
  let k = load<u32>(p) & ((<u32>1 << tailBits) - 1);
  k *= 0xcc9e2d51;
  k = rotl<u32>(k, 15);
  k *= 0x1b873593;
  h ^= k;
  h ^= <u32>length;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return <i32>h;
}

/**
 * Records token `count`: its bytes out[start, end), their hash, and its span in the tag-free text
 * (-1, -1 for an emoticon or a glued word), in the token arrays `scan` fills.
 */
// @ts-ignore: decorator
@inline
function recordToken(
  count: i32, out: usize, start: i32, end: i32, spanStart: i32, spanEnd: i32,
  starts: usize, ends: usize, hashes: usize, scanStarts: usize, scanEnds: usize,
): void {
  const at = <usize>count << 2;
  store<i32>(starts + at, start);
  store<i32>(ends + at, end);
  store<i32>(hashes + at, murmur3(out + <usize>start, end - start));
  store<i32>(scanStarts + at, spanStart);
  store<i32>(scanEnds + at, spanEnd);
}

/** MurmurHash3 of a byte range, for the tests that hold this module to the TypeScript one. */
export function hash(p: usize, length: i32): i32 {
  return murmur3(p, length);
}

/**
 * Tokenizes `n` bytes of UTF-8 at `src` as `scanTextTokens` does without stop-word removal:
 * words of [a-z0-9_] and non-ASCII letters and numbers, emoticons collected (dash dropped) and
 * appended, the first glued to a word the text ends in. With `tags`, the bytes are a text as
 * given, all ASCII: tags are skipped where they stand and letters lower-cased here. Without, they
 * are the text with its tags removed and lower-cased already (by the JavaScript side, which has
 * the Unicode case tables).
 *
 * Token k's bytes go to `out` (each followed by one space) from out + starts[k] to
 * out + ends[k]; its hash to hashes[k]; where it is in the tag-free text, in UTF-16 units, to
 * scanStarts[k]/scanEnds[k] (-1 for an emoticon or a glued word). `emoticons` is scratch of n
 * bytes. Returns the number of tokens; or -1 for a text left to the TypeScript scanner (a
 * character outside the BMP, or an emoticon's first character right before a "<" while tags are
 * still possible, where what follows it once tags are removed needs a look further ahead); or
 * -2 - cp when the character cp is not yet classified (`classify` it and scan again).
 *
 * Room: out needs 2n + 8 bytes, the token arrays one entry per character of the text and 4
 * more (a token and its separator, or an emoticon, take at least two characters), and 4
 * readable bytes after out's end for the hash's tail read.
 */
export function scan(
  n: i32,
  tags: bool,
  src: usize,
  out: usize,
  starts: usize,
  ends: usize,
  hashes: usize,
  scanStarts: usize,
  scanEnds: usize,
  emoticons: usize,
): i32 {
  let emoticonBytes: i32 = 0;
  let emoticonResume: i32 = 0;
  let tagsPossible = tags; // false once a "<" has no ">" after it: no later "<" opens a tag
  let unit: i32 = 0; // offset of this character in the tag-free text, in UTF-16 units
  let tokenStart: i32 = -1; // offset in out of the token being written, or -1 between tokens
  let wordStart: i32 = 0; // its offset in the tag-free text
  let pos: i32 = 0;
  let count: i32 = 0;
  for (let i: i32 = 0; i < n; i++) {
    const c = <u32>load<u8>(src + <usize>i);
    const lower = load<u8>(WORD_LOWER + <usize>c);
    if (lower != 0) {
      if (tokenStart < 0) {
        tokenStart = pos;
        wordStart = unit;
      }
      store<u8>(out + <usize>pos, lower);
      pos++;
      unit++;
      // The rest of an ASCII word, in a loop that checks nothing else.
      while (i + 1 < n) {
        const more = load<u8>(WORD_LOWER + <usize>load<u8>(src + <usize>(i + 1)));
        if (more == 0) break;
        store<u8>(out + <usize>pos, more);
        pos++;
        unit++;
        i++;
      }
      continue;
    }
    if (c >= 0x80) {
      // A non-ASCII character (the bytes are valid UTF-8): a word character or a separator.
      let cp: u32;
      let width: i32;
      if (c < 0xe0) {
        cp = ((c & 0x1f) << 6) | (<u32>load<u8>(src + <usize>(i + 1)) & 0x3f);
        width = 2;
      } else if (c < 0xf0) {
        cp = ((c & 0x0f) << 12) | ((<u32>load<u8>(src + <usize>(i + 1)) & 0x3f) << 6) | (<u32>load<u8>(src + <usize>(i + 2)) & 0x3f);
        width = 3;
      } else {
        return -1;
      }
      const byte = <usize>(cp >>> 3);
      const bit: u32 = 1 << (cp & 7);
      if ((<u32>load<u8>(KNOWN + byte) & bit) == 0) return -2 - <i32>cp;
      if ((<u32>load<u8>(WORD + byte) & bit) != 0) {
        if (tokenStart < 0) {
          tokenStart = pos;
          wordStart = unit;
        }
        store<u8>(out + <usize>pos, <u8>c);
        store<u8>(out + <usize>(pos + 1), load<u8>(src + <usize>(i + 1)));
        if (width == 3) store<u8>(out + <usize>(pos + 2), load<u8>(src + <usize>(i + 2)));
        pos += width;
        i += width - 1;
        unit++;
        continue;
      }
      i += width - 1;
    } else if (c == 0x3c) {
      if (tagsPossible) {
        let close = i + 1;
        while (close < n && load<u8>(src + <usize>close) != 0x3e) close++;
        if (close < n) {
          // The tag goes with nothing in its place: a word on both sides of it is one word.
          i = close;
          continue;
        }
        tagsPossible = false;
      }
    } else if (i >= emoticonResume && (c == 0x3a || c == 0x3b || c == 0x3d)) {
      // [:;=] -? [()], kept without the dash.
      const next: u32 = i + 1 < n ? load<u8>(src + <usize>(i + 1)) : 0;
      let mouth: u32 = next;
      let width: i32 = 2;
      if (next == 0x2d) {
        mouth = i + 2 < n ? load<u8>(src + <usize>(i + 2)) : 0;
        width = 3;
      }
      if (mouth == 0x28 || mouth == 0x29) {
        store<u8>(emoticons + <usize>emoticonBytes, <u8>c);
        store<u8>(emoticons + <usize>(emoticonBytes + 1), <u8>mouth);
        emoticonBytes += 2;
        emoticonResume = i + width;
      } else if (mouth == 0x3c && tagsPossible) {
        return -1;
      }
    }
    // A separator: close the open token, if any.
    if (tokenStart >= 0) {
      recordToken(count, out, tokenStart, pos, wordStart, unit, starts, ends, hashes, scanStarts, scanEnds);
      count++;
      store<u8>(out + <usize>pos, 0x20);
      pos++;
      tokenStart = -1;
    }
    unit++;
  }
  // As the recipe does: the first emoticon is glued to a word the text ends in.
  let firstEmoticon: i32 = 0;
  if (tokenStart >= 0) {
    let spanStart = wordStart;
    let spanEnd = unit;
    if (emoticonBytes > 0) {
      store<u8>(out + <usize>pos, load<u8>(emoticons));
      store<u8>(out + <usize>(pos + 1), load<u8>(emoticons + 1));
      pos += 2;
      firstEmoticon = 2;
      spanStart = -1;
      spanEnd = -1;
    }
    recordToken(count, out, tokenStart, pos, spanStart, spanEnd, starts, ends, hashes, scanStarts, scanEnds);
    count++;
    store<u8>(out + <usize>pos, 0x20);
    pos++;
  }
  for (let k = firstEmoticon; k < emoticonBytes; k += 2) {
    store<u8>(out + <usize>pos, load<u8>(emoticons + <usize>k));
    store<u8>(out + <usize>(pos + 1), load<u8>(emoticons + <usize>(k + 1)));
    recordToken(count, out, pos, pos + 2, -1, -1, starts, ends, hashes, scanStarts, scanEnds);
    count++;
    store<u8>(out + <usize>(pos + 2), 0x20);
    pos += 3;
  }
  outLength = pos;
  return count;
}

/** The sum of squares of the scaled values the last `score` dotted (the L2 norm's square). */
export let scoreSumSquares: f64 = 0;
/** Sum of the scales `score`'s first loop loaded: kept only so that those loads are made. */
export let scoreTouched: f64 = 0;

/**
 * A model's decision before its norm, scale and intercept: the dot product of one text's summed
 * columns (column order[k] has sum sums[k], for k < size) with the serving table (at
 * table + 8j: column j's f32 scale, then its f32 weight), each sum scaled by (scale + offset) --
 * first taken to its sign with `binary`. The scaled values' sum of squares goes to
 * scoreSumSquares; with shares != 0, each column's term of the dot goes to shares[k] (f64). The
 * terms are added in column order, as `SentimentModel` always has, so the result is the same
 * number to the last bit.
 */
export function score(order: usize, sums: usize, size: i32, table: usize, offset: f64, binary: bool, shares: usize): f64 {
  // First only load each column's table line, in a loop that does nothing else: the CPU then has
  // many of these cache-missing loads in flight at once, and the loop below finds them in cache.
  let touched: f64 = 0;
  for (let k: i32 = 0; k < size; k++) {
    touched += <f64>load<f32>(table + (<usize>load<u32>(order + (<usize>k << 2)) << 3));
  }
  scoreTouched = touched;
  let dot: f64 = 0;
  let sumSquares: f64 = 0;
  for (let k: i32 = 0; k < size; k++) {
    const at = table + (<usize>load<u32>(order + (<usize>k << 2)) << 3);
    let value = load<f64>(sums + (<usize>k << 3));
    if (binary) value = value > 0 ? 1.0 : value < 0 ? -1.0 : 0.0;
    const scaled = value * (<f64>load<f32>(at) + offset);
    const term = scaled * <f64>load<f32>(at + 4);
    if (shares != 0) store<f64>(shares + (<usize>k << 3), term);
    dot += term;
    sumSquares += scaled * scaled;
  }
  scoreSumSquares = sumSquares;
  return dot;
}

/**
 * The hashing vectorizer's per-text sums, from the tokens `scan` left: every n-gram for n
 * from ngramMin to ngramMax (all unigrams in token order, then all bigrams, ...) is hashed,
 * mapped to its column |h| mod nFeatures, and its value (+1, or the hash's sign with
 * alternateSign) added to that column's sum. Columns are numbered by first appearance: column
 * order[e] has sum sums[e] (f64); entries[g] is the entry of the g-th n-gram. Returns the number
 * of distinct columns.
 *
 * The distinct columns are found with an open-addressing table of tableMask + 1 slots (keys,
 * stamps, slots: i32 each); a slot is in use only if its stamp is `round`, so the caller starts
 * each text with a new round instead of clearing the table. The sums are added in the order the
 * TypeScript accumulator adds them, so they are the same numbers to the last bit.
 */
export function accumulate(
  count: i32,
  ngramMin: i32,
  ngramMax: i32,
  nFeatures: u32,
  alternateSign: bool,
  out: usize,
  starts: usize,
  ends: usize,
  hashes: usize,
  keys: usize,
  stamps: usize,
  slots: usize,
  tableMask: u32,
  round: i32,
  order: usize,
  sums: usize,
  entries: usize,
): i32 {
  // A power-of-two hash space takes the low bits, without a division per n-gram.
  const columnMask: u32 = (nFeatures & (nFeatures - 1)) == 0 ? nFeatures - 1 : 0;
  let size: i32 = 0;
  let g: usize = 0;
  for (let n = ngramMin; n <= ngramMax; n++) {
    const span = <usize>(n - 1) << 2;
    for (let i: i32 = 0; i + n <= count; i++) {
      const at = <usize>i << 2;
      let h: i32;
      if (n == 1) {
        h = load<i32>(hashes + at);
      } else {
        const start = load<i32>(starts + at);
        h = murmur3(out + <usize>start, load<i32>(ends + at + span) - start);
      }
      // |h| as unsigned: |-2^31| is 2^31 here, as scikit-learn's column for it is 2^31 mod n.
      const magnitude: u32 = h < 0 ? <u32>(-h) : <u32>h;
      const column: u32 = columnMask != 0 ? magnitude & columnMask : magnitude % nFeatures;
      const value: f64 = alternateSign && h < 0 ? -1.0 : 1.0;
      let slot: u32 = (column * 0x9e3779b1) & tableMask;
      let entry: i32 = 0;
      for (;;) {
        const s = <usize>slot << 2;
        if (load<i32>(stamps + s) != round) {
          store<i32>(stamps + s, round);
          store<u32>(keys + s, column);
          store<i32>(slots + s, size);
          store<u32>(order + (<usize>size << 2), column);
          store<f64>(sums + (<usize>size << 3), value);
          entry = size++;
          break;
        }
        if (load<u32>(keys + s) == column) {
          entry = load<i32>(slots + s);
          const sum = sums + (<usize>entry << 3);
          store<f64>(sum, load<f64>(sum) + value);
          break;
        }
        slot = (slot + 1) & tableMask;
      }
      store<i32>(entries + (g << 2), entry);
      g++;
    }
  }
  return size;
}
