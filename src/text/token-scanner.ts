import { murmur3 } from './murmur3.js';
import { ENGLISH_STOP_WORDS } from './stop-words.js';
import { stripTags, tagRanges } from './strip-tags.js';
import { TextKernel } from './text-kernel.js';

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const SPACE = 0x20;

// ASCII word characters as Python's \w sees them: [A-Za-z0-9_] (text is lower-cased first).
const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_WORD[c] = /[a-z0-9_]/.test(ch) ? 1 : 0;
}
const nonAsciiWordCache = new Map<number, boolean>();
function isNonAsciiWordChar(codePoint: number): boolean {
  let known = nonAsciiWordCache.get(codePoint);
  if (known === undefined) {
    known = WORD_CHAR.test(String.fromCodePoint(codePoint));
    // Bounded: review text draws on few distinct code points; an adversarial text can't grow it
    // past this.
    if (nonAsciiWordCache.size < 65_536) nonAsciiWordCache.set(codePoint, known);
  }
  return known;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const STOP_WORD_BYTES = new Map<number, Uint8Array[]>();
for (const word of ENGLISH_STOP_WORDS) {
  const bytes = encoder.encode(word);
  const hash = murmur3(bytes, 0, bytes.length);
  const bucket = STOP_WORD_BYTES.get(hash);
  if (bucket === undefined) STOP_WORD_BYTES.set(hash, [bytes]);
  else bucket.push(bytes);
}

/** Where tokens are in a text: token k is at [starts[k], ends[k]), or -1 in both when it is not. */
export interface TokenSpans {
  starts: Int32Array;
  ends: Int32Array;
}

/**
 * The tokens of one text, as UTF-8 bytes in one buffer separated by single spaces, with each
 * token's byte range and MurmurHash3. Because kept tokens are separated by exactly one space, the
 * bytes of the n-gram "w1 w2 w3" are the contiguous range from w1's start to w3's end, so n-grams
 * are hashed without building strings. Reused across texts: one instance per vectorizer.
 */
export class TokenBuffer {
  bytes: Uint8Array = new Uint8Array(1 << 16);
  starts: Int32Array = new Int32Array(1 << 12);
  ends: Int32Array = new Int32Array(1 << 12);
  hashes: Int32Array = new Int32Array(1 << 12);
  /**
   * Where each token is in the scanned text (tags removed, lower-cased), in UTF-16 units; -1 for a
   * token that is not a stretch of it (an emoticon, a word with the first emoticon glued on).
   * Recorded while scanning, which costs two stores a token; `textSpans` maps them to the text as
   * given only when asked.
   */
  scanStarts: Int32Array = new Int32Array(1 << 12);
  scanEnds: Int32Array = new Int32Array(1 << 12);
  /** Where `textSpans` puts its answer. */
  private spanStarts = new Int32Array(0);
  private spanEnds = new Int32Array(0);
  count = 0;
  length = 0;
  /**
   * The last text scanned: as given, with its tags removed, and lower-cased too. For an ASCII
   * text the kernel builds neither of the last two; `textSpans` derives them when asked.
   */
  private source = '';
  private stripped: string | null = '';
  private scanned: string | null = '';
  /** The WebAssembly scanner for ASCII texts, made on first use; whether it scanned the last text. */
  private kernel: TextKernel | null = null;
  private kernelScanned = false;
  /** The kernel's tokens of the last text are not yet copied into the arrays above. */
  private copyPending = false;

  reset(source: string, stripped: string | null, scanned: string | null): void {
    this.count = 0;
    this.length = 0;
    this.source = source;
    this.stripped = stripped;
    this.scanned = scanned;
    this.kernelScanned = false;
    this.copyPending = false;
  }

  /**
   * Scans `text` with the WebAssembly kernel, as `scanTextTokens` would without stop-word
   * removal; false, with the buffer untouched, for a text the kernel leaves to `scanTextTokens`
   * (a character outside the BMP, or a rare emoticon-before-tag case).
   *
   * With `copy` false, the tokens stay in the kernel (`count` is set, the arrays are not): the
   * vectorizer hashes and sums them there, and the methods below copy them in when asked. Read
   * the arrays directly only after `takeKernelTokens()`.
   */
  scanWithKernel(text: string, copy = true): boolean {
    const kernel = this.ownKernel();
    if (!kernel.scan(text)) return false;
    this.reset(text, kernel.stripped, kernel.lowerCased);
    this.count = kernel.count;
    this.length = kernel.length;
    this.kernelScanned = true;
    this.copyPending = true;
    if (copy) this.takeKernelTokens();
    return true;
  }

  /** Copies the kernel's tokens of the last text into the arrays, if they are not there yet. */
  takeKernelTokens(): void {
    if (!this.copyPending || this.kernel === null) return;
    this.copyPending = false;
    const kernel = this.kernel;
    const { count, length } = kernel;
    // The arrays' old contents are not needed: grow them without copying.
    if (this.bytes.length < length + 4) this.bytes = new Uint8Array(2 * length + 4);
    if (this.starts.length < count) {
      this.starts = new Int32Array(2 * count);
      this.ends = new Int32Array(2 * count);
      this.hashes = new Int32Array(2 * count);
      this.scanStarts = new Int32Array(2 * count);
      this.scanEnds = new Int32Array(2 * count);
    }
    this.bytes.set(kernel.out.subarray(0, length));
    this.starts.set(kernel.starts.subarray(0, count));
    this.ends.set(kernel.ends.subarray(0, count));
    this.hashes.set(kernel.hashes.subarray(0, count));
    this.scanStarts.set(kernel.scanStarts.subarray(0, count));
    this.scanEnds.set(kernel.scanEnds.subarray(0, count));
  }

  /**
   * The kernel when it scanned the last text, so that the n-grams can be hashed and summed there
   * too (`TextKernel.accumulate`); null when the TypeScript scanner did.
   */
  /** This buffer's kernel, made on first use (a model keeps its serving table in it). */
  ownKernel(): TextKernel {
    return (this.kernel ??= new TextKernel());
  }

  kernelOfLastScan(): TextKernel | null {
    return this.kernelScanned ? this.kernel : null;
  }

  ensureBytes(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  ensureTokens(extra: number): void {
    if (this.count + extra <= this.starts.length) return;
    let size = this.starts.length * 2;
    while (size < this.count + extra) size *= 2;
    const grow = (old: Int32Array): Int32Array => {
      const grown = new Int32Array(size);
      grown.set(old);
      return grown;
    };
    this.starts = grow(this.starts);
    this.ends = grow(this.ends);
    this.hashes = grow(this.hashes);
    this.scanStarts = grow(this.scanStarts);
    this.scanEnds = grow(this.scanEnds);
  }

  /** The token at `index` as a string (for explanations and tests; not on the hot path). */
  token(index: number): string {
    this.takeKernelTokens();
    return decoder.decode(this.bytes.subarray(this.starts[index], this.ends[index]));
  }

  /**
   * Reads n-grams of the last text scanned as strings, until the next text is scanned. Tokens are
   * separated by exactly one space in the buffer, so the bytes from a token's start to the end of
   * the n-th token are the n-gram as its tokens joined by spaces.
   */
  termReader(): (first: number, n: number) => string {
    this.takeKernelTokens();
    const { count } = this;
    return (first, n) => {
      if (!(first >= 0 && n >= 1 && first + n <= count))
        throw new RangeError(`no ${n}-gram at token ${first} of ${count}`);
      return decoder.decode(this.bytes.subarray(this.starts[first], this.ends[first + n - 1]));
    };
  }

  /**
   * Where each kept token of the last text scanned is in that text as given (UTF-16 offsets): the
   * text there, lower-cased (in context: "Σ" before a letter is "σ"), is the token. A token that is no such stretch gets -1: an emoticon
   * (collected from anywhere, dash dropped), a word with the first emoticon glued on ("great:)"),
   * a word with a tag inside it ("Tag<b>inside" is one token), a word whose lower-casing changed
   * its length ("İ" becomes two units). For explanations. Views of buffers the next call
   * overwrites: read them before.
   */
  textSpans(): TokenSpans {
    this.takeKernelTokens();
    const { count, scanStarts, scanEnds, source } = this;
    const stripped = this.stripped ?? stripTags(source);
    const scanned = this.scanned ?? stripped.toLowerCase();
    // Reused: an explanation is made per request, and two new arrays each time were two
    // backing stores for the garbage collector to free.
    if (this.spanStarts.length < count) {
      this.spanStarts = new Int32Array(scanStarts.length);
      this.spanEnds = new Int32Array(scanStarts.length);
    }
    const starts = this.spanStarts.subarray(0, count).fill(-1);
    const ends = this.spanEnds.subarray(0, count).fill(-1);
    // Scanned offset -> offset in the tag-free text, where lower-casing changed lengths.
    const fromScanned = scanned.length === stripped.length ? null : lowerCaseOrigins(stripped, scanned.length);
    if (fromScanned === undefined) return { starts, ends };
    const tags = source.length === stripped.length ? [] : tagRanges(source);
    let tag = 0;
    let removed = 0; // length of the tags before the current position
    for (let k = 0; k < count; k++) {
      let start = scanStarts[k];
      let end = scanEnds[k];
      if (start < 0) continue;
      if (fromScanned !== null) {
        start = fromScanned[start];
        end = fromScanned[end];
        if (end - start !== scanEnds[k] - scanStarts[k]) continue;
      }
      // Tags at the token's first character come before it; tags at its end come after it.
      while (tag < tags.length && tags[tag][0] - removed <= start) removed += tags[tag][1] - tags[tag++][0];
      const textStart = start + removed;
      while (tag < tags.length && tags[tag][0] - removed < end) removed += tags[tag][1] - tags[tag++][0];
      const textEnd = end + removed;
      if (textEnd - textStart !== end - start) continue;
      starts[k] = textStart;
      ends[k] = textEnd;
    }
    return { starts, ends };
  }
}

/**
 * For each UTF-16 offset of `stripped.toLowerCase()` (and its end), the offset in `stripped` of the
 * character it came from; an offset inside a character's expansion maps to that character's start,
 * so a token ending there comes out shorter than it is and is refused by the caller. Undefined
 * when lower-casing character by character does not add up to the whole text's length.
 */
function lowerCaseOrigins(stripped: string, scannedLength: number): Int32Array | undefined {
  const origins = new Int32Array(scannedLength + 1);
  let at = 0;
  for (let i = 0; i < stripped.length;) {
    const codePoint = stripped.codePointAt(i) as number;
    const lowered = String.fromCodePoint(codePoint).toLowerCase().length;
    if (at + lowered > scannedLength) return undefined;
    for (let k = 0; k < lowered; k++) origins[at++] = i;
    i += codePoint > 0xffff ? 2 : 1;
  }
  if (at !== scannedLength) return undefined;
  origins[scannedLength] = stripped.length;
  return origins;
}

function isStopWord(bytes: Uint8Array, start: number, end: number, hash: number): boolean {
  const candidates = STOP_WORD_BYTES.get(hash);
  if (candidates === undefined) return false;
  outer: for (const word of candidates) {
    if (word.length !== end - start) continue;
    for (let k = 0; k < word.length; k++) if (word[k] !== bytes[start + k]) continue outer;
    return true;
  }
  return false;
}

/**
 * Registers the bytes from `start` to the buffer's end as a token, unless it is a stop word;
 * [scanStart, scanEnd) is where it is in the scanned text (-1 when it is not a stretch of it).
 * Capacity was reserved by the caller.
 */
function closeToken(
  out: TokenBuffer,
  start: number,
  removeStopWords: boolean,
  scanStart: number,
  scanEnd: number,
): void {
  const end = out.length;
  const hash = murmur3(out.bytes, start, end);
  if (removeStopWords && isStopWord(out.bytes, start, end, hash)) {
    out.length = start;
    return;
  }
  const count = out.count;
  out.starts[count] = start;
  out.ends[count] = end;
  out.hashes[count] = hash;
  out.scanStarts[count] = scanStart;
  out.scanEnds[count] = scanEnd;
  out.count = count + 1;
  out.bytes[out.length++] = SPACE;
}

/**
 * Tokenizes `text` exactly as `tokenize()` does (the classic recipe), writing the kept tokens
 * into `out`. This is the fast path used for vectorizing; `tokenize()` is the readable reference
 * it is tested against.
 */
export function scanTokens(text: string, removeStopWords: boolean, out: TokenBuffer): void {
  if (!removeStopWords && out.scanWithKernel(text)) return;
  scanTextTokens(text, removeStopWords, out);
}

/**
 * The TypeScript scanner, for every text: strips the tags, lower-cases, then walks the UTF-16
 * units. `scanTokens` uses it for what the WebAssembly kernel leaves (non-ASCII text, stop-word
 * removal); the tests hold the kernel to it.
 */
export function scanTextTokens(text: string, removeStopWords: boolean, out: TokenBuffer): void {
  const stripped = stripTags(text);
  const lower = stripped.toLowerCase();
  out.reset(text, stripped, lower);
  const n = lower.length;
  // Worst cases: 3 UTF-8 bytes per UTF-16 unit plus separators and emoticons; a token per two
  // characters plus emoticons. Reserving once keeps the per-character loop free of checks.
  out.ensureBytes(n * 4 + 16);
  out.ensureTokens(n + 4);
  let bytes = out.bytes;
  // Emoticons are collected as [first char, closing paren] code pairs; the dash is dropped.
  let emoticons: number[] | null = null;
  let emoticonResume = 0;
  let tokenStart = -1; // byte offset of the token being written, or -1 between tokens
  let wordStart = 0; // its offset in `lower`, to re-encode a non-ASCII word
  let wordAscii = true;
  let pos = out.length;
  for (let i = 0; i < n; i++) {
    const c = lower.charCodeAt(i);
    const at = i; // where this character starts: a token closed here ends before it
    if (c < 128) {
      if (ASCII_WORD[c] === 1) {
        if (tokenStart < 0) {
          tokenStart = pos;
          wordStart = i;
          wordAscii = true;
        }
        bytes[pos++] = c;
        continue;
      }
      if (i >= emoticonResume && (c === 0x3a || c === 0x3b || c === 0x3d)) {
        const next = lower.charCodeAt(i + 1);
        if (next === 0x28 || next === 0x29) {
          (emoticons ??= []).push(c, next);
          emoticonResume = i + 2;
        } else if (next === 0x2d) {
          const after = lower.charCodeAt(i + 2);
          if (after === 0x28 || after === 0x29) {
            (emoticons ??= []).push(c, after);
            emoticonResume = i + 3;
          }
        }
      }
    } else {
      const codePoint = lower.codePointAt(i) as number;
      const width = codePoint > 0xffff ? 2 : 1;
      if (isNonAsciiWordChar(codePoint)) {
        if (tokenStart < 0) {
          tokenStart = pos;
          wordStart = i;
        }
        wordAscii = false;
        i += width - 1;
        continue;
      }
      i += width - 1;
    }
    // A separator: close the open token, if any.
    if (tokenStart >= 0) {
      out.length = wordAscii ? pos : encodeWord(out, tokenStart, lower, wordStart, at);
      closeToken(out, tokenStart, removeStopWords, wordStart, at);
      pos = out.length;
      bytes = out.bytes;
      tokenStart = -1;
    }
  }
  // The recipe appends the emoticons right after the text, so when the text ends inside a word
  // the first emoticon is glued to that word ("great:)").
  let firstEmoticon = 0;
  if (tokenStart >= 0) {
    out.length = wordAscii ? pos : encodeWord(out, tokenStart, lower, wordStart, n);
    if (emoticons !== null) {
      out.bytes[out.length++] = emoticons[0];
      out.bytes[out.length++] = emoticons[1];
      firstEmoticon = 2;
    }
    const glued = firstEmoticon > 0;
    closeToken(out, tokenStart, removeStopWords, glued ? -1 : wordStart, glued ? -1 : n);
  } else {
    out.length = pos;
  }
  if (emoticons !== null) {
    for (let k = firstEmoticon; k < emoticons.length; k += 2) {
      out.ensureBytes(4);
      out.ensureTokens(1);
      const start = out.length;
      out.bytes[out.length++] = emoticons[k];
      out.bytes[out.length++] = emoticons[k + 1];
      closeToken(out, start, removeStopWords, -1, -1);
    }
  }
}

/**
 * Rewrites a word that contains non-ASCII characters as UTF-8 from `start`; the ASCII bytes the
 * scan already wrote for it are overwritten. Returns the new end offset.
 */
function encodeWord(out: TokenBuffer, start: number, lower: string, from: number, to: number): number {
  const { written } = encoder.encodeInto(lower.slice(from, to), out.bytes.subarray(start));
  return start + written;
}
