// The tokenizer and hasher's hot loops for ASCII text, in AssemblyScript compiled to WebAssembly
// (`npm run build:wasm` writes src/text/text-kernel.wasm.ts). It computes exactly what the
// TypeScript scanner (src/text/token-scanner.ts) and `murmur3` (src/text/murmur3.ts) compute; the
// tests hold it to them. The JavaScript side owns the memory layout and passes every region as a
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

/** Where the JavaScript side may put its regions: after this module's own data. */
export function dataEnd(): usize {
  return __heap_base;
}

/** Bytes written to `out` by the last `scanAscii`, the space after its last token included. */
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

/** MurmurHash3 of a byte range, for the tests that hold this module to the TypeScript one. */
export function hash(p: usize, length: i32): i32 {
  return murmur3(p, length);
}

/**
 * Tokenizes the `n` ASCII bytes at `src` as `scanTextTokens` does without stop-word removal:
 * tags removed, lower-cased, words of [a-z0-9_], emoticons collected (dash dropped) and appended,
 * the first glued to a word the text ends in. Token k's bytes go to `out` (each followed by one
 * space) from out + starts[k] to out + ends[k]; its hash to hashes[k]; where it is in the
 * tag-free text to scanStarts[k]/scanEnds[k] (-1 for an emoticon or a glued word). `emoticons`
 * is scratch of n bytes. Returns the number of tokens, or -1 for a text left to the TypeScript
 * scanner: an emoticon's first character right before a "<", where what follows it once tags are
 * removed needs a look further ahead.
 *
 * Room: out needs 2n + 8 bytes, the token arrays n + 4 entries each (generous bounds: a token
 * and its space come from at least two characters, an emoticon and its space from two or three),
 * and 4 readable bytes after out's end for the hash's tail read.
 */
export function scanAscii(
  n: i32,
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
  let tagsPossible = true; // false once a "<" has no ">" after it: no later "<" opens a tag
  let removed: i32 = 0; // characters of the tags skipped so far: tag-free offset = i - removed
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
        wordStart = i - removed;
      }
      store<u8>(out + <usize>pos, lower);
      pos++;
      continue;
    }
    if (c == 0x3c) {
      if (tagsPossible) {
        let close = i + 1;
        while (close < n && load<u8>(src + <usize>close) != 0x3e) close++;
        if (close < n) {
          // The tag goes with nothing in its place: a word on both sides of it is one word.
          removed += close + 1 - i;
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
      const at = <usize>count << 2;
      store<i32>(starts + at, tokenStart);
      store<i32>(ends + at, pos);
      store<i32>(hashes + at, murmur3(out + <usize>tokenStart, pos - tokenStart));
      store<i32>(scanStarts + at, wordStart);
      store<i32>(scanEnds + at, i - removed);
      count++;
      store<u8>(out + <usize>pos, 0x20);
      pos++;
      tokenStart = -1;
    }
  }
  // As the recipe does: the first emoticon is glued to a word the text ends in.
  let firstEmoticon: i32 = 0;
  if (tokenStart >= 0) {
    let spanStart = wordStart;
    let spanEnd = n - removed;
    if (emoticonBytes > 0) {
      store<u8>(out + <usize>pos, load<u8>(emoticons));
      store<u8>(out + <usize>(pos + 1), load<u8>(emoticons + 1));
      pos += 2;
      firstEmoticon = 2;
      spanStart = -1;
      spanEnd = -1;
    }
    const at = <usize>count << 2;
    store<i32>(starts + at, tokenStart);
    store<i32>(ends + at, pos);
    store<i32>(hashes + at, murmur3(out + <usize>tokenStart, pos - tokenStart));
    store<i32>(scanStarts + at, spanStart);
    store<i32>(scanEnds + at, spanEnd);
    count++;
    store<u8>(out + <usize>pos, 0x20);
    pos++;
  }
  for (let k = firstEmoticon; k < emoticonBytes; k += 2) {
    const at = <usize>count << 2;
    store<u8>(out + <usize>pos, load<u8>(emoticons + <usize>k));
    store<u8>(out + <usize>(pos + 1), load<u8>(emoticons + <usize>(k + 1)));
    store<i32>(starts + at, pos);
    store<i32>(ends + at, pos + 2);
    store<i32>(hashes + at, murmur3(out + <usize>pos, 2));
    store<i32>(scanStarts + at, -1);
    store<i32>(scanEnds + at, -1);
    count++;
    store<u8>(out + <usize>(pos + 2), 0x20);
    pos += 3;
  }
  outLength = pos;
  return count;
}

/**
 * Hashes every n-gram of `count` tokens laid out as `scanAscii` leaves them (token k's bytes at
 * out + starts[k] .. out + ends[k], one space apart): n-gram i, tokens i to i + n - 1, is the
 * byte range from the start of the first to the end of the last. Writes count - n + 1 hashes
 * to `dest` (none when there are fewer tokens than n).
 */
export function hashGrams(count: i32, n: i32, out: usize, starts: usize, ends: usize, dest: usize): void {
  const last = count - n;
  const span = <usize>(n - 1) << 2;
  for (let i: i32 = 0; i <= last; i++) {
    const at = <usize>i << 2;
    const start = load<i32>(starts + at);
    const end = load<i32>(ends + at + span);
    store<i32>(dest + at, murmur3(out + <usize>start, end - start));
  }
}
